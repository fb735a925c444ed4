"""Single sign-on sessions: an opaque cookie pointing at a database row, so every instance sees them.

* A new session (new cookie value, new ``sid``) at every authentication (ASVS 7.2.4); the old one ends.
* Idle and absolute limits from settings (NIST 800-63B AAL2: 30 min / 12 h), enforced on the server.
* A session whose account or person is no longer active ends at its next use (ASVS 7.4.2, 8.3.2).
* Every ending goes through :func:`end_session`, which revokes the session's grants and, in the same
  transaction, owes each portal that took part a logout token; a session over its limits that no browser
  comes back to is ended by :func:`end_expired_sessions` (the sweeper), so its portals are told too.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from identity import audit
from identity.models import Account
from identity.types import utcnow

from ..config import Settings
from . import pending
from .account_facts import account_is_usable
from .grants import move_grants, revoke_grants_of_session
from .logout_notices import owe_logout_notices
from .models import SsoSession
from .opaque import digest, new_secret

#: Don't write ``last_seen_at`` more often than this; idle accounting stays accurate to the minute.
_TOUCH_EVERY = dt.timedelta(seconds=60)


def cookie_name(settings: Settings) -> str:
    """``__Host-`` pins the cookie to this host over HTTPS (ASVS 3.3.1); plain HTTP in development can't use it."""
    return "__Host-idp_sso" if settings.is_production else "idp_sso"


def start_session(
    session: Session, account: Account, *, amr: Iterable[str], acr: str, settings: Settings
) -> tuple[SsoSession, str]:
    """A fresh session for a completed authentication; returns the row and the cookie value."""
    now = utcnow()
    cookie = new_secret()
    row = SsoSession(
        key_hash=digest(cookie),
        sid=secrets.token_urlsafe(16),
        account_id=account.id,
        auth_time=now,
        acr=acr,
        amr=" ".join(amr),
        last_seen_at=now,
        expires_at=now + dt.timedelta(seconds=settings.sso_session_absolute_ttl),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        audit.Event(
            "session.started", f"account:{account.id}", f"account:{account.id}", None, {"sid": row.sid, "amr": row.amr}
        ),
    )
    return row, cookie


def replace_session(
    session: Session, previous: SsoSession | None, account: Account, *, amr: Iterable[str], acr: str, settings: Settings
) -> tuple[SsoSession, str]:
    """Start a session for a new sign-in and end the browser's previous one.

    When the same citizen signs in again (``prompt=login``, ``max_age``), the portals' grants move to
    the new session, so one portal asking for a fresh sign-in does not log the citizen out of the
    others. When another citizen signs in on this browser, the previous citizen's grants end.
    """
    row, cookie = start_session(session, account, amr=amr, acr=acr, settings=settings)
    if previous is not None:
        if previous.account_id == account.id:
            move_grants(session, previous.id, row.id)
        end_session(session, previous, reason="signed in again")
    return row, cookie


@dataclass(frozen=True, slots=True)
class SessionLookup:
    """The live session behind a cookie, if any; and whether the lookup itself ended one (a write)."""

    live: SsoSession | None
    ended_now: bool = False


def load_session(session: Session, cookie: str | None, settings: Settings) -> SessionLookup:
    """The live session behind a cookie; a session over its limits, or whose account can no longer act,
    is ended here (``ended_now``), a write the caller must let stand."""
    if not cookie or len(cookie) > 100:
        return SessionLookup(None)
    row = session.scalars(select(SsoSession).where(SsoSession.key_hash == digest(cookie))).one_or_none()
    if row is None or row.ended_at is not None:
        return SessionLookup(None)
    now = utcnow()
    idle_limit = row.last_seen_at + dt.timedelta(seconds=settings.sso_session_idle_ttl)
    reason = None
    if now >= row.expires_at:
        reason = "absolute lifetime reached"
    elif now >= idle_limit:
        reason = "idle timeout"
    elif not account_is_usable(session.get(Account, row.account_id)):
        reason = "account no longer active"
    if reason is not None:
        end_session(session, row, reason=reason)
        return SessionLookup(None, ended_now=True)
    if now - row.last_seen_at >= _TOUCH_EVERY:
        row.last_seen_at = now
    return SessionLookup(row)


def end_session(session: Session, row: SsoSession, *, reason: str) -> bool:
    """End a session and every grant made under it, and owe its portals a logout token; False when it had
    already ended. One conditional UPDATE decides, so of two processes ending it at once only one
    writes the notices."""
    if row.ended_at is not None:
        return False
    now = utcnow()
    ending = (
        update(SsoSession)
        .where(SsoSession.id == row.id, SsoSession.ended_at.is_(None))
        .values(ended_at=now, end_reason=reason)
        .execution_options(synchronize_session=False)
    )
    if not session.execute(ending).rowcount:
        session.refresh(row)
        return False
    set_committed_value(row, "ended_at", now)
    set_committed_value(row, "end_reason", reason)
    owe_logout_notices(session, row, reason=reason)
    revoke_grants_of_session(session, row.id, reason=f"session ended: {reason}")
    audit.record(
        session,
        audit.Event("session.ended", "system", f"account:{row.account_id}", reason, {"sid": row.sid}),
    )
    return True


def end_expired_sessions(session: Session, settings: Settings, *, limit: int = 200) -> int:
    """The sweeper: end up to *limit* open sessions past their idle or absolute limit, which no browser
    came back to end; how many. Rows another sweeper holds are skipped (``SKIP LOCKED`` on PostgreSQL)."""
    now = utcnow()
    idle_cutoff = now - dt.timedelta(seconds=settings.sso_session_idle_ttl)
    ended = 0
    for column, cutoff, reason in (
        (SsoSession.expires_at, now, "absolute lifetime reached"),
        (SsoSession.last_seen_at, idle_cutoff, "idle timeout"),
    ):
        query = (
            select(SsoSession)
            .where(SsoSession.ended_at.is_(None), column <= cutoff)
            .order_by(column)
            .limit(limit - ended)
            .with_for_update(skip_locked=True)
        )
        for row in session.scalars(query).all():
            ended += end_session(session, row, reason=reason)
        if ended >= limit:
            break
    return ended


def end_sessions_of_person(session: Session, person_id: int, *, reason: str) -> int:
    """ASVS 7.4.2, SECURITY.md decision 7: every session (and so every grant) of the person's account ends
    when the account or the identity stops being active, so a later restore revives none of them; a
    sign-in under way ends too."""
    rows = session.scalars(
        select(SsoSession)
        .join(Account, Account.id == SsoSession.account_id)
        .where(Account.person_id == person_id, SsoSession.ended_at.is_(None))
    ).all()
    for row in rows:
        end_session(session, row, reason=reason)
    pending.cancel(session, session.scalars(select(Account.id).where(Account.person_id == person_id)))
    return len(rows)


def live_sessions(session: Session, account_id: int, settings: Settings) -> list[SsoSession]:
    """The account's sessions that have not ended and are within their limits, most recently used first."""
    now = utcnow()
    idle = dt.timedelta(seconds=settings.sso_session_idle_ttl)
    rows = session.scalars(
        select(SsoSession)
        .where(SsoSession.account_id == account_id, SsoSession.ended_at.is_(None), SsoSession.expires_at > now)
        .order_by(SsoSession.last_seen_at.desc())
    )
    return [row for row in rows if row.last_seen_at + idle > now]


def end_sessions_of_account(
    session: Session, account_id: int, *, reason: str, keep: SsoSession | None = None, sid: str | None = None
) -> int:
    """End the account's live sessions (only the one with *sid*, when given), all but *keep*. Ending them
    all (a new password, a reset) also ends every sign-in of the account still under way elsewhere."""
    query = select(SsoSession).where(SsoSession.account_id == account_id, SsoSession.ended_at.is_(None))
    if sid is not None:
        query = query.where(SsoSession.sid == sid)
    rows = [row for row in session.scalars(query) if keep is None or row.id != keep.id]
    for row in rows:
        end_session(session, row, reason=reason)
    if sid is None:
        pending.cancel(session, [account_id])
    return len(rows)
