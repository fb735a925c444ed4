"""The authenticated party a grant acts for, as Authlib's ``user`` argument carries it through a request."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from .models import Grant


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
    grant: Grant | None = None
    refresh_token: str | None = None
    refresh_token_exists: bool = False

    def get_user_id(self) -> int:
        """Authlib's name for the local user key."""
        return self.person_id
