"""What the token, revocation and introspection endpoints share: no repeated parameter, an authenticated
client and the token it names; at the token endpoint, a grant_type."""

from __future__ import annotations

from typing import Any

from authlib.oauth2.base import invalid_error_characters
from authlib.oauth2.rfc6749 import InvalidRequestError, OAuth2Request
from flask import request

from .grants import TOKEN_AUTH_METHODS


def refuse_repeated_parameters() -> None:
    """RFC 6749 §3.1: parameters MUST NOT be included more than once; Authlib would read only the first."""
    repeated = next((name for name in request.values if len(request.values.getlist(name)) > 1), None)
    if repeated is not None:
        named = f" '{repeated}'" if not invalid_error_characters(repeated) else ""
        raise InvalidRequestError(f"The parameter{named} is repeated.")


def require_grant_type() -> None:
    """RFC 6749 §5.2: a missing required parameter is invalid_request; Authlib would answer
    unsupported_grant_type, which tells the client the wrong thing to fix."""
    if not request.values.get("grant_type"):
        raise InvalidRequestError("Missing 'grant_type'.")


def authenticated_token_request(server: Any, oauth: OAuth2Request, endpoint: str) -> tuple[Any, str]:
    """The authenticated client and the ``token`` parameter; OAuth2Error otherwise."""
    refuse_repeated_parameters()
    client = server.authenticate_client(oauth, TOKEN_AUTH_METHODS, endpoint=endpoint)
    token = request.form.get("token")
    if not token:
        raise InvalidRequestError("Missing 'token'.")
    return client, token
