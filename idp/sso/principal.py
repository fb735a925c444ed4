"""The authenticated party a grant acts for, as Authlib's ``user`` argument carries it through a request."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class LiveGrant:
    """The grant (token family) a token response is issued under: its key goes into the access token
    (``gid``), its id and absolute expiry bound the refresh token."""

    id: int
    key: str
    scope: str
    expires_at: dt.datetime


@dataclass(slots=True)
class Principal:
    """A citizen's authentication event, plus the grant (token family) it produced once there is one.

    ``refresh_token`` is the plaintext to hand out in this response, prepared by the grant that
    issues it; it is never stored.
    """

    account_id: int
    person_id: int
    identity_level: int
    auth_time: dt.datetime
    acr: str
    amr: tuple[str, ...]
    sid: str | None
    session_id: int | None
    claims_request: dict[str, Any] | None = None
    grant: LiveGrant | None = None
    refresh_token: str | None = None
    refresh_token_exists: bool = False

    def get_user_id(self) -> int:
        """Authlib's name for the local user key."""
        return self.person_id
