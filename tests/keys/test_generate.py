"""Key generation: one key type per algorithm, kids are RFC 7638 thumbprints, public JWKs hold no secret."""

from __future__ import annotations

import pytest

from keys import Algorithm, UnsupportedAlgorithm, key_id, parse_algorithm
from keys.generate import generate_key

#: RFC 7638 §3.1: the example RSA key and its SHA-256 thumbprint.
RFC7638_JWK = {
    "kty": "RSA",
    "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3"
    "oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6"
    "qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJz"
    "KnqDKgw",
    "e": "AQAB",
    "alg": "RS256",
    "kid": "2011-04-29",
}
PUBLIC_MEMBERS = {
    Algorithm.RS256: {"kty", "kid", "alg", "use", "n", "e"},
    Algorithm.ES256: {"kty", "kid", "alg", "use", "crv", "x", "y"},
    Algorithm.EDDSA: {"kty", "kid", "alg", "use", "crv", "x"},
}
CURVES = {Algorithm.ES256: "P-256", Algorithm.EDDSA: "Ed25519"}


def test_the_kid_is_the_rfc7638_thumbprint() -> None:
    assert key_id(RFC7638_JWK) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


@pytest.mark.parametrize("alg", list(Algorithm))
def test_each_algorithm_gets_its_key_type_and_a_derivable_kid(alg: Algorithm) -> None:
    key = generate_key(alg)
    assert set(key.public_jwk) == PUBLIC_MEMBERS[alg]
    assert key.public_jwk["alg"] == alg.value
    assert key.public_jwk["use"] == "sig"
    assert key.public_jwk["kid"] == key.kid == key_id(key.public_jwk)
    assert key.public_jwk.get("crv") == CURVES.get(alg)
    assert "d" in key.private_jwk
    assert key.private_jwk["d"] not in repr(key)  # a traceback never shows private material


def test_rsa_keys_have_a_2048_bit_modulus() -> None:
    key = generate_key(Algorithm.RS256)
    assert len(key.public_jwk["n"]) == 342  # base64url of 256 bytes


def test_two_keys_never_share_a_kid() -> None:
    assert generate_key(Algorithm.ES256).kid != generate_key(Algorithm.ES256).kid


@pytest.mark.parametrize("name", ["none", "HS256", "RS512", "Ed25519", "rs256", ""])
def test_only_our_three_algorithms_are_accepted(name: str) -> None:
    with pytest.raises(UnsupportedAlgorithm, match="RS256, ES256, EdDSA"):
        parse_algorithm(name)
