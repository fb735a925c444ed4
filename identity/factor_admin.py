"""What registrars and supervisors do to an account's second factor and its locks, and what they see of them.

A registrar resets the second factor of a person they checked (a lost phone): the seed, any enrolment
under way and the recovery codes go, and the next sign-in asks for a new app when one is required. A
supervisor lifts the locks that repeated failures put on the password or the code (``identity.throttle``).
Both need a reason and are audited. What they see is dates and counts, never a seed or a code.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import otp, throttle
from .accounts import get_account
from .models import Account, OtpFactor, Throttle
from .register import require_reason


def reset_second_factor(session: Session, pin: str, *, reason: str, actor: str) -> tuple[Account, dict[str, Any]]:
    """Remove the account's app, enrolment under way and recovery codes; returns the account and what it had."""
    reason = require_reason(reason)
    account = get_account(session, pin, for_update=True)
    had = second_factor_record(session, account)
    otp.remove_factor(session, account, reason=reason, actor=actor)
    return account, had


def unlock_account(session: Session, pin: str, *, reason: str, actor: str) -> tuple[Account, list[str]]:
    """Lift the locks and clear the counters of both factors; returns the account and the factors that were locked."""
    reason = require_reason(reason)
    account = get_account(session, pin, for_update=True)
    return account, throttle.unlock(session, account, reason=reason, actor=actor)


def factor_record(session: Session, account: Account) -> dict[str, Any]:
    """The second factor and the locks, for ``idp accounts show``."""
    return {**second_factor_record(session, account), **locks_record(session, account)}


def second_factor_record(session: Session, account: Account) -> dict[str, Any]:
    """Since when the app counts, whether another is being set up, how many recovery codes are left."""
    factor = session.scalars(select(OtpFactor).where(OtpFactor.account_id == account.id)).one_or_none()
    return {
        "otp_app_since": _iso(factor.confirmed_at) if factor and factor.seed_sealed else None,
        "otp_enrolment_since": _iso(factor.pending_since) if factor and factor.pending_seed_sealed else None,
        "recovery_codes_left": otp.recovery_codes_left(session, account.id),
    }


def locks_record(session: Session, account: Account) -> dict[str, Any]:
    """Since when the password and the code are locked, if they are."""
    query = select(Throttle.factor, Throttle.locked_at).where(
        Throttle.account_id == account.id, Throttle.locked_at.is_not(None)
    )
    locks: dict[str, dt.datetime] = {row.factor: row.locked_at for row in session.execute(query)}
    return {
        "password_locked_since": _iso(locks.get(throttle.Factor.PASSWORD.value)),
        "otp_locked_since": _iso(locks.get(throttle.Factor.OTP.value)),
    }


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None
