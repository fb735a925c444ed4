"""Sign JWTs with our current key, and verify JWTs that we issued (RFC 7515, RFC 7519, RFC 8725).

Verification is for our own tokens only (``id_token_hint``, JWT access tokens, logout tokens), so it
can be strict where a general JWT library must be lenient (ASVS 9.1, SECURITY.md §6.7, V8–V11):

1. the token is capped at :data:`MAX_TOKEN_LENGTH` characters before anything parses it;
2. its ``alg`` must be in the caller's allowlist, which may only name our asymmetric algorithms:
   ``none`` and HMAC can never verify, so a public key can never act as an HMAC secret;
3. the header may carry only ``alg``, ``kid`` and ``typ``: a ``jwk``, ``jku``, ``x5u``, ``x5c`` or
   ``crit`` header is refused, never followed; the key is chosen only by ``kid`` among the keys we
   publish, and the key's own ``alg`` must equal the header's;
4. the signature is checked before any claim is read; then ``nbf`` and ``exp`` (required), with no
   leeway: we set them by the clock we check them by, so a token is refused the moment it expires
   (leeway is for what others sign, such as client assertions).

Issuer, audience and purpose claims are the caller's to check; ``typ`` can be pinned here.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from joserfc import jws, jwt
from joserfc.errors import JoseError, UnsupportedAlgorithmError
from joserfc.jws import JWSRegistry

from .errors import ExpiredToken, InvalidToken, UnsupportedAlgorithm
from .generate import parse_algorithm
from .keyset import KeyRing
from .models import Algorithm

#: Longest token accepted for verification; ours are well under 2 KB (RFC 8725 §3.13 spirit, V11).
MAX_TOKEN_LENGTH = 8192
_HEADER_NAMES = frozenset({"alg", "kid", "typ"})


class _Registry(JWSRegistry):
    """A JWS registry that allows exactly one algorithm of ours.

    joserfc warns on every use of ``EdDSA`` because RFC 9864 deprecates the name in favour of
    ``Ed25519``; OpenID Connect relying parties know ``EdDSA``, so we keep it and skip the warning.
    """

    def get_alg(self, name: str) -> Any:
        if not self.allowed or name not in self.allowed:
            raise UnsupportedAlgorithmError(f"Algorithm of '{name}' is not allowed")
        return self.algorithms[name]


_REGISTRIES = {alg: _Registry(algorithms=[alg.value]) for alg in Algorithm}


def sign_jwt(keyring: KeyRing, claims: Mapping[str, Any], *, alg: str, typ: str | None = None) -> str:
    """A compact JWS of *claims* signed by the current key of *alg*, whose kid goes in the header."""
    algorithm = parse_algorithm(alg)
    key = keyring.current(algorithm)
    header = {"alg": algorithm.value, "kid": key.kid}
    return jwt.encode(header, dict(claims), key, registry=_REGISTRIES[algorithm], default_type=typ)


def verify_jwt(
    keyring: KeyRing,
    token: str,
    *,
    algorithms: Sequence[str],
    typ: str | None = None,
    allow_expired: bool = False,
) -> dict[str, Any]:
    """The claims of a token we signed, after the checks in this module's docstring.

    *typ*, when given, must equal the header's ``typ`` (``at+jwt`` for RFC 9068 access tokens).
    *allow_expired* accepts a genuine token whose ``exp`` has passed (``id_token_hint``, OIDC Core
    §3.1.2.1); every other check still applies. Raises :class:`ExpiredToken`, :class:`UnknownKid` or
    :class:`InvalidToken` (the base of both), and :class:`UnsupportedAlgorithm` for a bad allowlist.
    """
    allowed = _allowlist(algorithms)
    compact = _parse(token)
    header = compact.headers()
    alg = header.get("alg")
    if alg not in allowed:
        raise InvalidToken(f"The token's algorithm {alg!r} is not accepted here.")
    if unexpected := set(header) - _HEADER_NAMES:
        raise InvalidToken(f"The token header carries parameters we never issue: {', '.join(sorted(unexpected))}.")
    if typ is not None and not _same_media_type(header.get("typ"), typ):
        raise InvalidToken(f"The token is not of type {typ!r}.")
    kid = header.get("kid")
    if not isinstance(kid, str):
        raise InvalidToken("The token names no signing key.")
    key = keyring.public_key(kid)
    if key.alg != alg:
        raise InvalidToken("The token's algorithm does not match its signing key.")
    try:
        genuine = jws.validate_compact(compact, key, registry=_REGISTRIES[Algorithm(alg)])
    except JoseError:
        genuine = False
    if not genuine:
        raise InvalidToken("The token's signature does not verify.")
    claims = _claims(compact.payload)
    _check_validity_period(claims, keyring, allow_expired=allow_expired)
    return claims


def _allowlist(algorithms: Sequence[str]) -> frozenset[str]:
    if isinstance(algorithms, str) or not algorithms:
        raise UnsupportedAlgorithm("Name the accepted algorithms as a non-empty list, e.g. ['RS256'].")
    return frozenset(parse_algorithm(name).value for name in algorithms)


def _parse(token: str) -> jws.CompactSignature:
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
        raise InvalidToken(f"The token is not a string of at most {MAX_TOKEN_LENGTH} characters.")
    try:
        return jws.extract_compact(token.encode("ascii"))
    except (JoseError, UnicodeError, ValueError):
        raise InvalidToken("The token is not a compact JWS.") from None


def _claims(payload: bytes | None) -> dict[str, Any]:
    try:
        claims = json.loads(payload or b"")
    except ValueError:
        claims = None
    if not isinstance(claims, dict):
        raise InvalidToken("The token's payload is not a JSON object.")
    return claims


def _check_validity_period(claims: Mapping[str, Any], keyring: KeyRing, *, allow_expired: bool) -> None:
    now = keyring.now().timestamp()
    exp, nbf = claims.get("exp"), claims.get("nbf")
    if not _is_time(exp):
        raise InvalidToken("The token has no valid expiry time.")
    if nbf is not None and (not _is_time(nbf) or nbf > now):
        raise InvalidToken("The token is not valid yet.")
    if exp <= now and not allow_expired:
        raise ExpiredToken("The token has expired.")


def _is_time(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _same_media_type(actual: object, expected: str) -> bool:
    """RFC 7515 §4.1.9: compare case-insensitively, with the ``application/`` prefix optional."""
    if not isinstance(actual, str):
        return False
    return actual.lower().removeprefix("application/") == expected.lower().removeprefix("application/")
