"""The refresh token grant (RFC 6749 §6) with rotation on every use and family revocation on reuse."""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749 import (
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
    UnauthorizedClientError,
    grants,
)
from authlib.oauth2.rfc6749.hooks import hooked
from authlib.oauth2.rfc6749.util import scope_to_list

from ...db import db_session, standing_session
from ...sso.errors import GrantRefused
from ...sso.grants import principal_from_grant
from ...sso.refresh import Rotation, granted_scope, rotate
from .auth_methods import TOKEN_AUTH_METHODS


class RefreshTokenGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = TOKEN_AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True

    def validate_token_request(self) -> None:
        client = self.authenticate_token_endpoint_client()
        if not client.check_grant_type(self.GRANT_TYPE):
            raise UnauthorizedClientError("The client may not use 'grant_type=refresh_token'.")
        presented = self.request.form.get("refresh_token")
        if not presented:
            raise InvalidRequestError("Missing 'refresh_token' in request.")
        self.request.client = client
        requested = self.request.payload.scope
        if requested:
            # RFC 6749 §6: a refresh may narrow the scope, never widen it (RFC 9700 R15). Checked before the
            # token is consumed, so a refused request leaves it usable instead of making the retry a reuse.
            granted = granted_scope(db_session(), presented, client.client_id)
            if granted is not None and not set(scope_to_list(requested)) <= set(scope_to_list(granted)):
                raise InvalidScopeError()
        try:
            self.request.refresh_token = rotate(
                standing_session(),  # a reuse revokes the family, and that must stand
                presented,
                client.client_id,
                key=self.server.refresh_child_key,
                grace_seconds=self.server.settings.refresh_reuse_grace,
                idle_seconds=self.server.settings.refresh_token_idle_ttl,
            )
        except GrantRefused as refusal:
            raise InvalidGrantError(str(refusal)) from None

    @hooked
    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        rotation: Rotation = self.request.refresh_token
        try:
            principal = principal_from_grant(db_session(), rotation.grant_id, rotation.grant)
        except GrantRefused as refusal:
            raise InvalidGrantError(str(refusal)) from None
        principal.refresh_token = rotation.child
        principal.refresh_token_exists = rotation.child_exists
        self.request.user = principal
        assert principal.grant is not None
        scope = self.request.payload.scope or principal.grant.scope
        token = self.generate_token(user=principal, scope=scope, include_refresh_token=True)
        self.save_token(token)
        return 200, token, self.TOKEN_RESPONSE_HEADER
