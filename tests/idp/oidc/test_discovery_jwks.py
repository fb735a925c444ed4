"""Discovery (OIDC Discovery 1.0, RFC 8414) says exactly what the provider does; the JWKS publishes the
public halves of exactly the keys that sign, with ETags (R24; SECURITY.md §4 Config OP, oidcc-idtoken-unsigned)."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from clients import SUPPORTED_SCOPES
from tests.idp.conftest import Citizen, Portal, register_portal
from tests.idp.flows import tokens, unverified_parts

PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "k", "oth"}


def metadata(client: FlaskClient) -> dict:
    response = client.get("/.well-known/openid-configuration")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def test_the_issuer_and_endpoints_are_ours_and_answer(client: FlaskClient, settings) -> None:
    meta = metadata(client)
    assert meta["issuer"] == settings.issuer
    for name, method in (
        ("authorization_endpoint", "get"),
        ("token_endpoint", "post"),
        ("userinfo_endpoint", "get"),
        ("jwks_uri", "get"),
        ("revocation_endpoint", "post"),
        ("introspection_endpoint", "post"),
        ("pushed_authorization_request_endpoint", "post"),
    ):
        url = meta[name]
        assert url.startswith(settings.issuer.rstrip("/") + "/"), name
        path = url.removeprefix(settings.issuer.rstrip("/"))
        assert getattr(client, method)(path).status_code != 404, name


def test_only_the_code_flow_with_s256_and_iss_is_advertised(client: FlaskClient) -> None:
    meta = metadata(client)
    assert meta["response_types_supported"] == ["code"]
    assert meta["response_modes_supported"] == ["query"]
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["authorization_response_iss_parameter_supported"] is True
    assert set(meta["grant_types_supported"]) == {"authorization_code", "refresh_token", "client_credentials"}
    assert "password" not in meta["grant_types_supported"]
    assert "implicit" not in meta["grant_types_supported"]


def test_request_objects_are_advertised_as_unsupported(client: FlaskClient) -> None:
    meta = metadata(client)
    assert meta["request_parameter_supported"] is False
    assert meta["request_uri_parameter_supported"] is False


def test_no_unsigned_or_symmetric_algorithm_is_offered(client: FlaskClient) -> None:
    """oidcc-idtoken-unsigned is skipped only when 'none' is absent; HMAC would invite key confusion (V8)."""
    meta = metadata(client)
    for name in ("id_token_signing_alg_values_supported", "token_endpoint_auth_signing_alg_values_supported"):
        values = meta[name]
        assert "RS256" in values
        assert "none" not in values
        assert not any(alg.startswith("HS") for alg in values)


def test_subjects_are_pairwise_and_claims_match_the_scopes(client: FlaskClient) -> None:
    meta = metadata(client)
    assert meta["subject_types_supported"] == ["pairwise"]
    assert meta["claims_parameter_supported"] is True
    assert "pin" in meta["claims_supported"]
    assert {"sub", "iss", "auth_time", "acr", "amr", "sid"} <= set(meta["claims_supported"])


def test_every_scope_a_portal_may_be_allowed_is_advertised(client: FlaskClient) -> None:
    assert set(SUPPORTED_SCOPES) <= set(metadata(client)["scopes_supported"])


def test_client_authentication_methods_match_what_each_endpoint_accepts(client: FlaskClient) -> None:
    meta = metadata(client)
    assert set(meta["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
        "none",
    }
    assert "none" not in meta["introspection_endpoint_auth_methods_supported"]  # RFC 7662 §2.1


def test_prompts_locales_and_acr_values_match_the_pages(client: FlaskClient) -> None:
    meta = metadata(client)
    assert set(meta["prompt_values_supported"]) >= {"none", "login", "consent"}
    assert meta["ui_locales_supported"] == ["vi", "en"]
    assert "urn:vn:eid:acr:pwd" in meta["acr_values_supported"]


def test_discovery_has_an_etag_and_answers_304(client: FlaskClient) -> None:
    first = client.get("/.well-known/openid-configuration")
    etag = first.headers["ETag"]
    assert "max-age" in first.headers["Cache-Control"]
    again = client.get("/.well-known/openid-configuration", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    other = client.get("/.well-known/openid-configuration", headers={"If-None-Match": '"stale"'})
    assert other.status_code == 200


def test_the_jwks_publishes_only_public_signing_keys(client: FlaskClient) -> None:
    response = client.get("/jwks.json")
    assert response.status_code == 200
    keys = response.get_json()["keys"]
    assert keys
    for key in keys:
        assert not PRIVATE_MEMBERS & set(key), key["kid"]
        assert key["kid"]
        assert key["alg"] in ("RS256", "ES256", "EdDSA")
        assert key.get("use", "sig") == "sig"
    assert len({key["kid"] for key in keys}) == len(keys)


def test_the_jwks_has_an_etag_and_answers_304(client: FlaskClient) -> None:
    first = client.get("/jwks.json")
    again = client.get("/jwks.json", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert "max-age" in first.headers["Cache-Control"]


def test_every_token_names_a_published_key(app: Flask, client: FlaskClient, portal: Portal, citizen: Citizen) -> None:
    published = {key["kid"]: key["alg"] for key in client.get("/jwks.json").get_json()["keys"]}
    for alg in ("RS256", "ES256", "EdDSA"):
        signed = register_portal(app, name=f"Cổng {alg}", first_party=True, id_token_signed_response_alg=alg)
        body = tokens(client, signed, citizen)
        for token in (body["id_token"], body["access_token"]):
            header, _ = unverified_parts(token)
            assert published[header["kid"]] == header["alg"]
        assert unverified_parts(body["id_token"])[0]["alg"] == alg
