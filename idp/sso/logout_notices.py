"""The portals to tell when an SSO session ends (OpenID Connect Back-Channel and Front-Channel Logout 1.0).

Every portal that received tokens under the session (a grant of the session, revoked or not) took part in
it. One with a back-channel URI is owed a logout token: a row of ``logout_notices``, written in the
transaction that ends the session, so an ending is never committed without its notices (an outbox);
``idp.sso.logout_delivery`` sends them. One with only a front-channel URI can be told only by the
browser that signs out: the logout page loads its URI in an iframe.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from identity.types import utcnow

from .client_columns import CLIENTS
from .models import Grant, LogoutNotice, SsoSession


@dataclass(frozen=True, slots=True)
class FrontChannelPortal:
    """A portal to load in an iframe when the browser signs out: its URI and the ``sid`` it knows."""

    client_id: str
    uri: str
    sid: str


def _participants(ended: SsoSession, uri_column: Any) -> Any:
    """(client_id, sid, uri) of every portal with a grant under *ended* and a URI in *uri_column*."""
    return (
        select(Grant.client_id, func.coalesce(Grant.sid, ended.sid).label("sid"), uri_column.label("uri"))
        .join(CLIENTS, CLIENTS.c.client_id == Grant.client_id)
        .where(Grant.session_id == ended.id, uri_column.is_not(None))
        .distinct()
    )


def owe_logout_notices(session: Session, ended: SsoSession, *, reason: str) -> int:
    """Queue one logout token per portal (and ``sid`` it knows) of *ended*, due now; how many."""
    rows = session.execute(_participants(ended, CLIENTS.c.backchannel_logout_uri)).all()
    if rows:
        now = utcnow()
        session.execute(
            insert(LogoutNotice),
            [
                {
                    "client_id": row.client_id,
                    "uri": row.uri,
                    "account_id": ended.account_id,
                    "sid": row.sid,
                    "reason": reason[:100],
                    "created_at": now,
                    "attempts": 0,
                    "next_attempt_at": now,
                }
                for row in rows
            ],
        )
    return len(rows)


def frontchannel_portals(session: Session, ended: SsoSession) -> list[FrontChannelPortal]:
    """The portals of *ended* that only the browser can tell: a front-channel URI and no back channel."""
    query = _participants(ended, CLIENTS.c.frontchannel_logout_uri).where(CLIENTS.c.backchannel_logout_uri.is_(None))
    return [FrontChannelPortal(row.client_id, row.uri, row.sid) for row in session.execute(query)]


def sids_known_to_portals(session: Session, live: SsoSession) -> set[str]:
    """The session's ``sid`` and the older ones its portals' grants were issued under (re-authentication
    moves grants to the new session and keeps the ``sid`` their portal knows)."""
    query = select(Grant.sid).where(Grant.session_id == live.id, Grant.sid.is_not(None)).distinct()
    return {live.sid, *session.scalars(query)}


@dataclass(frozen=True, slots=True)
class Backlog:
    """What an operator needs to see of the outbox (``idp logout-notices``)."""

    pending: int
    failing: int
    abandoned: int
    delivered_last_day: int
    oldest_pending_at: dt.datetime | None
    #: The notices that failed at least once and are still retried, most attempts first.
    failures: list[dict[str, Any]]


def backlog(session: Session, *, limit: int = 50) -> Backlog:
    now = utcnow()
    open_ = (LogoutNotice.delivered_at.is_(None), LogoutNotice.abandoned_at.is_(None))
    pending, oldest = session.execute(select(func.count(), func.min(LogoutNotice.created_at)).where(*open_)).one()
    # A failure recorded, not merely ``attempts > 0``: a deliverer counts an attempt when it claims the notice,
    # so a first attempt still in flight would show as failed.
    failing_query = select(LogoutNotice).where(*open_, LogoutNotice.last_error.is_not(None))
    failing = session.scalar(select(func.count()).select_from(failing_query.subquery())) or 0
    abandoned = session.scalar(select(func.count()).where(LogoutNotice.abandoned_at.is_not(None))) or 0
    delivered = session.scalar(select(func.count()).where(LogoutNotice.delivered_at > now - dt.timedelta(days=1))) or 0
    rows = session.scalars(failing_query.order_by(LogoutNotice.attempts.desc(), LogoutNotice.id).limit(limit))
    failures = [
        {
            "id": row.id,
            "client_id": row.client_id,
            "uri": row.uri,
            "sid": row.sid,
            "attempts": row.attempts,
            "last_error": row.last_error,
            "created_at": row.created_at.isoformat(),
            "next_attempt_at": row.next_attempt_at.isoformat(),
        }
        for row in rows
    ]
    return Backlog(pending, failing, abandoned, delivered, oldest, failures)

