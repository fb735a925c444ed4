"""The public keys of a ``private_key_jwt`` client (RFC 7523 §2.2; OIDC Registration ``jwks``).

Only public asymmetric signing keys are accepted: a symmetric (``oct``) key in a client's key set is
what lets an HMAC "signature" made with public material verify (algorithm confusion, SECURITY.md V8),
and private key material has no business on the provider. Each key is imported with joserfc, the
library Authlib's client-assertion check uses, so what registration accepts is what verification can
use.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from .errors import InvalidMetadata

MAX_JWKS_LENGTH = 64 * 1024
MAX_KEYS = 10
MIN_RSA_BITS = 2048
#: Key types and curves that match the signing algorithms this provider supports (RS256, ES256, EdDSA).
_CURVES = {"RSA": None, "EC": frozenset({"P-256"}), "OKP": frozenset({"Ed25519"})}
#: JWK members that carry private or symmetric key material (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2).
_SECRET_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
_FIELD = "jwks"


def validate_jwks(value: str | Mapping[str, Any]) -> str:
    """Check a JWKS given as JSON text or a mapping; return it as canonical JSON text for storage."""
    data = _as_object(value)
    keys = data.get("keys")
    if set(data) != {"keys"} or not isinstance(keys, list) or not keys:
        raise _refuse("it must be a JSON object with one member, 'keys', a non-empty list of keys")
    if len(keys) > MAX_KEYS:
        raise _refuse(f"it holds more than {MAX_KEYS} keys")
    for number, key in enumerate(keys, start=1):
        _check_key(number, key)
    kids = [key.get("kid") for key in keys]
    if len(keys) > 1 and (None in kids or len(set(kids)) != len(kids)):
        raise _refuse("with several keys, each key needs its own 'kid' so that an assertion names its key")
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


def public_key_set(jwks_text: str) -> KeySet:
    """The stored JWKS as the joserfc key set that ``resolve_client_public_key`` hands to Authlib."""
    return KeySet.import_key_set(json.loads(jwks_text))


def _as_object(value: str | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(value, Mapping):
        return dict(value)
    if len(value) > MAX_JWKS_LENGTH:
        raise _refuse(f"it is longer than {MAX_JWKS_LENGTH} characters")
    try:
        data = json.loads(value)
    except ValueError:
        raise _refuse("it is not valid JSON") from None
    if not isinstance(data, dict):
        raise _refuse("it must be a JSON object")
    return data


def _check_key(number: int, key: object) -> None:
    if not isinstance(key, dict):
        raise _refuse(f"key {number} is not a JSON object")
    kty = key.get("kty")
    if kty not in _CURVES:
        raise _refuse(
            f"key {number} has type {kty!r}; only public RSA, EC (P-256) and OKP (Ed25519) keys are accepted, "
            "never symmetric 'oct' keys"
        )
    secret = sorted(_SECRET_MEMBERS & set(key))
    if secret:
        raise _refuse(f"key {number} contains private key material ({', '.join(secret)}); register the public key only")
    curves = _CURVES[kty]
    if curves is not None and key.get("crv") not in curves:
        raise _refuse(f"key {number} uses curve {key.get('crv')!r}; accepted: {', '.join(sorted(curves))}")
    if key.get("use", "sig") != "sig" or not set(key.get("key_ops", ["verify"])) <= {"verify"}:
        raise _refuse(f"key {number} is not a signature-verification key (use 'sig', key_ops 'verify')")
    if kty == "RSA" and _modulus_bits(key.get("n")) < MIN_RSA_BITS:
        raise _refuse(f"key {number} is an RSA key shorter than {MIN_RSA_BITS} bits")
    try:
        KeySet.import_key_set({"keys": [key]})
    except (JoseError, ValueError, TypeError) as error:
        raise _refuse(f"key {number} is not a valid public key ({error})") from None


def _modulus_bits(n: object) -> int:
    """Size of an RSA modulus given in base64url, checked before import (0 when unreadable)."""
    if not isinstance(n, str):
        return 0
    try:
        return int.from_bytes(base64.urlsafe_b64decode(n + "=" * (-len(n) % 4)), "big").bit_length()
    except ValueError:
        return 0


def _refuse(why: str) -> InvalidMetadata:
    return InvalidMetadata(f"The client's public keys (jwks) are refused: {why}.", field=_FIELD)
