"""Token responses: JWT access tokens (RFC 9068) and opaque refresh tokens.

Access tokens are short-lived and self-contained, so a portal's resource server can verify them
offline; the provider still honours revocation at userinfo and introspection through the ``jti``
denylist and the grant key (``gid``) they carry.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from keys import sign_jwt

from ..sso.principal import Principal
from ..sso.subject import pairwise_subject


class TokenIssuer:
    """Authlib's token generator: called as ``generate(grant_type, client, user, scope, ...)``."""

    def __init__(self, *, issuer: str, keyring: Any, alg: str, access_ttl: int, pairwise_salt: str) -> None:
        self.issuer = issuer
        self.keyring = keyring
        self.alg = alg
        self.access_ttl = access_ttl
        self.pairwise_salt = pairwise_salt

    def subject(self, client: Any, principal: Principal) -> str:
        return self.subject_of(client, principal.person_id)

    def subject_of(self, client: Any, person_id: int) -> str:
        """The pairwise ``sub`` of a person for this client's sector."""
        return pairwise_subject(client.sector or client.client_id, person_id, self.pairwise_salt)

    def __call__(  # noqa: PLR0917  (Authlib's generator signature)
        self,
        grant_type: str,
        client: Any,
        user: Principal | None = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        now = int(time.time())
        ttl = expires_in or self.access_ttl
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.issuer,
            "iat": now,
            "exp": now + ttl,
            "jti": secrets.token_urlsafe(16),
            "client_id": client.client_id,
            "sub": client.client_id,
        }
        if scope:
            claims["scope"] = scope
        if user is not None:
            claims["sub"] = self.subject(client, user)
            claims["auth_time"] = int(user.auth_time.timestamp())
            claims["acr"] = user.acr
            claims["amr"] = list(user.amr)
            if user.grant is not None:
                claims["gid"] = user.grant.key
        token: dict[str, Any] = {
            "token_type": "Bearer",
            "access_token": sign_jwt(self.keyring, claims, alg=self.alg, typ="at+jwt"),
            "expires_in": ttl,
        }
        if scope:
            token["scope"] = scope
        if include_refresh_token and user is not None and user.refresh_token:
            token["refresh_token"] = user.refresh_token
        return token
