"""Checking our own JWT access tokens where the provider itself is the resource (userinfo, introspection).

Signature, algorithm and expiry are checked by ``keys.verify_jwt`` against our published keys only;
then the token must be ours (``iss``, ``aud``), not revoked by ``jti``, and its grant still live.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from identity.types import utcnow
from keys import InvalidToken, verify_jwt

from ..config import Settings
from ..sso.models import Grant, RevokedAccessToken

ACCESS_TOKEN_ALGS = ("RS256", "ES256", "EdDSA")


class InactiveToken(Exception):
    """Not a live access token of this provider (forged, expired, revoked, or someone else's)."""


def verify_access_token_offline(keyring: Any, token: str, settings: Settings) -> dict[str, Any]:
    """The checks that need no database: signature, algorithm, type, expiry, issuer and audience.

    Not enough on its own: the caller must still check the ``jti`` denylist and the grant."""
    try:
        claims = verify_jwt(keyring, token, algorithms=ACCESS_TOKEN_ALGS, typ="at+jwt")
    except InvalidToken:
        raise InactiveToken from None
    if claims.get("iss") != settings.issuer or claims.get("aud") != settings.issuer or "client_id" not in claims:
        raise InactiveToken
    return claims


def verify_access_token(session: Session, keyring: Any, token: str, settings: Settings) -> dict[str, Any]:
    """The claims of a live access token: the offline checks, then not revoked by ``jti`` nor by its grant."""
    claims = verify_access_token_offline(keyring, token, settings)
    if session.get(RevokedAccessToken, str(claims.get("jti"))) is not None:
        raise InactiveToken
    if "gid" in claims:
        grant = session.scalars(select(Grant).where(Grant.key == claims["gid"])).one_or_none()
        if grant is None or grant.revoked_at is not None or grant.expires_at <= utcnow():
            raise InactiveToken
    return claims
