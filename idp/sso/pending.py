"""Sign-ins under way: the steps a browser has passed, kept on the server until the last one passes.

A row is created when the password is accepted and a one-time code is still needed (or when a signed-in
citizen is asked for a code by a portal: step-up). Its key is a fresh cookie of that browser, stored as
a digest, so the row cannot be used from another browser; it lives a few minutes; it is consumed by one
conditional UPDATE when the last step passes, so it cannot be replayed, and the SSO session that
follows gets a new identifier. Skipping the code step gets nothing: there is no session until then.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from identity.types import utcnow

from .models import PendingSignIn
from .opaque import digest, new_secret

#: Minutes to find the app and type its code.
LIFETIME = dt.timedelta(minutes=5)


def begin(session: Session, account_id: int, *, amr: Iterable[str]) -> str:
    """Record the methods passed so far; returns the browser's key (a cookie value)."""
    key = new_secret()
    now = utcnow()
    session.add(
        PendingSignIn(
            key_hash=digest(key), account_id=account_id, amr=" ".join(amr), created_at=now, expires_at=now + LIFETIME
        )
    )
    session.flush()
    return key


def find(session: Session, key: str | None) -> PendingSignIn | None:
    """The live sign-in under way behind this browser's key, if any."""
    if not key or len(key) > 100:
        return None
    row = session.scalars(select(PendingSignIn).where(PendingSignIn.key_hash == digest(key))).one_or_none()
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        return None
    return row


def complete(session: Session, row: PendingSignIn) -> bool:
    """Consume the row; False when it was consumed (or expired) meanwhile, by another request."""
    now = utcnow()
    claimed = session.execute(
        update(PendingSignIn)
        .where(PendingSignIn.id == row.id, PendingSignIn.used_at.is_(None), PendingSignIn.expires_at > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return claimed.rowcount == 1


def cancel(session: Session, account_ids: Iterable[int]) -> None:
    """Nothing under way for these accounts may become a session any more (their sessions were ended:
    a new password, a reset, a suspension)."""
    session.execute(
        update(PendingSignIn)
        .where(PendingSignIn.account_id.in_(list(account_ids)), PendingSignIn.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
