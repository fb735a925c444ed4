"""Every attempt at every step of signing in, kept for a configurable period.

The citizen sees their own on the account page; auditors see all. A record never holds the password
or the code, and for a PIN that names no account nothing of the PIN: only that an attempt failed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from enum import StrEnum

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from .models import SignInAttempt
from .types import utcnow


class Step(StrEnum):
    PASSWORD = "password"
    OTP = "otp"
    RECOVERY_CODE = "recovery_code"


class Reason(StrEnum):
    """Why a step failed, as a class: enough for the citizen and the auditors, nothing for a guesser."""

    WRONG_SECRET = "wrong_secret"
    UNKNOWN_ACCOUNT = "unknown_account"
    NOT_ACTIVE = "not_active"
    THROTTLED = "throttled"
    LOCKED = "locked"


def record_attempt(
    session: Session,
    *,
    account_id: int | None,
    step: Step,
    reason: Reason | None,
    client_id: str | None,
    address: str | None,
) -> None:
    """One attempt, in the caller's transaction; a failure when *reason* is given."""
    session.add(
        SignInAttempt(
            at=utcnow(),
            account_id=account_id,
            client_id=client_id,
            step=step.value,
            outcome="failure" if reason else "success",
            reason=reason.value if reason else None,
            address=address,
        )
    )


def recent_attempts(session: Session, account_id: int, *, limit: int = 20) -> Sequence[SignInAttempt]:
    query = (
        select(SignInAttempt)
        .where(SignInAttempt.account_id == account_id)
        .order_by(SignInAttempt.at.desc(), SignInAttempt.id.desc())
        .limit(limit)
    )
    return session.scalars(query).all()


def purge_attempts(session: Session, *, keep: dt.timedelta) -> int:
    """Forget attempts older than *keep*; returns how many."""
    result = session.execute(
        delete(SignInAttempt).where(SignInAttempt.at < utcnow() - keep).execution_options(synchronize_session=False)
    )
    return result.rowcount or 0
