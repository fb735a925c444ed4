"""The composition table: Authlib's authorization server with our grants, extensions and client auth.

Read this module to see the whole protocol surface of the token and authorization endpoints:
which grants exist, which extensions each one carries, and how clients authenticate.
"""

from __future__ import annotations

import hashlib
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import InvalidClientError, OAuth2Request
from flask import Flask

from ..config import Settings
from ..db import db_session
from ..sso.principal import Principal
from ..sso.refresh import store_refresh_token
from .basic_auth import client_secret_basic
from .client_auth import PrivateKeyJwt
from .client_cache import ActiveClients
from .grants import (
    AuthorizationCodeGrant,
    ClientCredentialsGrant,
    IdTokenExtension,
    RefreshTokenGrant,
    RequiredS256CodeChallenge,
)
from .tokens import TokenIssuer


class Provider(AuthorizationServer):
    """Our answers to the two questions Authlib asks the server: which client, and where to keep tokens."""

    def __init__(self, settings: Settings, keyring: Any, clients: ActiveClients) -> None:
        super().__init__()
        self.settings = settings
        self.keyring = keyring
        self.clients = clients
        self.token_issuer = TokenIssuer(
            issuer=settings.issuer,
            keyring=keyring,
            alg=settings.access_token_alg,
            access_ttl=settings.access_token_ttl,
            pairwise_salt=settings.pairwise_salt,
        )
        #: HMAC key deriving a refresh token's child from the parent (see refresh.py).
        self.refresh_child_key = hashlib.sha256(b"refresh-child:" + settings.secret_key.encode()).digest()

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        """Accept requests rebuilt from stored parameters (a resumed or pushed authorization request)."""
        if isinstance(request, OAuth2Request):
            return request
        return super().create_oauth2_request(request)

    def authenticate_client(self, request: OAuth2Request, methods: list[str], endpoint: str = "token") -> Any:
        """Authlib's client authentication, and a ``client_id`` sent along must name the client that
        authenticated (it identifies the client, RFC 6749 §3.2.1). Authlib ignores it once a method has
        succeeded, so one portal's credentials went through with another portal's client_id."""
        client = super().authenticate_client(request, methods, endpoint)
        named = request.payload.client_id
        if named is not None and named != client.client_id:
            raise InvalidClientError(status_code=401, description="The client_id is not the authenticated client's.")
        return client

    def query_client(self, client_id: str) -> Any:
        """Only active clients exist for the protocol: a suspended one gets no code and no token.

        Read through the short-lived in-process cache (client_cache.py, ``IDP_CLIENT_CACHE_TTL``); the
        request's database session is opened only on a miss. A client_id with NUL names no client and is
        never looked up: PostgreSQL refuses to compare it (a server error)."""
        if "\x00" in client_id:
            return None
        return self.clients.cached(client_id) or self.clients.get(db_session(), client_id)

    def save_token(self, token: dict[str, Any], request: Any) -> None:
        """Only refresh tokens are stored (as hashes); access tokens are self-contained JWTs."""
        principal: Principal | None = request.user
        if "refresh_token" not in token or principal is None or principal.grant is None:
            return
        if principal.refresh_token_exists:
            return
        rotation = getattr(request, "refresh_token", None)
        store_refresh_token(
            db_session(),
            token["refresh_token"],
            principal.grant,
            parent_id=getattr(rotation, "parent_id", None),
            idle_seconds=self.settings.refresh_token_idle_ttl,
        )


def endpoint_url(settings: Settings, path: str) -> str:
    return settings.issuer.rstrip("/") + path


def build_provider(app: Flask, settings: Settings, keyring: Any) -> Provider:
    server = Provider(settings, keyring, ActiveClients(ttl=settings.client_cache_ttl))
    server.init_app(app)
    server.register_token_generator("default", server.token_issuer)
    server.register_grant(AuthorizationCodeGrant, [RequiredS256CodeChallenge(required=True), IdTokenExtension()])
    server.register_grant(RefreshTokenGrant, [IdTokenExtension()])
    server.register_grant(ClientCredentialsGrant)
    audiences = [settings.issuer, endpoint_url(settings, "/token"), endpoint_url(settings, "/par")]
    server.register_client_auth_method("client_secret_basic", client_secret_basic)
    server.register_client_auth_method(PrivateKeyJwt.CLIENT_AUTH_METHOD, PrivateKeyJwt(audiences))
    return server
