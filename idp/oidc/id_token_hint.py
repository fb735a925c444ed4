"""``id_token_hint`` (OIDC Core 3.1.2.1): an ID token we issued, naming the citizen the portal expects.

It is verified like any token we issued, with our published keys only and an algorithm allowlist, so
an ``alg: none`` token or one "signed" with HMAC over our public key is refused (SECURITY.md V8, V9).
An expired hint is still a valid hint: it only says who was signed in.
"""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749 import InvalidRequestError

from keys import InvalidToken, verify_jwt

from ..config import Settings
from .discovery import SIGNING_ALGS


def hinted_subject(
    keyring: Any, hint: str | None, *, client_id: str, settings: Settings, redirect_uri: str
) -> str | None:
    """The ``sub`` of a genuine hint issued to this client, None without a hint; else invalid_request."""
    if not hint:
        return None
    try:
        claims = verify_jwt(keyring, hint, algorithms=SIGNING_ALGS, allow_expired=True)
    except InvalidToken:
        message = "The id_token_hint was not issued by this provider."
        raise InvalidRequestError(message, redirect_uri=redirect_uri) from None
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    subject = claims.get("sub")
    if claims.get("iss") != settings.issuer or client_id not in audiences or not isinstance(subject, str):
        raise InvalidRequestError("The id_token_hint was not issued to this client.", redirect_uri=redirect_uri)
    return subject
