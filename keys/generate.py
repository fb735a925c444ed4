"""Create signing key pairs with ``cryptography`` and describe them as JWKs (RFC 7517, RFC 7638 kids)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from joserfc import jwk

from .errors import UnsupportedAlgorithm
from .models import Algorithm

#: RSA modulus size. 2048 bits is NIST's minimum through 2030 (SP 800-57 Part 1 r5); keys here live
#: about a rotation interval (30 days by default), and 3072 bits would sign about three times slower.
RSA_KEY_BITS = 2048
#: JWK key type of each algorithm (RFC 7518 §6, RFC 8037 §2).
KEY_TYPES: Mapping[Algorithm, str] = {Algorithm.RS256: "RSA", Algorithm.ES256: "EC", Algorithm.EDDSA: "OKP"}


@dataclass(frozen=True, slots=True, repr=False)
class NewKey:
    """A freshly generated key pair, as JWKs; the private JWK exists only until it is sealed."""

    kid: str
    alg: Algorithm
    public_jwk: dict[str, Any]
    private_jwk: dict[str, Any]

    def __repr__(self) -> str:  # never print private material, even in a traceback
        return f"NewKey(kid={self.kid!r}, alg={self.alg.value!r})"


def parse_algorithm(name: str) -> Algorithm:
    """The algorithm called *name*, or :class:`UnsupportedAlgorithm` (``none`` and HMAC are never ours)."""
    try:
        return Algorithm(name)
    except ValueError:
        supported = ", ".join(a.value for a in Algorithm)
        raise UnsupportedAlgorithm(f"Signing algorithm {name!r} is not supported; use one of {supported}.") from None


def generate_key(alg: Algorithm) -> NewKey:
    """A new key pair for *alg*; its kid is the RFC 7638 thumbprint of the public key."""
    native = _generate_native(alg)
    pem = native.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    key = jwk.import_key(pem, KEY_TYPES[alg])
    kid = key.thumbprint()
    parameters = {"kid": kid, "alg": alg.value, "use": "sig"}
    return NewKey(kid, alg, key.as_dict(private=False, **parameters), key.as_dict(private=True, **parameters))


def key_id(public_jwk: Mapping[str, Any]) -> str:
    """RFC 7638 thumbprint (SHA-256, base64url) of a JWK: the kid we give every key."""
    return jwk.import_key(dict(public_jwk)).thumbprint()


def _generate_native(alg: Algorithm) -> rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey:
    if alg is Algorithm.RS256:
        return rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_BITS)
    if alg is Algorithm.ES256:
        return ec.generate_private_key(ec.SECP256R1())
    return ed25519.Ed25519PrivateKey.generate()
