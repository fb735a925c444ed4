"""The authorization code grant (RFC 6749 §4.1, OIDC Core 3.1) on our storage.

The library asks for save, query, delete and authenticate_user; we answer with hashed, single-use,
client-bound codes, and open one grant (token family) per successful exchange.
"""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749 import InvalidGrantError, grants
from authlib.oauth2.rfc6749.hooks import hooked

from ...db import db_session, standing_session
from ...sso.codes import CodeRequest, ConsumedCode, consume_code, principal_from_code, save_code
from ...sso.errors import GrantRefused
from ...sso.exchange import open_grant
from ...sso.opaque import new_secret
from ...sso.principal import Principal
from .auth_methods import TOKEN_AUTH_METHODS


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = TOKEN_AUTH_METHODS

    def generate_authorization_code(self) -> str:
        return new_secret()

    def save_authorization_code(self, code: str, request: Any) -> None:
        data = request.payload.data
        bound_to = CodeRequest(
            client_id=request.client.client_id,
            redirect_uri=request.payload.redirect_uri,
            scope=request.scope,
            nonce=data.get("nonce"),
            code_challenge=data.get("code_challenge"),
            code_challenge_method=data.get("code_challenge_method"),
        )
        ttl = self.server.settings.authorization_code_ttl
        save_code(db_session(), code, bound_to, request.user, ttl_seconds=ttl)

    def query_authorization_code(self, code: str, client: Any) -> ConsumedCode | None:
        """Consume the code atomically; a replay revokes what its first use produced. Both stand even when
        the exchange is then refused (a failed PKCE check burns the code, RFC 9700)."""
        return consume_code(standing_session(), code, client.client_id)

    def delete_authorization_code(self, authorization_code: ConsumedCode) -> None:
        """Used codes are kept (marked used), so that a replay can be recognised and punished."""

    def authenticate_user(self, authorization_code: ConsumedCode) -> Principal:
        try:
            return principal_from_code(db_session(), authorization_code)
        except GrantRefused as refusal:
            raise InvalidGrantError(str(refusal)) from None

    @hooked
    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        """Open a grant for this exchange (with its first refresh token), then issue tokens under it."""
        client, code = self.request.client, self.request.authorization_code
        principal = self.authenticate_user(code)
        self.request.user = principal
        with_refresh = client.check_grant_type("refresh_token")
        if with_refresh:
            principal.refresh_token = new_secret()
            principal.refresh_token_exists = True  # stored with the grant: save_token has nothing to add
        settings = self.server.settings
        open_grant(
            db_session(),
            code,
            principal,
            client_id=client.client_id,
            refresh_token=principal.refresh_token,
            absolute_ttl=settings.refresh_token_absolute_ttl,
            idle_ttl=settings.refresh_token_idle_ttl,
        )
        token = self.generate_token(user=principal, scope=code.scope, include_refresh_token=with_refresh)
        return 200, token, self.TOKEN_RESPONSE_HEADER
