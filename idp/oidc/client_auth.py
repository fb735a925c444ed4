"""``private_key_jwt`` client authentication (RFC 7523 §2.2, OIDC Core 9) with replay protection.

Authlib verifies the assertion; we supply the audiences we accept, the client's registered public
keys (never a key named by the assertion itself), and a ``jti`` store so that an intercepted
assertion cannot be replayed (SECURITY.md V12, fosite CVE-2020-15222).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from authlib.oauth2.rfc6749 import InvalidClientError
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from joserfc.jwk import KeySet
from sqlalchemy.exc import IntegrityError

from identity.types import utcnow

from ..db import standing_session
from ..sso.models import UsedClientAssertion

#: The longest an assertion may stay valid from now. Its jti is remembered for that whole life, so an
#: assertion with a far-away ``exp`` is refused instead of outliving the memory of its jti.
MAX_ASSERTION_AGE = dt.timedelta(minutes=10)
#: Seconds a portal's clock may be off from ours; every second more keeps an expired assertion usable.
ASSERTION_LEEWAY = 5


class PrivateKeyJwt(JWTBearerClientAssertion):
    CLIENT_AUTH_METHOD = "private_key_jwt"

    def __init__(self, audiences: list[str]) -> None:
        super().__init__(validate_jti=True, leeway=ASSERTION_LEEWAY)
        self._audiences = audiences

    def get_audiences(self) -> list[str]:
        return self._audiences

    def resolve_client_public_key(self, client: Any) -> KeySet:
        """The registered keys only; a client registered for another method has none and is refused."""
        keys: KeySet | None = client.public_key_set()
        if keys is None:
            raise InvalidClientError(description="The client did not register keys for private_key_jwt.")
        return keys

    def verify_claims(self, claims: Any) -> None:
        exp = claims.get("exp")
        if isinstance(exp, int | float) and exp > (utcnow() + MAX_ASSERTION_AGE).timestamp() + self.leeway:
            raise InvalidClientError(description="The client assertion may be valid for 10 minutes at most.")
        super().verify_claims(claims)

    def validate_jti(self, claims: dict[str, Any], jti: str) -> bool:
        """Remember the jti until the assertion expires (leeway included); a second sighting is a replay.

        The jti stays spent whatever the endpoint answers next (V12): a standing write."""
        expires = dt.datetime.fromtimestamp(int(claims["exp"]) + self.leeway, tz=dt.UTC)
        session = standing_session()
        try:
            with session.begin_nested():
                session.add(UsedClientAssertion(client_id=str(claims["sub"]), jti=str(jti)[:200], expires_at=expires))
        except IntegrityError:
            return False
        return True

