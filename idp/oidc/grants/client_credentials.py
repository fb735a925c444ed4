"""The client credentials grant (RFC 6749 §4.4) for portal back-ends that an administrator allowed it.

No citizen is involved, so no refresh token and no ID token; the access token's ``sub`` is the client.
"""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.hooks import hooked

from .auth_methods import CONFIDENTIAL_AUTH_METHODS


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = CONFIDENTIAL_AUTH_METHODS

    @hooked
    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        """Only the requested scopes the client is allowed (ASVS 10.4.11); Authlib grants whatever is asked,
        restricted scopes included. The response names the scope granted (RFC 6749 §3.3)."""
        scope = self.client.get_allowed_scope(self.request.payload.scope) or None
        token = self.generate_token(scope=scope, include_refresh_token=False)
        self.save_token(token)
        return 200, token, self.TOKEN_RESPONSE_HEADER
