"""ID tokens (OIDC Core 2, 3.1.3.6) for the code and refresh grants.

Authlib's OpenIDCode is not used: it defaults ``auth_time`` to now, copies every scope claim into
the ID token and needs its own prompt handling. Here the ID token carries the real authentication
event (auth_time, acr, amr, sid), the pairwise ``sub``, ``at_hash``, the nonce of the code, and only
the claims the portal asked for in the ID token through the ``claims`` parameter.
"""

from __future__ import annotations

import time
from typing import Any

from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oidc.core.util import create_half_hash

from identity.claims import person_claim_values
from identity.models import Person
from keys import sign_jwt

from ...db import db_session
from ...sso.codes import ConsumedCode, nonce_used_before
from ...sso.principal import Principal
from ..claims import release


def is_openid(scope: str | None) -> bool:
    return "openid" in (scope or "").split()


class IdTokenExtension:
    """Registered on the code and refresh grants; adds ``id_token`` when ``openid`` was granted."""

    def __call__(self, grant: Any) -> None:
        grant.register_hook("after_create_token_response", self.add_id_token)
        if grant.GRANT_TYPE == "authorization_code" and is_openid(grant.request.payload.scope):
            grant.register_hook("after_validate_authorization_request_payload", self.check_nonce)

    @staticmethod
    def check_nonce(grant: Any, redirect_uri: str) -> None:
        """RFC 9700 R10: refuse a nonce this client already used (constant nonces defeat replay protection)."""
        nonce = grant.request.payload.data.get("nonce")
        if not nonce:
            return
        if len(nonce) > 512:
            raise InvalidRequestError("The 'nonce' is too long.", redirect_uri=redirect_uri)
        if nonce_used_before(db_session(), grant.request.client.client_id, nonce):
            raise InvalidRequestError("This 'nonce' was used before; send a fresh one.", redirect_uri=redirect_uri)

    def add_id_token(self, grant: Any, response: tuple[int, dict[str, Any], Any]) -> dict[str, Any]:
        _, token, _ = response
        principal: Principal | None = grant.request.user
        if principal is None or not is_openid(token.get("scope")):
            return token
        token["id_token"] = self.encode(grant, principal, token)
        return token

    def encode(self, grant: Any, principal: Principal, token: dict[str, Any]) -> str:
        server, client = grant.server, grant.request.client
        alg = client.id_token_signed_response_alg
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": server.settings.issuer,
            "sub": server.token_issuer.subject(client, principal),
            "aud": client.client_id,
            "iat": now,
            "exp": now + server.settings.id_token_ttl,
            "auth_time": int(principal.auth_time.timestamp()),
            "acr": principal.acr,
            "amr": list(principal.amr),
        }
        code = getattr(grant.request, "authorization_code", None)
        if isinstance(code, ConsumedCode) and code.nonce:
            claims["nonce"] = code.nonce
        if principal.sid:
            claims["sid"] = principal.sid
        at_hash = create_half_hash(token["access_token"], alg)
        if at_hash is not None:
            claims["at_hash"] = at_hash.decode()
        requested = (principal.claims_request or {}).get("id_token")
        if requested:
            session = db_session()
            person = session.get(Person, principal.person_id)
            values = person_claim_values(session, person) if person else {}
            claims.update(
                release(values, granted_scopes=token["scope"].split(), requested=requested, include_scope_claims=False)
            )
        return sign_jwt(server.keyring, claims, alg=alg, typ="JWT")
