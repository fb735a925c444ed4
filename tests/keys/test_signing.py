"""Signing with the current key, and verification of our own tokens under attack (ASVS 9.1, V8–V11)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest
from flask import Flask
from joserfc import jwk, jws, jwt

from identity import unit_of_work
from idp.context import session_factory
from keys import (
    MAX_TOKEN_LENGTH,
    Algorithm,
    ExpiredToken,
    InvalidToken,
    KeyRing,
    UnknownKid,
    UnsupportedAlgorithm,
    rotate_keys,
    sign_jwt,
    verify_jwt,
)

from .support import KEK, POLICY, Clock, make_ring


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _segments(header: dict[str, Any], payload: bytes) -> str:
    return f"{_b64(json.dumps(header).encode())}.{_b64(payload)}"


def _claims(ring: KeyRing, **extra: Any) -> dict[str, Any]:
    return {"iss": "https://idp.example", "sub": "citizen", "exp": int(ring.now().timestamp()) + 600, **extra}


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ring(app: Flask, clock: Clock) -> KeyRing:
    return make_ring(app, clock)


@pytest.mark.parametrize("alg", ["RS256", "ES256", "EdDSA"])
def test_a_token_is_signed_by_the_current_key_of_its_algorithm_and_verifies(ring: KeyRing, alg: str) -> None:
    token = sign_jwt(ring, _claims(ring), alg=alg, typ="at+jwt")
    header = jws.extract_compact(token.encode()).headers()
    assert header == {"alg": alg, "kid": ring.current(alg).kid, "typ": "at+jwt"}
    assert verify_jwt(ring, token, algorithms=[alg], typ="at+jwt")["sub"] == "citizen"
    assert verify_jwt(ring, token, algorithms=[alg], typ="application/AT+JWT")["sub"] == "citizen"


def test_signing_refuses_algorithms_that_are_not_ours(ring: KeyRing) -> None:
    for alg in ("none", "HS256", "PS256"):
        with pytest.raises(UnsupportedAlgorithm):
            sign_jwt(ring, _claims(ring), alg=alg)


@pytest.mark.parametrize("algorithms", [[], "RS256", ["RS256", "HS256"], ["none"]])
def test_the_allowlist_can_only_name_our_asymmetric_algorithms(ring: KeyRing, algorithms: Any) -> None:
    token = sign_jwt(ring, _claims(ring), alg="RS256")
    with pytest.raises(UnsupportedAlgorithm):
        verify_jwt(ring, token, algorithms=algorithms)


def test_alg_none_is_refused(ring: KeyRing) -> None:
    kid = ring.current("RS256").kid
    for name in ("none", "None", "NONE"):
        token = _segments({"alg": name, "kid": kid}, json.dumps(_claims(ring)).encode()) + "."
        with pytest.raises(InvalidToken, match="algorithm"):
            verify_jwt(ring, token, algorithms=["RS256"])


@pytest.mark.parametrize("secret_form", ["pem", "jwk"])
def test_hs256_signed_with_our_public_key_as_the_secret_is_refused(ring: KeyRing, secret_form: str) -> None:
    public = ring.public_key(ring.current("RS256").kid)
    secret = public.as_pem() if secret_form == "pem" else json.dumps(public.as_dict()).encode()
    signing_input = _segments({"alg": "HS256", "kid": public.kid}, json.dumps(_claims(ring)).encode())
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    with pytest.raises(InvalidToken, match="algorithm"):
        verify_jwt(ring, f"{signing_input}.{_b64(signature)}", algorithms=["RS256"])


def test_a_token_signed_by_a_foreign_key_under_our_kid_is_refused(ring: KeyRing) -> None:
    attacker = jwk.generate_key("EC", "P-256")
    header = {"alg": "ES256", "kid": ring.current("ES256").kid}
    forged = jwt.encode(header, _claims(ring), attacker, algorithms=["ES256"])
    with pytest.raises(InvalidToken, match="signature") as caught:
        verify_jwt(ring, forged, algorithms=["ES256"])
    assert type(caught.value) is InvalidToken


def test_a_token_with_an_unknown_kid_is_refused(ring: KeyRing) -> None:
    attacker = jwk.generate_key("EC", "P-256", auto_kid=True)
    forged = jwt.encode({"alg": "ES256", "kid": attacker.kid}, _claims(ring), attacker, algorithms=["ES256"])
    with pytest.raises(UnknownKid):
        verify_jwt(ring, forged, algorithms=["ES256"])
    without_kid = jwt.encode({"alg": "ES256"}, _claims(ring), attacker, algorithms=["ES256"])
    with pytest.raises(InvalidToken, match="no signing key"):
        verify_jwt(ring, without_kid, algorithms=["ES256"])


@pytest.mark.parametrize(
    "extra",
    [
        {"jwk": "attacker"},
        {"jku": "https://attacker.example/jwks.json"},
        {"x5u": "https://attacker.example/cert.pem"},
        {"x5c": ["MIIB"]},
    ],
)
def test_a_header_that_brings_its_own_key_is_refused(ring: KeyRing, extra: dict[str, Any]) -> None:
    attacker = jwk.generate_key("EC", "P-256", auto_kid=True)
    if "jwk" in extra:
        extra = {"jwk": attacker.as_dict(private=False)}
    header = {"alg": "ES256", "kid": attacker.kid, **extra}
    signing_input = _segments(header, json.dumps(_claims(ring)).encode())
    token = f"{signing_input}.{_b64(b'x' * 64)}"
    with pytest.raises(InvalidToken, match="parameters we never issue"):
        verify_jwt(ring, token, algorithms=["ES256"])
    # the same header with our kid and a genuine signature is still refused: we never issue it
    token = jws.serialize_compact({**header, "kid": ring.current("ES256").kid}, b"{}", ring.current("ES256"))
    with pytest.raises(InvalidToken, match="parameters we never issue"):
        verify_jwt(ring, token, algorithms=["ES256"])


@pytest.mark.parametrize("extra", [{"crit": ["exp"]}, {"b64": False, "crit": ["b64"]}, {"zip": "DEF"}])
def test_header_parameters_we_never_issue_are_refused(ring: KeyRing, extra: dict[str, Any]) -> None:
    header = {"alg": "ES256", "kid": ring.current("ES256").kid, **extra}
    token = f"{_segments(header, json.dumps(_claims(ring)).encode())}.{_b64(b'x' * 64)}"
    with pytest.raises(InvalidToken, match="parameters we never issue"):
        verify_jwt(ring, token, algorithms=["ES256"])


def test_a_tampered_payload_is_refused(ring: KeyRing) -> None:
    header, _payload, signature = sign_jwt(ring, _claims(ring), alg="RS256").split(".")
    tampered = f"{header}.{_b64(json.dumps(_claims(ring, sub='someone-else')).encode())}.{signature}"
    with pytest.raises(InvalidToken, match="signature"):
        verify_jwt(ring, tampered, algorithms=["RS256"])


def test_a_token_signed_for_one_algorithm_does_not_verify_under_another(ring: KeyRing) -> None:
    token = sign_jwt(ring, _claims(ring), alg="ES256")
    with pytest.raises(InvalidToken, match="not accepted"):
        verify_jwt(ring, token, algorithms=["RS256"])
    _header, payload, signature = token.split(".")
    relabelled = _segments({"alg": "RS256", "kid": ring.current("ES256").kid}, base64.urlsafe_b64decode(payload + "=="))
    with pytest.raises(InvalidToken, match="does not match its signing key"):
        verify_jwt(ring, f"{relabelled}.{signature}", algorithms=["RS256", "ES256"])


def test_an_over_long_token_is_refused_before_parsing(ring: KeyRing) -> None:
    token = sign_jwt(ring, _claims(ring, padding="x" * MAX_TOKEN_LENGTH), alg="EdDSA")
    with pytest.raises(InvalidToken, match=str(MAX_TOKEN_LENGTH)):
        verify_jwt(ring, token, algorithms=["EdDSA"])
    with pytest.raises(InvalidToken, match=str(MAX_TOKEN_LENGTH)):
        verify_jwt(ring, "a" * (MAX_TOKEN_LENGTH + 1), algorithms=["EdDSA"])


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "a.b.c.d.e", "ü.ü.ü", "eyJhbGciOiJSUzI1NiJ9..", None, 42])
def test_garbage_is_refused_as_an_invalid_token(ring: KeyRing, garbage: Any) -> None:
    with pytest.raises(InvalidToken):
        verify_jwt(ring, garbage, algorithms=["RS256"])


@pytest.mark.parametrize("payload", [b"[1, 2]", b"not json", b'"text"'])
def test_a_signed_payload_that_is_not_a_claims_object_is_refused(ring: KeyRing, payload: bytes) -> None:
    key = ring.current("ES256")
    token = jws.serialize_compact({"alg": "ES256", "kid": key.kid}, payload, key, algorithms=["ES256"])
    with pytest.raises(InvalidToken, match="JSON object"):
        verify_jwt(ring, token, algorithms=["ES256"])


def test_expired_tokens_are_told_apart_from_forged_ones(ring: KeyRing, clock: Clock) -> None:
    token = sign_jwt(ring, _claims(ring), alg="RS256")
    clock.advance(600 - 1)  # its last second
    assert verify_jwt(ring, token, algorithms=["RS256"])["sub"] == "citizen"
    clock.advance(1)  # no leeway: we signed it by this very clock
    with pytest.raises(ExpiredToken) as caught:
        verify_jwt(ring, token, algorithms=["RS256"])
    assert isinstance(caught.value, InvalidToken)  # catching InvalidToken alone rejects it too
    assert verify_jwt(ring, token, algorithms=["RS256"], allow_expired=True)["sub"] == "citizen"


@pytest.mark.parametrize(
    "claims",
    [{"sub": "citizen"}, {"exp": "tomorrow"}, {"exp": True}, {"exp": float("nan")}, {"exp": None}],
)
def test_a_token_without_a_usable_expiry_is_refused(ring: KeyRing, claims: dict[str, Any]) -> None:
    token = sign_jwt(ring, claims, alg="RS256")
    with pytest.raises(InvalidToken, match="expiry"):
        verify_jwt(ring, token, algorithms=["RS256"], allow_expired=True)


@pytest.mark.parametrize("ahead", [1, 300])
def test_a_token_that_is_not_valid_yet_is_refused(ring: KeyRing, ahead: int) -> None:
    token = sign_jwt(ring, _claims(ring, nbf=int(ring.now().timestamp()) + ahead), alg="RS256")
    with pytest.raises(InvalidToken, match="not valid yet"):
        verify_jwt(ring, token, algorithms=["RS256"])


def test_the_token_type_can_be_pinned(ring: KeyRing) -> None:
    id_token = sign_jwt(ring, _claims(ring), alg="RS256")
    with pytest.raises(InvalidToken, match="type"):
        verify_jwt(ring, id_token, algorithms=["RS256"], typ="at+jwt")
    logout = sign_jwt(ring, _claims(ring), alg="RS256", typ="logout+jwt")
    with pytest.raises(InvalidToken, match="type"):
        verify_jwt(ring, logout, algorithms=["RS256"], typ="at+jwt")


def test_a_token_signed_with_a_removed_key_no_longer_verifies(app: Flask, ring: KeyRing, clock: Clock) -> None:
    token = sign_jwt(ring, _claims(ring), alg="EdDSA")
    with unit_of_work(session_factory(app)) as session:
        (rotation,) = rotate_keys(
            session, kek=KEK, policy=POLICY, actor="test", now=clock(), force=True, algorithms=[Algorithm.EDDSA]
        ).rotations
    clock.now = rotation.remove_after
    with pytest.raises(UnknownKid):
        verify_jwt(ring, token, algorithms=["EdDSA"], allow_expired=True)
