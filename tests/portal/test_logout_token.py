"""Back-Channel Logout 1.0 §2.6, as the portal checks a logout token: every rule, each one attacked."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import pytest
from joserfc.jwk import ECKey, RSAKey

from portal.logout_token import Expectations, InvalidLogoutToken, LogoutClaims, validate
from tests.portal.fake_provider import CLIENT_ID, FakeProvider

ISSUER = "http://127.0.0.1:5000"
EXPECT = Expectations(
    issuer=ISSUER, client_id=CLIENT_ID, algorithms=frozenset({"RS256", "ES256"}), max_age=600, leeway=60
)


@pytest.fixture
def provider(rsa_key: RSAKey, ec_key: ECKey) -> FakeProvider:
    """Only its signing helpers: no server needed here."""
    return FakeProvider(issuer=ISSUER, keys=[rsa_key, ec_key])


class Keys:
    """The key source the portal gets from discovery; counts the forced fetches."""

    def __init__(self, jwks: dict[str, Any], after_refresh: dict[str, Any] | None = None) -> None:
        self.jwks, self.after_refresh, self.refreshes = jwks, after_refresh, 0

    def __call__(self, refresh: bool) -> dict[str, Any]:
        if refresh:
            self.refreshes += 1
            return self.after_refresh or self.jwks
        return self.jwks


def check(token: str, provider: FakeProvider, *, now: float | None = None) -> LogoutClaims:
    return validate(token, Keys(provider.jwks()), EXPECT, now=time.time() if now is None else now)


def refused(token: str, provider: FakeProvider, reason: str, **kwargs: Any) -> None:
    with pytest.raises(InvalidLogoutToken, match=reason):
        check(token, provider, **kwargs)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_a_valid_token_gives_its_sid_sub_and_jti(provider: FakeProvider) -> None:
    token = provider.logout_token(sub="citizen-at-portal", jti="j-1")
    claims = check(token, provider)
    assert (claims.sid, claims.sub, claims.jti) == ("provider-session-1", "citizen-at-portal", "j-1")


@pytest.mark.parametrize("kid", ["rsa-1", "ec-1"])
def test_either_published_key_may_sign(provider: FakeProvider, kid: str) -> None:
    key = next(k for k in provider.keys if k.kid == kid)
    assert check(provider.logout_token(key=key), provider).sid == "provider-session-1"


def test_sub_alone_and_aud_as_a_list_are_accepted(provider: FakeProvider) -> None:
    claims = check(provider.logout_token(sid=None, sub="s-1", aud=["other", CLIENT_ID]), provider)
    assert (claims.sid, claims.sub) == (None, "s-1")


def test_typ_may_be_absent_or_the_full_media_type(provider: FakeProvider) -> None:
    check(provider.logout_token(header={"typ": "application/logout+jwt"}), provider)
    payload = json.loads(base64.urlsafe_b64decode(provider.logout_token().split(".")[1] + "=="))
    check(provider.sign(payload), provider)


def test_a_forged_signature_is_refused(provider: FakeProvider) -> None:
    impostor = RSAKey.generate_key(2048, parameters={"kid": "rsa-1"})  # the provider's kid, not its key
    refused(provider.logout_token(key=impostor), provider, "signature")


def test_a_payload_changed_after_signing_is_refused(provider: FakeProvider) -> None:
    header, _payload, signature = provider.logout_token(sid="mine").split(".")
    other = provider.logout_token(sid="someone-else").split(".")[1]
    refused(f"{header}.{other}.{signature}", provider, "signature")


def test_alg_none_is_refused(provider: FakeProvider) -> None:
    payload = provider.logout_token().split(".")[1]
    header = b64(json.dumps({"alg": "none", "typ": "logout+jwt"}).encode())
    refused(f"{header}.{payload}.", provider, "signature or header")


def test_hmac_with_the_public_key_as_secret_is_refused(provider: FakeProvider, rsa_key: RSAKey) -> None:
    """The algorithm-confusion attack: HS256 keyed with the published RSA key."""
    payload = provider.logout_token().split(".")[1]
    header = b64(json.dumps({"alg": "HS256", "kid": "rsa-1", "typ": "logout+jwt"}).encode())
    secret = json.dumps(rsa_key.as_dict(private=False)).encode()
    mac = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    refused(f"{header}.{payload}.{b64(mac)}", provider, "signature or header")


def test_an_algorithm_the_provider_does_not_publish_is_refused(provider: FakeProvider, ec_key: ECKey) -> None:
    expect = Expectations(EXPECT.issuer, EXPECT.client_id, frozenset({"RS256"}), EXPECT.max_age, EXPECT.leeway)
    with pytest.raises(InvalidLogoutToken, match="signature or header"):
        validate(provider.logout_token(key=ec_key), Keys(provider.jwks()), expect, now=time.time())


def test_no_expected_algorithm_means_no_token(provider: FakeProvider) -> None:
    nothing = Expectations(EXPECT.issuer, EXPECT.client_id, frozenset({"HS256"}), EXPECT.max_age, EXPECT.leeway)
    with pytest.raises(InvalidLogoutToken, match="no asymmetric algorithm"):
        validate(provider.logout_token(), Keys(provider.jwks()), nothing, now=time.time())


def test_an_encrypted_or_malformed_token_is_refused(provider: FakeProvider) -> None:
    refused("a.b.c.d.e", provider, "not a signed JWT")
    refused("not-a-jwt", provider, "not a signed JWT")
    refused("a.b.c", provider, "signature or header")


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"aud": "another-portal"}, "aud"),
        ({"aud": None}, "aud"),
        ({"iss": "http://127.0.0.1:6666"}, "iss"),
        ({"iss": None}, "iss"),
        ({"nonce": "n-1"}, "nonce"),
        ({"events": None}, "events"),
        ({"events": {"http://schemas.openid.net/event/other": {}}}, "events"),
        ({"events": {"http://schemas.openid.net/event/backchannel-logout": "yes"}}, "events"),
        ({"sid": None, "sub": None}, "neither sid nor sub"),
        ({"sid": ""}, "sid"),
        ({"jti": None}, "jti"),
        ({"iat": None}, "iat is missing"),
        ({"iat": "yesterday"}, "iat is not a number"),
    ],
)
def test_claims_that_break_a_rule_are_refused(provider: FakeProvider, claims: dict[str, Any], reason: str) -> None:
    refused(provider.logout_token(**claims), provider, reason)


def test_an_expired_token_is_refused(provider: FakeProvider) -> None:
    now = time.time()
    refused(provider.logout_token(iat=int(now) - 300, exp=int(now) - 61), provider, "expired")
    check(provider.logout_token(iat=int(now) - 300, exp=int(now) - 59), provider)  # within the clock leeway


def test_iat_must_be_recent_and_not_in_the_future(provider: FakeProvider) -> None:
    now = int(time.time())
    refused(provider.logout_token(iat=now - 600 - 61, exp=None), provider, "too old")
    check(provider.logout_token(iat=now - 600 - 59, exp=None), provider)
    refused(provider.logout_token(iat=now + 61), provider, "future")


def test_a_typ_of_another_kind_of_token_is_refused(provider: FakeProvider) -> None:
    refused(provider.logout_token(header={"typ": "JWT"}), provider, "typ")
    refused(provider.logout_token(header={"typ": "at+jwt"}), provider, "typ")


def test_an_id_token_is_not_a_logout_token(provider: FakeProvider) -> None:
    refused(provider.id_token("n-1"), provider, "events|nonce")


def test_an_unknown_kid_fetches_the_keys_again_once(provider: FakeProvider) -> None:
    rotated = RSAKey.generate_key(2048, parameters={"kid": "rsa-2"})
    token = provider.logout_token(key=rotated)
    keys = Keys(provider.jwks(), after_refresh={"keys": [rotated.as_dict(private=False)]})
    assert validate(token, keys, EXPECT, now=time.time()).sid == "provider-session-1"
    assert keys.refreshes == 1

    stranger = Keys(provider.jwks())
    with pytest.raises(InvalidLogoutToken, match="kid"):
        validate(token, stranger, EXPECT, now=time.time())
    assert stranger.refreshes == 1
