"""Per-account failure counters for each factor (password, one-time code), shared by every process.

SECURITY.md decision 4, NIST 800-63B §5.2.2: a few failures are free; after them every attempt must
wait, twice as long after each further failure (up to a ceiling); at the limit the factor locks
until a supervisor lifts it (``unlock``). A success clears the counter. While an account must wait or
is locked its attempts are refused without looking at the secret, and they do not count.

How this limits deliberate lock-outs: someone who knows a citizen's PIN needs ``lock_after``
consecutive failures to lock it, and the delays make that take most of a day (with the defaults:
5 free, then 1 s, 2 s, 4 s … up to 15 minutes between attempts: about 21 hours to reach 100), during
which the citizen's own successful sign-in starts the count again; the per-address limit of the web
layer slows one attacker further. A lock is lifted by a supervisor after checking the person.

The counter is the account's, whatever spelling of its PIN was typed: callers pass ``account_id``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import audit
from .models import Account, Throttle
from .register import subject_of
from .types import utcnow


class Factor(StrEnum):
    PASSWORD = "password"
    OTP = "otp"


class Verdict(StrEnum):
    OPEN = "open"
    WAIT = "wait"
    LOCKED = "locked"


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    free_failures: int = 5
    max_delay_seconds: int = 15 * 60
    #: Consecutive failures that lock the factor; at most 100 (SECURITY.md decision 4).
    lock_after: int = 100

    def delay(self, failures: int) -> dt.timedelta:
        """How long the next attempt must wait after *failures* consecutive failures."""
        beyond = failures - self.free_failures
        if beyond <= 0:
            return dt.timedelta(0)
        return dt.timedelta(seconds=min(2 ** (beyond - 1), self.max_delay_seconds))


def verdict(session: Session, account_id: int, factor: Factor, *, now: dt.datetime | None = None) -> Verdict:
    """May this factor of this account be tried now?"""
    row = session.get(Throttle, (account_id, factor.value), populate_existing=True)
    if row is None:
        return Verdict.OPEN
    if row.locked_at is not None:
        return Verdict.LOCKED
    if row.retry_at is not None and row.retry_at > (now or utcnow()):
        return Verdict.WAIT
    return Verdict.OPEN


def record_failure(session: Session, account_id: int, factor: Factor, policy: ThrottlePolicy) -> Verdict:
    """Count one failure (atomically, whatever other processes do); returns what the next attempt faces."""
    failures = _increment(session, account_id, factor)
    now = utcnow()
    locked = failures >= policy.lock_after
    session.execute(
        update(Throttle)
        .where(Throttle.account_id == account_id, Throttle.factor == factor.value)
        .values(retry_at=now + policy.delay(failures), locked_at=now if locked else None)
        .execution_options(synchronize_session=False)
    )
    if locked:
        return Verdict.LOCKED
    return Verdict.WAIT if policy.delay(failures) else Verdict.OPEN


def record_success(session: Session, account_id: int, factor: Factor) -> None:
    session.execute(
        delete(Throttle)
        .where(Throttle.account_id == account_id, Throttle.factor == factor.value, Throttle.locked_at.is_(None))
        .execution_options(synchronize_session=False)
    )


def locked_factors(session: Session, account_id: int) -> list[str]:
    query = select(Throttle.factor).where(Throttle.account_id == account_id, Throttle.locked_at.is_not(None))
    return sorted(session.scalars(query))


def unlock(session: Session, account: Account, *, reason: str, actor: str) -> list[str]:
    """Lift every lock and clear every counter of the account; returns the factors that were locked."""
    was_locked = locked_factors(session, account.id)
    session.execute(delete(Throttle).where(Throttle.account_id == account.id))
    audit.record(
        session, audit.Event("account.unlocked", actor, subject_of(account.person), reason, {"locked": was_locked})
    )
    return was_locked


def _increment(session: Session, account_id: int, factor: Factor) -> int:
    increment = (
        update(Throttle)
        .where(Throttle.account_id == account_id, Throttle.factor == factor.value)
        .values(failures=Throttle.failures + 1)
        .returning(Throttle.failures)
        .execution_options(synchronize_session=False)
    )
    failures = session.scalar(increment)
    if failures is not None:
        return failures
    try:
        with session.begin_nested():
            session.add(Throttle(account_id=account_id, factor=factor.value, failures=1))
        return 1
    except IntegrityError:  # another process counted the first failure at the same moment
        return session.scalar(increment) or 1
