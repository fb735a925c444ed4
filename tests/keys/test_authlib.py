"""Authlib's own token code signs with the key ring's key set, and our verifier accepts the result.

These drive Authlib 1.9's ``OpenIDCode.encode_id_token`` and ``JWTBearerTokenGenerator`` directly, to
prove that ``KeyRing.private_key_set()`` is the key object they want and that the kid reaches the header.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator
from authlib.oidc.core.grants import OpenIDCode
from flask import Flask
from joserfc import jws

from keys import KeyRing, verify_jwt

from .support import Clock, make_ring

ISSUER = "https://idp.example"


class _IdTokens(OpenIDCode):
    def __init__(self, ring: KeyRing) -> None:
        super().__init__(require_nonce=True)
        self.ring = ring

    def resolve_client_private_key(self, client):  # type: ignore[no-untyped-def]
        return self.ring.private_key_set()

    def get_client_claims(self, client):  # type: ignore[no-untyped-def]
        return {"iss": ISSUER, "aud": [client.get_client_id()]}

    def generate_user_info(self, user, scope):  # type: ignore[no-untyped-def]
        return {"sub": user}


class _AccessTokens(JWTBearerTokenGenerator):
    def __init__(self, ring: KeyRing, alg: str) -> None:
        super().__init__(issuer=ISSUER, alg=alg)
        self.ring = ring

    def get_jwks(self):  # type: ignore[no-untyped-def]
        return self.ring.private_key_set()


def _client(alg: str) -> SimpleNamespace:
    return SimpleNamespace(id_token_signed_response_alg=alg, get_client_id=lambda: "portal-hanoi")


# Authlib passes the algorithm to joserfc, which warns that RFC 9864 renamed EdDSA; relying parties know EdDSA.
@pytest.mark.filterwarnings("ignore:EdDSA is deprecated:joserfc.errors.SecurityWarning")
@pytest.mark.parametrize("alg", ["RS256", "ES256", "EdDSA"])
def test_authlib_id_tokens_carry_the_current_kid_and_verify(app: Flask, alg: str) -> None:
    ring = make_ring(app, Clock())
    request = SimpleNamespace(client=_client(alg), authorization_code=None, user="pairwise-sub")
    id_token = _IdTokens(ring).encode_id_token({"access_token": "opaque", "scope": "openid"}, request)
    assert jws.extract_compact(id_token.encode()).headers()["kid"] == ring.current(alg).kid
    claims = verify_jwt(ring, id_token, algorithms=[alg])
    assert (claims["iss"], claims["aud"], claims["sub"]) == (ISSUER, ["portal-hanoi"], "pairwise-sub")


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_authlib_rfc9068_access_tokens_carry_the_current_kid_and_verify(app: Flask, alg: str) -> None:
    ring = make_ring(app, Clock())
    user = SimpleNamespace(get_user_id=lambda: "pairwise-sub")
    token = _AccessTokens(ring, alg).access_token_generator(_client(alg), "authorization_code", user, "openid")
    assert jws.extract_compact(token.encode()).headers()["kid"] == ring.current(alg).kid
    claims = verify_jwt(ring, token, algorithms=[alg], typ="at+jwt")
    assert (claims["iss"], claims["client_id"], claims["sub"]) == (ISSUER, "portal-hanoi", "pairwise-sub")
