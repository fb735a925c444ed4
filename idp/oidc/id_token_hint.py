"""``id_token_hint`` (OIDC Core 3.1.2.1): an ID token we issued, naming the citizen the portal expects.

It is verified like any token we issued, with our published keys only and an algorithm allowlist, so
an ``alg: none`` token or one "signed" with HMAC over our public key is refused (SECURITY.md V8, V9).
An expired hint is still a valid hint: it only says who was signed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from authlib.oauth2.rfc6749 import InvalidRequestError

from keys import InvalidToken, verify_jwt

from ..config import Settings
from .discovery import SIGNING_ALGS


class ForeignHint(Exception):
    """The hint is not an ID token this provider issued."""


@dataclass(frozen=True, slots=True)
class Hint:
    """What a genuine hint says: the portals it was issued to, the citizen and the session they know."""

    audiences: tuple[str, ...]
    sub: str | None
    sid: str | None


def read_hint(keyring: Any, hint: str, settings: Settings) -> Hint:
    """A genuine hint's claims (expired or not); :class:`ForeignHint` for anything we did not issue."""
    try:
        claims = verify_jwt(keyring, hint, algorithms=SIGNING_ALGS, allow_expired=True)
    except InvalidToken:
        raise ForeignHint from None
    if claims.get("iss") != settings.issuer:
        raise ForeignHint
    audience = claims.get("aud")
    audiences = tuple(aud for aud in (audience if isinstance(audience, list) else [audience]) if isinstance(aud, str))
    sub, sid = claims.get("sub"), claims.get("sid")
    return Hint(audiences, sub if isinstance(sub, str) else None, sid if isinstance(sid, str) else None)


def hinted_subject(
    keyring: Any, hint: str | None, *, client_id: str, settings: Settings, redirect_uri: str
) -> str | None:
    """The ``sub`` of a genuine hint issued to this client, None without a hint; else invalid_request."""
    if not hint:
        return None
    try:
        genuine = read_hint(keyring, hint, settings)
    except ForeignHint:
        message = "The id_token_hint was not issued by this provider."
        raise InvalidRequestError(message, redirect_uri=redirect_uri) from None
    if client_id not in genuine.audiences or genuine.sub is None:
        raise InvalidRequestError("The id_token_hint was not issued to this client.", redirect_uri=redirect_uri)
    return genuine.sub
