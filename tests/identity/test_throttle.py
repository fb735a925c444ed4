"""Per-account failure counters (SECURITY.md decision 4, NIST 800-63B §5.2.2): free failures, delays that
double up to a ceiling, a lock at the limit that only ``unlock`` lifts, separate counters per factor, and
exact counting when two processes fail at once."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from identity import PasswordHasher
from identity.models import Account, AuditEvent, Throttle
from identity.throttle import Factor, ThrottlePolicy, Verdict, record_failure, record_success, unlock, verdict
from idp.context import session_factory
from tests import factories

START = dt.datetime(2031, 5, 6, 7, 8, 0, tzinfo=dt.UTC)
PASSWORD, OTP = Factor.PASSWORD, Factor.OTP


@pytest.fixture
def now(time_machine) -> dt.datetime:
    time_machine.move_to(START, tick=False)
    return START


@pytest.fixture
def account(session: Session, settings) -> Account:
    return factories.active_account(session, PasswordHasher.from_settings(settings))


def row(session: Session, account: Account, factor: Factor = PASSWORD) -> Throttle | None:
    session.expire_all()
    return session.get(Throttle, (account.id, factor.value))


def test_the_first_failures_are_free(session, account, now) -> None:
    policy = ThrottlePolicy(free_failures=5)
    for _ in range(5):
        assert record_failure(session, account.id, PASSWORD, policy) is Verdict.OPEN
        assert verdict(session, account.id, PASSWORD) is Verdict.OPEN
    assert row(session, account).failures == 5


def test_then_each_failure_doubles_the_wait_up_to_fifteen_minutes(session, account, now, time_machine) -> None:
    policy = ThrottlePolicy(free_failures=5, lock_after=100)
    waits = []
    for _ in range(20):
        record_failure(session, account.id, PASSWORD, policy)
        waits.append((row(session, account).retry_at - now).total_seconds())
    assert waits == [0] * 5 + [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900, 900, 900]
    assert verdict(session, account.id, PASSWORD) is Verdict.WAIT
    time_machine.move_to(now + dt.timedelta(seconds=899), tick=False)
    assert verdict(session, account.id, PASSWORD) is Verdict.WAIT
    time_machine.move_to(now + dt.timedelta(seconds=900), tick=False)
    assert verdict(session, account.id, PASSWORD) is Verdict.OPEN


def test_the_limit_locks_the_factor_for_good(session, account, now, time_machine) -> None:
    policy = ThrottlePolicy(free_failures=2, lock_after=6)
    answers = [record_failure(session, account.id, PASSWORD, policy) for _ in range(6)]
    assert answers == [Verdict.OPEN] * 2 + [Verdict.WAIT] * 3 + [Verdict.LOCKED]
    time_machine.move_to(now + dt.timedelta(days=365), tick=False)
    assert verdict(session, account.id, PASSWORD) is Verdict.LOCKED
    assert verdict(session, account.id, OTP) is Verdict.OPEN  # the code has its own counter


def test_a_success_clears_the_count(session, account, now) -> None:
    policy = ThrottlePolicy(free_failures=2, lock_after=6)
    for _ in range(4):
        record_failure(session, account.id, PASSWORD, policy)
    record_success(session, account.id, PASSWORD)
    assert row(session, account) is None
    assert [record_failure(session, account.id, PASSWORD, policy) for _ in range(3)] == [
        Verdict.OPEN,
        Verdict.OPEN,
        Verdict.WAIT,
    ]


def test_a_locked_factor_stays_locked_after_a_success_elsewhere(session, account, now) -> None:
    """A right code does not unlock the password, nor a success of the password slipped in another way."""
    policy = ThrottlePolicy(free_failures=1, lock_after=2)
    for _ in range(2):
        record_failure(session, account.id, PASSWORD, policy)
    record_success(session, account.id, OTP)
    record_success(session, account.id, PASSWORD)
    session.commit()
    assert verdict(session, account.id, PASSWORD) is Verdict.LOCKED
    assert row(session, account).failures == 2


def test_failures_from_two_sessions_at_once_are_all_counted(app: Flask, account) -> None:
    """No lost update, also on the first failure, when the counter's row does not exist yet."""
    policy, rounds = ThrottlePolicy(free_failures=99, lock_after=100), 6
    for _ in range(rounds):
        barrier = threading.Barrier(2)

        def fail(barrier: threading.Barrier = barrier) -> None:
            with session_factory(app)() as own:
                barrier.wait()
                record_failure(own, account.id, PASSWORD, policy)
                own.commit()

        threads = [threading.Thread(target=fail) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    with session_factory(app)() as fresh:
        assert fresh.get(Throttle, (account.id, PASSWORD.value)).failures == 2 * rounds


def test_unlock_lifts_every_lock_clears_every_counter_and_is_audited(session, account, now) -> None:
    policy = ThrottlePolicy(free_failures=1, lock_after=2)
    for _ in range(2):
        record_failure(session, account.id, PASSWORD, policy)
    record_failure(session, account.id, OTP, policy)
    session.commit()
    assert unlock(session, account, reason="checked the card at the counter", actor="supervisor:3") == ["password"]
    session.commit()
    assert row(session, account) is None and row(session, account, OTP) is None
    assert verdict(session, account.id, PASSWORD) is Verdict.OPEN
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "account.unlocked")).one()
    assert (event.actor, event.reason) == ("supervisor:3", "checked the card at the counter")
    assert json.loads(event.details)["locked"] == ["password"]
    assert unlock(session, account, reason="again", actor="supervisor:3") == []
