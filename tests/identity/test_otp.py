"""The second factor in the domain: TOTP enrolment and codes (RFC 6238, ASVS 6.5), the sealed seed,
recovery codes; and the attacks on each: replay (also by two sessions at once), drift beyond one step,
full-width digits (SECURITY.md §6.8), a sealed seed moved to another account."""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Callable

import pyotp
import pytest
from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from identity import PasswordHasher, otp
from identity.models import Account, AuditEvent, OtpFactor, RecoveryCode
from identity.sealing import UnsealFailed
from idp.context import session_factory
from tests import factories

#: The middle of a time step, so that no test lands on a step boundary.
START = dt.datetime(2031, 5, 6, 7, 8, 15, tzinfo=dt.UTC)
ISSUER = "Định danh điện tử quốc gia"
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@pytest.fixture
def hasher(settings) -> PasswordHasher:
    return PasswordHasher.from_settings(settings)


@pytest.fixture
def kek(settings) -> bytes:
    return settings.key_encryption_key_bytes()


@pytest.fixture
def step(time_machine) -> Callable[[int], int]:
    """``step(n)``: stop the clock *n* time steps after START; returns that step's number."""

    def move(n: int) -> int:
        moment = START + dt.timedelta(seconds=otp.PERIOD_SECONDS * n)
        time_machine.move_to(moment, tick=False)
        return int(moment.timestamp()) // otp.PERIOD_SECONDS

    move(0)
    return move


@pytest.fixture
def account(session: Session, hasher: PasswordHasher) -> Account:
    return factories.active_account(session, hasher)


def code_of(secret: str, step_number: int) -> str:
    return pyotp.TOTP(secret).generate_otp(step_number)


def enrol(session: Session, account: Account, kek: bytes) -> tuple[str, list[str]]:
    """An app confirmed at the current moment; returns its secret and the recovery codes."""
    secret = otp.start_enrolment(session, account, kek=kek, issuer=ISSUER).secret
    codes = otp.confirm_enrolment(session, account, pyotp.TOTP(secret).now(), kek=kek, actor="account:test")
    session.commit()
    return secret, codes


def wrong_code(secret: str, step_number: int) -> str:
    taken = {code_of(secret, s) for s in range(step_number - 1, step_number + 2)}
    return next(f"{n:06d}" for n in range(10**6) if f"{n:06d}" not in taken)


def last_step(session: Session) -> int | None:
    session.expire_all()
    return session.scalars(select(OtpFactor.last_step)).one()


def test_an_app_counts_once_confirmed_and_comes_with_ten_recovery_codes(session, account, kek, step) -> None:
    enrolment = otp.start_enrolment(session, account, kek=kek, issuer=ISSUER)
    assert len(enrolment.secret) == 32 and not otp.has_factor(session, account.id)  # 160 bits, not yet counted
    assert otp.pending_enrolment(session, account, kek=kek, issuer=ISSUER) == enrolment
    assert account.person.pin not in enrolment.uri and account.person.pin[-4:] in enrolment.uri
    codes = otp.confirm_enrolment(session, account, code_of(enrolment.secret, step(0)), kek=kek, actor="account:1")
    session.commit()
    assert otp.has_factor(session, account.id)
    assert otp.pending_enrolment(session, account, kek=kek, issuer=ISSUER) is None
    assert len(set(codes)) == otp.RECOVERY_CODES == 10
    assert all(re.fullmatch(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){3}", code) for code in codes)
    assert otp.recovery_codes_left(session, account.id) == 10
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "account.otp_enrolled")).one()
    assert event.actor == "account:1" and enrolment.secret not in event.details


def test_a_wrong_code_changes_nothing(session, account, kek, step) -> None:
    enrolment = otp.start_enrolment(session, account, kek=kek, issuer=ISSUER)
    session.commit()
    with pytest.raises(otp.WrongCode):
        otp.confirm_enrolment(session, account, wrong_code(enrolment.secret, step(0)), kek=kek, actor="a")
    session.rollback()
    assert not otp.has_factor(session, account.id) and otp.recovery_codes_left(session, account.id) == 0
    assert otp.pending_enrolment(session, account, kek=kek, issuer=ISSUER) == enrolment  # still under way
    otp.confirm_enrolment(session, account, code_of(enrolment.secret, step(0)), kek=kek, actor="a")
    session.commit()
    confirmed_step = last_step(session)
    now = step(3)
    with pytest.raises(otp.WrongCode):
        otp.verify_code(session, account.id, wrong_code(enrolment.secret, now), kek=kek)
    session.commit()
    assert last_step(session) == confirmed_step
    otp.verify_code(session, account.id, code_of(enrolment.secret, now), kek=kek)  # the right one still works


def test_one_step_of_drift_is_accepted_either_way_and_two_are_not(session, account, kek, step) -> None:
    secret, _codes = enrol(session, account, kek)
    now = step(10)
    for too_far in (now - 2, now + 2):
        with pytest.raises(otp.WrongCode):
            otp.verify_code(session, account.id, code_of(secret, too_far), kek=kek)
    otp.verify_code(session, account.id, code_of(secret, now - 1), kek=kek)  # the phone runs 30 s late
    otp.verify_code(session, account.id, code_of(secret, now + 1), kek=kek)  # ... or 30 s early
    session.commit()
    assert last_step(session) == now + 1


def test_a_code_is_accepted_once(session, account, kek, step) -> None:
    secret, _codes = enrol(session, account, kek)
    now = step(1)
    otp.verify_code(session, account.id, code_of(secret, now), kek=kek)
    session.commit()
    for replay in (now, now - 1):  # the same code, or an earlier one still inside the drift window
        with pytest.raises(otp.WrongCode, match="already used"):
            otp.verify_code(session, account.id, code_of(secret, replay), kek=kek)


def test_a_code_is_accepted_once_when_two_sessions_race(app: Flask, session, account, kek, step) -> None:
    """Two requests on two connections, released together, type the same code: one wins (ASVS 6.5.1)."""
    secret, _codes = enrol(session, account, kek)
    session.close()
    for round_ in range(1, 4):
        code, barrier, outcomes = code_of(secret, step(round_)), threading.Barrier(2), []

        def attempt(code: str = code, barrier: threading.Barrier = barrier, outcomes: list[str] = outcomes) -> None:
            with session_factory(app)() as own:
                barrier.wait()
                try:
                    otp.verify_code(own, account.id, code, kek=kek)
                    own.commit()
                    outcomes.append("accepted")
                except otp.WrongCode:
                    own.rollback()
                    outcomes.append("refused")

        threads = [threading.Thread(target=attempt) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes) == ["accepted", "refused"], round_


def test_only_six_ascii_digits_are_a_code(session, account, kek, step) -> None:
    """pyotp compares after NFKC, which turns full-width digits into ASCII ones (SECURITY.md §6.8)."""
    secret, _codes = enrol(session, account, kek)
    genuine = code_of(secret, step(1))
    for lookalike in (genuine.translate(FULL_WIDTH), genuine.translate(ARABIC_INDIC), f" {genuine}", genuine[:5]):
        with pytest.raises(otp.WrongCode, match="six digits"):
            otp.verify_code(session, account.id, lookalike, kek=kek)
    otp.verify_code(session, account.id, genuine, kek=kek)  # nothing was spent


def test_the_seed_is_sealed_for_its_own_account(session, account, kek, hasher, step) -> None:
    """A sealed seed copied into another account's row does not open there (the account id is the context)."""
    secret, _codes = enrol(session, account, kek)
    other = factories.active_account(session, hasher, full_name="Phan Thị Thu", sex="female")
    enrol(session, other, kek)
    stored = session.scalars(select(OtpFactor.seed_sealed).where(OtpFactor.account_id == account.id)).one()
    assert stored.startswith("v1.") and secret not in stored
    session.execute(update(OtpFactor).where(OtpFactor.account_id == other.id).values(seed_sealed=stored))
    session.commit()
    with pytest.raises(UnsealFailed):
        otp.verify_code(session, other.id, code_of(secret, step(1)), kek=kek)


def test_a_new_app_replaces_the_old_one_only_once_confirmed(session, account, kek, step) -> None:
    old, _codes = enrol(session, account, kek)
    new = otp.start_enrolment(session, account, kek=kek, issuer=ISSUER).secret
    session.commit()
    assert otp.has_factor(session, account.id)
    otp.verify_code(session, account.id, code_of(old, step(1)), kek=kek)  # the old app still signs in
    with pytest.raises(otp.WrongCode):
        otp.verify_code(session, account.id, code_of(new, step(2)), kek=kek)  # the new one does not, yet
    otp.confirm_enrolment(session, account, code_of(new, step(2)), kek=kek, actor="a")
    session.commit()
    with pytest.raises(otp.WrongCode):
        otp.verify_code(session, account.id, code_of(old, step(3)), kek=kek)
    otp.verify_code(session, account.id, code_of(new, step(3)), kek=kek)


def test_each_recovery_code_works_once(session, account, kek, step) -> None:
    _secret, codes = enrol(session, account, kek)
    typed = [codes[0].lower(), codes[1].replace("-", ""), codes[2].replace("-", " "), *codes[3:]]
    for left, code in enumerate(typed, start=1):
        otp.use_recovery_code(session, account.id, code)
        session.commit()
        assert otp.recovery_codes_left(session, account.id) == otp.RECOVERY_CODES - left
    for spent in codes:
        with pytest.raises(otp.WrongCode, match="already used"):
            otp.use_recovery_code(session, account.id, spent)
    with pytest.raises(otp.WrongCode, match="16 letters"):
        otp.use_recovery_code(session, account.id, "not a code")
    stored = session.scalars(select(RecoveryCode.code_hash)).all()
    assert not {c.replace("-", "") for c in codes} & set(stored)  # digests only


def test_new_recovery_codes_replace_the_whole_set(session, account, kek, hasher, step) -> None:
    _secret, old = enrol(session, account, kek)
    otp.use_recovery_code(session, account.id, old[0])
    new = otp.new_recovery_codes(session, account, actor="account:1")
    session.commit()
    assert len(set(new)) == 10 and not set(new) & set(old)
    assert otp.recovery_codes_left(session, account.id) == 10
    with pytest.raises(otp.WrongCode):
        otp.use_recovery_code(session, account.id, old[1])
    otp.use_recovery_code(session, account.id, new[0])
    assert session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq.desc())).first() == (
        "account.recovery_codes_replaced"
    )
    without_app = factories.active_account(session, hasher, full_name="Mai Văn Tư")
    with pytest.raises(otp.NoFactor):
        otp.new_recovery_codes(session, without_app, actor="account:2")


def test_removing_the_factor_forgets_the_seed_the_enrolment_and_the_recovery_codes(session, account, kek, step) -> None:
    secret, codes = enrol(session, account, kek)
    otp.start_enrolment(session, account, kek=kek, issuer=ISSUER)
    otp.remove_factor(session, account, reason="lost phone; card checked", actor="registrar:7")
    session.commit()
    assert not otp.has_factor(session, account.id) and otp.recovery_codes_left(session, account.id) == 0
    assert otp.pending_enrolment(session, account, kek=kek, issuer=ISSUER) is None
    with pytest.raises(otp.NoFactor):
        otp.verify_code(session, account.id, code_of(secret, step(1)), kek=kek)
    with pytest.raises(otp.WrongCode):
        otp.use_recovery_code(session, account.id, codes[0])
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "account.otp_reset")).one()
    assert (event.actor, event.reason) == ("registrar:7", "lost phone; card checked")
