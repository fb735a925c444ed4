"""A citizen's sign-in at the portal: what the provider said about them, and the tokens that came with it.

Kept as a plain dict in the session store; this class gives it names. ``acr`` and ``amr`` come from
the validated ID token, never from userinfo: they say how the citizen authenticated.
"""

from __future__ import annotations

import dataclasses
import secrets
from dataclasses import dataclass
from typing import Any

#: The provider's authentication context classes, weakest first (docs/oidc.md); unknown values rank lowest.
ACR_RANKS = {"urn:vn:eid:acr:pwd": 1, "urn:vn:eid:acr:mfa": 2, "urn:vn:eid:acr:mfa:ial2": 3}
MFA = "urn:vn:eid:acr:mfa"


def rank(acr: str | None) -> int:
    return ACR_RANKS.get(acr or "", 0)


@dataclass(frozen=True, slots=True)
class Login:
    id_token: str
    #: The ID token's validated claims.
    claims: dict[str, Any]
    userinfo: dict[str, Any]
    access_token: str
    refresh_token: str | None
    #: When the access token expires (epoch seconds).
    access_expires_at: float
    #: When the portal's own session ends, whatever the provider does.
    ends_at: float
    #: Names this sign-in, so that a refresh never lands on another one (or on none).
    login_id: str = dataclasses.field(default_factory=lambda: secrets.token_urlsafe(16))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Login:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @property
    def sub(self) -> str:
        return str(self.claims["sub"])

    @property
    def sid(self) -> str | None:
        return self.claims.get("sid")

    @property
    def acr(self) -> str | None:
        return self.claims.get("acr")

    @property
    def amr(self) -> list[str]:
        return list(self.claims.get("amr") or [])

    @property
    def name(self) -> str:
        return str(self.userinfo.get("name") or self.claims.get("name") or self.sub)

    def reaches(self, acr: str) -> bool:
        """Whether this sign-in is at least as strong as *acr*."""
        return rank(self.acr) >= rank(acr) > 0

    def refreshed(self, token: dict[str, Any], claims: dict[str, Any] | None, *, now: float) -> Login:
        """This sign-in with the tokens of a refresh (the refresh token rotates; a new ID token may come)."""
        return dataclasses.replace(
            self,
            id_token=token.get("id_token") or self.id_token,
            claims=claims or self.claims,
            access_token=token["access_token"],
            refresh_token=token.get("refresh_token") or self.refresh_token,
            access_expires_at=expiry(token, now),
        )


def expiry(token: dict[str, Any], now: float) -> float:
    """When an access token from this token response expires."""
    if token.get("expires_at"):
        return float(token["expires_at"])
    return now + float(token.get("expires_in") or 0)
