"""Validation of a back-channel logout token (OpenID Connect Back-Channel Logout 1.0, §2.4 and §2.6).

Anyone can POST to the portal's logout endpoint, so nothing in the token is believed before every
check has passed: a signature by a key of the provider's JWKS with an asymmetric algorithm the
provider publishes (never ``none`` or a shared-secret HMAC), the issuer, this portal as audience,
a recent ``iat``, ``exp`` when present, the back-channel event, ``sid`` and/or ``sub``, no ``nonce``
(so an ID token can never pass for a logout token) and ``typ`` ``logout+jwt`` when present. Whether
its ``jti`` was seen before is the store's business (``SessionStore.end_by_provider``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
#: Signature algorithms with a public verification key; anything else (``none``, ``HS*``) is refused.
ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"}
)
LOGOUT_JWT_TYPES = frozenset({"logout+jwt", "application/logout+jwt"})


class InvalidLogoutToken(Exception):
    """The token must not be honoured; the message says why (for the answer's ``error_description``)."""


@dataclass(frozen=True, slots=True)
class LogoutClaims:
    jti: str
    iat: int
    sid: str | None
    sub: str | None
    exp: int | None


@dataclass(frozen=True, slots=True)
class Expectations:
    """What a logout token for this portal must say."""

    issuer: str
    client_id: str
    #: Algorithms the provider publishes for its tokens (``id_token_signing_alg_values_supported``).
    algorithms: frozenset[str]
    max_age: int
    leeway: int


#: The provider's JWKS; called with ``True`` when a key id is unknown (the keys may have rotated).
KeySource = Callable[[bool], Mapping[str, Any]]


def validate(token: str, keys: KeySource, expect: Expectations, *, now: float) -> LogoutClaims:
    """The claims of a logout token that passed every check; :class:`InvalidLogoutToken` otherwise."""
    if not isinstance(token, str) or token.count(".") != 2:
        raise InvalidLogoutToken("the logout token is not a signed JWT")
    algorithms = sorted(expect.algorithms & ASYMMETRIC_ALGORITHMS)
    if not algorithms:  # joserfc would read an empty list as "its recommended ones", HS256 among them
        raise InvalidLogoutToken("no asymmetric algorithm is expected")
    decoded = _verified(token, keys, algorithms)
    typ = decoded.header.get("typ")
    if typ is not None and str(typ).lower() not in LOGOUT_JWT_TYPES:
        raise InvalidLogoutToken(f"typ {typ!r} is not logout+jwt")
    return _checked_claims(decoded.claims, expect, now)


def _verified(token: str, keys: KeySource, algorithms: list[str]) -> jwt.Token:
    """Verified with the provider's keys as known, or as fetched again when the key id is new to us."""
    registry = JWSRegistry(algorithms=algorithms)
    try:
        return _decode(token, keys(False), registry)
    except InvalidKeyIdError:
        pass
    try:
        return _decode(token, keys(True), registry)
    except InvalidKeyIdError:
        raise InvalidLogoutToken("no key of the provider has this token's kid") from None


def _decode(token: str, key_set: Mapping[str, Any], registry: JWSRegistry) -> jwt.Token:
    try:
        return jwt.decode(token, KeySet.import_key_set(dict(key_set)), registry=registry)
    except InvalidKeyIdError:
        raise
    except (JoseError, ValueError, KeyError, TypeError) as error:
        raise InvalidLogoutToken(f"the signature or header is not acceptable ({type(error).__name__})") from None


def _checked_claims(claims: Mapping[str, Any], expect: Expectations, now: float) -> LogoutClaims:
    if claims.get("iss") != expect.issuer:
        raise InvalidLogoutToken("iss is not the provider")
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if expect.client_id not in audiences:
        raise InvalidLogoutToken("aud does not name this portal")
    iat = _number(claims, "iat", required=True)
    assert iat is not None
    if iat > now + expect.leeway:
        raise InvalidLogoutToken("iat is in the future")
    if iat < now - expect.max_age - expect.leeway:
        raise InvalidLogoutToken("iat is too old")
    exp = _number(claims, "exp", required=False)
    if exp is not None and exp < now - expect.leeway:
        raise InvalidLogoutToken("the token has expired")
    events = claims.get("events")
    if not isinstance(events, Mapping) or not isinstance(events.get(BACKCHANNEL_EVENT), Mapping):
        raise InvalidLogoutToken("events has no back-channel logout event")
    if "nonce" in claims:
        raise InvalidLogoutToken("a logout token never carries a nonce")
    sid, sub = _text(claims, "sid"), _text(claims, "sub")
    if sid is None and sub is None:
        raise InvalidLogoutToken("neither sid nor sub is present")
    jti = _text(claims, "jti")
    if jti is None:
        raise InvalidLogoutToken("jti is missing")
    return LogoutClaims(jti=jti, iat=iat, sid=sid, sub=sub, exp=exp)


def _number(claims: Mapping[str, Any], name: str, *, required: bool) -> int | None:
    value = claims.get(name)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidLogoutToken(f"{name} is {'not a number' if value is not None else 'missing'}")
    return int(value)


def _text(claims: Mapping[str, Any], name: str) -> str | None:
    value = claims.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise InvalidLogoutToken(f"{name} is not a non-empty string")
    return value
