"""Client metadata validation: scopes, restricted-scope approval, auth methods, grants, PKCE, keys, sector."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc.jwk import OKPKey

from clients import AuthMethod, GrantType, IdTokenAlg, InvalidMetadata, validate_spec
from tests.factories import PORTAL_CALLBACK, client_spec, ec_key, public_jwks, rsa_key


def validated(**overrides: Any):  # type: ignore[no-untyped-def]
    return validate_spec(client_spec(**overrides), allow_http_loopback=False)


def refused(field: str, match: str, **overrides: Any) -> InvalidMetadata:
    with pytest.raises(InvalidMetadata, match=match) as error:
        validated(**overrides)
    assert error.value.field == field
    return error.value


def test_defaults_are_a_confidential_code_client_with_pkce_and_rs256() -> None:
    metadata = validated()
    assert metadata.auth_method is AuthMethod.CLIENT_SECRET_BASIC
    assert metadata.grant_types == (GrantType.AUTHORIZATION_CODE, GrantType.REFRESH_TOKEN)
    assert metadata.scopes == ("openid",)
    assert metadata.require_pkce is True
    assert metadata.id_token_alg is IdTokenAlg.RS256
    assert metadata.sector == "dichvucong.gov.vn"
    assert (metadata.first_party, metadata.restricted_approved, metadata.jwks) == (False, False, None)


def test_scopes_are_checked_against_the_supported_set_and_stored_in_canonical_order() -> None:
    assert validated(scopes=["email", "openid", "profile", "email"]).scopes == ("openid", "profile", "email")
    assert validated(scopes="openid phone").scopes == ("openid", "phone")
    refused("scopes", "Unknown scope.*admin", scopes=["openid", "admin"])
    refused("scopes", "must be allowed the openid scope", scopes=["profile"])
    refused(
        "scopes",
        "offline_access needs the refresh_token grant",
        scopes=["openid", "offline_access"],
        grant_types=["authorization_code"],
    )


@pytest.mark.parametrize("scope", ["pin", "citizen_card"])
def test_restricted_scopes_need_an_explicit_approval(scope: str) -> None:
    error = refused("scopes", f"restricted scope\\(s\\) {scope} may be allowed only", scopes=["openid", scope])
    assert "approval" in error.message
    assert validated(scopes=["openid", scope], approve_restricted=True).restricted_approved is True


def test_an_approval_without_restricted_scopes_records_nothing() -> None:
    assert validated(scopes=["openid", "profile"], approve_restricted=True).restricted_approved is False


def test_auth_methods_and_id_token_algorithms_are_closed_lists() -> None:
    refused(
        "token_endpoint_auth_method", "client_secret_jwt.*not supported", token_endpoint_auth_method="client_secret_jwt"
    )
    refused("id_token_signed_response_alg", "'none' is not supported", id_token_signed_response_alg="none")
    refused("id_token_signed_response_alg", "'HS256' is not supported", id_token_signed_response_alg="HS256")
    assert validated(id_token_signed_response_alg="EdDSA").id_token_alg is IdTokenAlg.EDDSA


def test_grants() -> None:
    refused("grant_types", "implicit and password grants are not offered", grant_types=["implicit"])
    refused(
        "grant_types", "implicit and password grants are not offered", grant_types=["authorization_code", "password"]
    )
    refused(
        "grant_types",
        "urn:ietf:params:oauth:grant-type:device_code.*not supported",
        grant_types=["urn:ietf:params:oauth:grant-type:device_code"],
    )
    refused("grant_types", "at least one grant type", grant_types=[])
    refused("grant_types", "only given together with authorization_code", grant_types=["refresh_token"])
    machine = validated(grant_types=["client_credentials"], redirect_uris=[])
    assert machine.grant_types == (GrantType.CLIENT_CREDENTIALS,) and machine.sector is None
    refused("redirect_uris", "at least one redirect URI", redirect_uris=[])


def test_a_public_client_gets_no_client_credentials_and_always_pkce() -> None:
    public = validated(token_endpoint_auth_method="none")
    assert public.auth_method is AuthMethod.NONE and public.require_pkce
    refused(
        "grant_types",
        "public client cannot use client_credentials",
        token_endpoint_auth_method="none",
        grant_types=["authorization_code", "client_credentials"],
    )
    refused("require_pkce", "only for a confidential client", token_endpoint_auth_method="none", require_pkce=False)
    assert validated(require_pkce=False).require_pkce is False


def test_private_key_jwt_needs_public_keys_and_only_it_takes_them() -> None:
    jwks = public_jwks(rsa_key("a"), ec_key("b"))
    metadata = validated(token_endpoint_auth_method="private_key_jwt", jwks=jwks)
    assert metadata.jwks is not None and json.loads(metadata.jwks) == jwks
    as_text = validated(token_endpoint_auth_method="private_key_jwt", jwks=json.dumps(jwks))
    assert as_text.jwks == metadata.jwks
    okp = OKPKey.generate_key("Ed25519", private=True).as_dict(private=False)
    assert validated(token_endpoint_auth_method="private_key_jwt", jwks={"keys": [okp]}).jwks
    refused("jwks", "must register its public keys", token_endpoint_auth_method="private_key_jwt")
    refused("jwks", "only for private_key_jwt clients", jwks=jwks)


def _small_rsa() -> dict[str, Any]:
    numbers = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key().public_numbers()
    return {"kty": "RSA", "n": _b64(numbers.n), "e": _b64(numbers.e)}


def _b64(value: int) -> str:
    return base64.urlsafe_b64encode(value.to_bytes((value.bit_length() + 7) // 8, "big")).rstrip(b"=").decode()


@pytest.mark.parametrize(
    ("jwks", "reason"),
    [
        ({"keys": [rsa_key().as_dict(private=True)]}, "private key material \\(d, dp, dq, p, q, qi\\)"),
        ({"keys": [ec_key().as_dict(private=True)]}, "private key material \\(d\\)"),
        ({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}, "never symmetric 'oct' keys"),
        ({"keys": [{"kty": "oct", "k": "c2VjcmV0", "alg": "HS256"}]}, "never symmetric"),
        ({"keys": [OKPKey.generate_key("X25519", private=True).as_dict(private=False)]}, "curve 'X25519'"),
        ({"keys": [{"kty": "EC", "crv": "P-384", "x": "AA", "y": "AA"}]}, "curve 'P-384'"),
        ({"keys": [_small_rsa()]}, "shorter than 2048 bits"),
        ({"keys": [{**rsa_key().as_dict(private=False), "use": "enc"}]}, "signature-verification key"),
        ({"keys": [{**rsa_key().as_dict(private=False), "key_ops": ["encrypt"]}]}, "signature-verification key"),
        ({"keys": [{"kty": "RSA", "n": "AQAB"}]}, "shorter than 2048 bits"),
        ({"keys": [{k: v for k, v in rsa_key().as_dict(private=False).items() if k != "e"}]}, "not a valid public key"),
        ({"keys": [{"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA"}]}, "not a valid public key"),
        ({"keys": [rsa_key("x").as_dict(private=False), ec_key("x").as_dict(private=False)]}, "its own 'kid'"),
        ({"keys": [{k: v for k, v in rsa_key().as_dict(private=False).items() if k != "kid"}] * 2}, "its own 'kid'"),
        ({"keys": []}, "non-empty list"),
        ({"keys": "abc"}, "non-empty list"),
        ({"keys": [rsa_key().as_dict(private=False)], "extra": 1}, "one member, 'keys'"),
        ({"keys": ["abc"]}, "key 1 is not a JSON object"),
        ("not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ("{" + " " * 70000 + "}", "longer than"),
    ],
)
def test_only_public_asymmetric_signing_keys_are_accepted(jwks: object, reason: str) -> None:
    refused("jwks", reason, token_endpoint_auth_method="private_key_jwt", jwks=jwks)


def test_sector_defaults_to_the_one_redirect_host_and_must_be_named_for_several() -> None:
    two_paths = ["https://dichvucong.gov.vn/a", "https://dichvucong.gov.vn:8443/b"]
    assert validated(redirect_uris=two_paths).sector == "dichvucong.gov.vn"
    logout_elsewhere = validated(post_logout_redirect_uris=["https://other.gov.vn/bye"])
    assert logout_elsewhere.sector == "dichvucong.gov.vn"
    two_hosts = [PORTAL_CALLBACK, "https://m.dichvucong.gov.vn/cb"]
    error = refused(
        "sector", "span several hosts \\(dichvucong.gov.vn, m.dichvucong.gov.vn\\)", redirect_uris=two_hosts
    )
    assert "link their users" in error.message
    assert validated(redirect_uris=two_hosts, sector="dichvucong.gov.vn").sector == "dichvucong.gov.vn"


@pytest.mark.parametrize(
    "sector",
    ["https://dichvucong.gov.vn", "dichvucong.gov.vn:443", "DichVuCong.gov.vn", "dvc.gov.vn.", "", "a/b", "cổng.vn"],
)
def test_an_explicit_sector_must_be_a_plain_lower_case_host(sector: str) -> None:
    refused("sector", "Sector", sector=sector)


def test_names_are_printable_trimmed_and_nfc() -> None:
    assert validated(name="  Cổng  Dịch vụ\tcông ").name == "Cổng Dịch vụ công"
    assert validated(name="Co\u0302\u0309ng").name == "Cổng"
    refused("name", "printable text", name="   ")
    refused("name", "printable text", name="Portal\u202eevil")
    refused("name", "longer than 200", name="x" * 201)


def test_uri_lists_are_bounded_and_deduplicated_in_order() -> None:
    uris = [f"https://dichvucong.gov.vn/cb{i}" for i in range(3)]
    assert validated(redirect_uris=[*uris, uris[0]]).redirect_uris == tuple(uris)
    refused("redirect_uris", "At most 20", redirect_uris=[f"https://dichvucong.gov.vn/{i}" for i in range(21)])
    refused("post_logout_redirect_uris", "Post-logout redirect URI", post_logout_redirect_uris=["http://evil.example/"])
    refused("backchannel_logout_uri", "Back-channel logout URI", backchannel_logout_uri="https://rp.gov.vn/#x")
