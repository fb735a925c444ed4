"""What the revocation and introspection endpoints share: an authenticated client and the token it names."""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749 import InvalidRequestError, OAuth2Request
from flask import request
from sqlalchemy import select
from sqlalchemy.orm import Session

from .client_auth import keep_assertion_spent
from .grants import TOKEN_AUTH_METHODS
from .models import RefreshToken
from .opaque import digest


def authenticated_token_request(server: Any, oauth: OAuth2Request, endpoint: str) -> tuple[Any, str]:
    """The authenticated client and the ``token`` parameter; OAuth2Error otherwise."""
    client = server.authenticate_client(oauth, TOKEN_AUTH_METHODS, endpoint=endpoint)
    keep_assertion_spent(oauth)
    token = request.form.get("token")
    if not token:
        raise InvalidRequestError("Missing 'token'.")
    return client, token


def find_refresh_token(session: Session, token: str) -> RefreshToken | None:
    return session.scalars(select(RefreshToken).where(RefreshToken.token_hash == digest(token))).one_or_none()
