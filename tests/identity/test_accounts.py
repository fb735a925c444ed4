"""E-ID accounts: opening, activation with a one-time code, the state table, level 2, password change,
password reset through a registrar."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading

import pytest
from flask import Flask
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from identity import (
    ActivationRejected,
    CardConflict,
    CredentialRejected,
    IllegalTransition,
    InvalidInput,
    PasswordHasher,
    TooManyAttempts,
    UnknownAccount,
    UnknownPerson,
    WeakPassword,
    account_record,
    activate_account,
    authenticate_password,
    change_account_status,
    change_password,
    change_status,
    get_account,
    open_account,
    verify_in_person,
)
from identity.accounts import ACTIVATION_REJECTED, issue_password_reset
from identity.activation_codes import ALPHABET, MAX_ATTEMPTS
from identity.models import Account, ActivationCode, AuditEvent
from idp.context import session_factory
from tests import factories
from tests.factories import PASSWORD, PASSWORD_POLICY

NEW_PASSWORD = "một con vịt xòe ra hai cái cánh"


@pytest.fixture
def hasher(settings) -> PasswordHasher:
    return PasswordHasher.from_settings(settings)


def activate(session: Session, pin: str, code: str, hasher: PasswordHasher, password: str = PASSWORD) -> Account:
    return activate_account(session, pin, code, password, hasher=hasher, policy=PASSWORD_POLICY)


def refused_activation(session: Session, pin: str, code: str, hasher: PasswordHasher) -> ActivationRejected:
    """An activation that must be refused with the one message; committed, as the web page does."""
    with pytest.raises(ActivationRejected) as refused:
        activate(session, pin, code, hasher)
    session.commit()
    assert refused.value.message == ACTIVATION_REJECTED
    return refused.value


def audit_actions(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


def fresh(session: Session, account: Account) -> Account:
    session.expire_all()
    reloaded = session.get(Account, account.id)
    assert reloaded is not None
    return reloaded


# Opening


def test_opening_returns_a_random_code_once_and_stores_only_its_digest(session) -> None:
    account, code = factories.opened_account(session)
    groups = code.split("-")
    assert [len(g) for g in groups] == [4, 4, 4] and set("".join(groups)) <= set(ALPHABET)
    assert account.status.value == "pending_activation" and account.password_hash is None
    row = session.scalars(select(ActivationCode)).one()
    assert row.code_hash == hashlib.sha256("".join(groups).encode()).hexdigest()
    events = session.scalars(select(AuditEvent)).all()
    assert [e.action for e in events] == ["identity.issued", "account.opened"]
    assert all(code not in (e.details + (e.reason or "")) for e in events)
    assert code not in str(account_record(account))
    assert {code} != {factories.opened_account(session, full_name="Phạm Thị Dung", sex="female")[1]}


def test_opening_needs_an_active_person_in_the_register(session) -> None:
    with pytest.raises(UnknownPerson):
        open_account(session, "001084999999", actor="reg", ttl_seconds=60)
    person = factories.person(session)
    change_status(session, person.pin, "suspend", reason="court order", actor="sup")
    session.commit()
    with pytest.raises(IllegalTransition, match="suspended"):
        open_account(session, person.pin, actor="reg", ttl_seconds=60)


def test_opening_again_while_pending_replaces_the_code(session, hasher) -> None:
    account, old_code = factories.opened_account(session)
    _same, new_code = open_account(session, account.person.pin, actor="reg", ttl_seconds=60)
    session.commit()
    assert _same.id == account.id and new_code != old_code
    refused_activation(session, account.person.pin, old_code, hasher)
    assert activate(session, account.person.pin, new_code, hasher).status.value == "active"
    assert "account.code_reissued" in audit_actions(session)


def test_opening_an_account_that_is_already_active_is_refused_and_changes_nothing(session, hasher) -> None:
    account = factories.active_account(session, hasher)
    before = audit_actions(session)
    with pytest.raises(IllegalTransition, match="already has an e-ID account, which is active"):
        open_account(session, account.person.pin, actor="reg", ttl_seconds=60)
    session.rollback()
    assert audit_actions(session) == before
    assert authenticate_password(session, account.person.pin, PASSWORD, hasher=hasher).id == account.id


# Activation


def test_activation_sets_the_password_and_makes_the_account_active_at_level_one(session, hasher) -> None:
    account, code = factories.opened_account(session)
    activated = activate(session, account.person.pin, code.lower().replace("-", " "), hasher)
    session.commit()
    assert activated.status.value == "active" and activated.identity_level == 1
    assert activated.activated_at is not None and activated.password_changed_at == activated.activated_at
    assert activated.password_hash.startswith("$argon2id$") and PASSWORD not in activated.password_hash
    assert audit_actions(session)[-1] == "account.activate"
    assert authenticate_password(session, account.person.pin, PASSWORD, hasher=hasher).id == account.id


def test_a_used_code_cannot_be_replayed(session, hasher) -> None:
    account, code = factories.opened_account(session)
    activate(session, account.person.pin, code, hasher)
    session.commit()
    refused_activation(session, account.person.pin, code, hasher)
    assert authenticate_password(session, account.person.pin, PASSWORD, hasher=hasher)


def test_wrong_expired_and_unknown_all_get_the_same_answer(session, hasher) -> None:
    account, code = factories.opened_account(session)
    pin = account.person.pin
    wrong = refused_activation(session, pin, "2222-3333-4444", hasher)
    unknown = refused_activation(session, "001084999999", code, hasher)
    malformed = refused_activation(session, "12345", code, hasher)
    session.execute(update(ActivationCode).values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
    session.commit()
    expired = refused_activation(session, pin, code, hasher)
    assert wrong.as_dict() == unknown.as_dict() == malformed.as_dict() == expired.as_dict()
    assert fresh(session, account).status.value == "pending_activation"


def test_guessing_stops_after_a_few_wrong_codes_until_a_new_code_is_issued(session, hasher) -> None:
    account, code = factories.opened_account(session)
    pin = account.person.pin
    for attempt in range(MAX_ATTEMPTS):
        refused_activation(session, pin, f"2222-3333-{attempt + 4}ABC", hasher)
    assert audit_actions(session).count("account.activation_failed") == MAX_ATTEMPTS
    assert account_record(fresh(session, account))["activation_attempts_left"] == 0
    with pytest.raises(TooManyAttempts):
        activate(session, pin, code, hasher)  # even the right code is now refused
    session.commit()
    _account, new_code = open_account(session, pin, actor="reg", ttl_seconds=60)
    session.commit()
    assert activate(session, pin, new_code, hasher).status.value == "active"


def test_failed_codes_are_counted_in_the_database(app: Flask, hasher) -> None:
    """The count survives the request: a second, independent session sees it."""
    with session_factory(app)() as first:
        account, _code = factories.opened_account(first)
        refused_activation(first, account.person.pin, "2222-3333-4444", hasher)
    with session_factory(app)() as second:
        row = second.scalars(select(ActivationCode)).one()
        assert row.failed_attempts == 1


def test_a_weak_password_keeps_the_code_usable_and_is_not_counted_as_a_guess(session, hasher) -> None:
    account, code = factories.opened_account(session)
    for weak in ("password1", "short", account.person.pin + "x", f"my code is {code}"):
        with pytest.raises(WeakPassword):
            activate(session, account.person.pin, code, hasher, password=weak)
        session.commit()
    assert session.scalars(select(ActivationCode)).one().failed_attempts == 0
    assert activate(session, account.person.pin, code, hasher).status.value == "active"


def test_a_person_suspended_in_the_register_cannot_activate(session, hasher) -> None:
    account, code = factories.opened_account(session)
    change_status(session, account.person.pin, "suspend", reason="court order", actor="sup")
    session.commit()
    with pytest.raises(IllegalTransition, match="suspended"):
        activate(session, account.person.pin, code, hasher)
    session.commit()
    assert fresh(session, account).status.value == "pending_activation"
    assert session.scalars(select(ActivationCode)).one().used_at is None


def test_two_concurrent_activations_with_one_code_only_one_wins(app: Flask, session, hasher) -> None:
    account, code = factories.opened_account(session)
    pin, start, outcomes = account.person.pin, threading.Barrier(2), []

    def attempt(password: str) -> None:
        with session_factory(app)() as own:
            start.wait()
            try:
                activate(own, pin, code, hasher, password=password)
                own.commit()
                outcomes.append(password)
            except ActivationRejected:
                own.commit()
                outcomes.append("rejected")

    threads = [threading.Thread(target=attempt, args=(p,)) for p in (PASSWORD, NEW_PASSWORD)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes, key=len)[0] == "rejected" and len(outcomes) == 2
    winner = next(o for o in outcomes if o != "rejected")
    assert authenticate_password(session, pin, winner, hasher=hasher)
    assert audit_actions(session).count("account.activate") == 1


# The state table


def test_suspend_restore_and_revoke_follow_the_table(session, hasher) -> None:
    account = factories.active_account(session, hasher)
    pin = account.person.pin
    for transition, reason, actor, status in (
        ("suspend", "lost phone", "sup:1", "suspended"),
        ("restore", "found it", "sup:1", "active"),
        ("revoke", "fraud", "sup:2", "revoked"),
    ):
        assert change_account_status(session, pin, transition, reason=reason, actor=actor).status.value == status
    session.commit()
    events = session.scalars(select(AuditEvent).where(AuditEvent.action.like("account.%"))).all()
    assert [(e.action, e.actor, e.reason) for e in events][-3:] == [
        ("account.suspend", "sup:1", "lost phone"),
        ("account.restore", "sup:1", "found it"),
        ("account.revoke", "sup:2", "fraud"),
    ]


def test_illegal_changes_are_refused_and_change_nothing(session, hasher) -> None:
    account = factories.active_account(session, hasher)
    pin = account.person.pin
    before = session.scalar(select(func.count()).select_from(AuditEvent))
    with pytest.raises(IllegalTransition, match="Cannot restore an e-ID account that is active"):
        change_account_status(session, pin, "restore", reason="why not", actor="sup")
    with pytest.raises(InvalidInput, match="reason"):
        change_account_status(session, pin, "suspend", reason="   ", actor="sup")
    with pytest.raises(InvalidInput, match="activated by its holder"):
        change_account_status(session, pin, "activate", reason="shortcut", actor="sup")
    session.rollback()
    assert fresh(session, account).status.value == "active"
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == before


def test_revocation_is_final(session, hasher) -> None:
    account = factories.active_account(session, hasher)
    pin = account.person.pin
    change_account_status(session, pin, "revoke", reason="fraud", actor="sup")
    session.commit()
    with pytest.raises(IllegalTransition):
        change_account_status(session, pin, "restore", reason="mistake", actor="sup")
    with pytest.raises(IllegalTransition):
        open_account(session, pin, actor="reg", ttl_seconds=60)


def test_registrar_lookups_say_precisely_what_is_missing(session) -> None:
    person = factories.person(session)
    with pytest.raises(UnknownAccount, match=person.pin):
        get_account(session, person.pin)
    with pytest.raises(UnknownPerson):
        get_account(session, "001084999999")


# Identity level 2


def test_verification_in_person_records_who_when_and_which_card(session, hasher) -> None:
    account, code = factories.opened_account(session, with_card=True)
    pin = account.person.pin
    verified = verify_in_person(session, pin, card_number=f" {pin} ", actor="registrar:hanoi-07")
    session.commit()
    record = account_record(verified)
    assert record["identity_level"] == 2 and record["verified_by"] == "registrar:hanoi-07"
    assert record["verified_card_number"] == pin and record["verified_at"]
    assert audit_actions(session)[-1] == "account.verified_in_person"
    assert activate(session, pin, code, hasher).identity_level == 2  # activation does not lower it


def test_verification_needs_the_persons_valid_unexpired_card(session) -> None:
    account, _code = factories.opened_account(session)
    pin = account.person.pin
    with pytest.raises(CardConflict, match="no valid citizen card"):
        verify_in_person(session, pin, card_number=pin, actor="reg")
    account, _code = factories.opened_account(session, with_card=True, full_name="Đỗ Thị Hoa", sex="female")
    pin = account.person.pin
    with pytest.raises(CardConflict, match="not the valid card"):
        verify_in_person(session, pin, card_number="001084999999", actor="reg")
    with pytest.raises(InvalidInput, match="12 ASCII digits"):
        verify_in_person(session, pin, card_number="１" * 12, actor="reg")
    with pytest.raises(CardConflict, match="expired"):
        verify_in_person(session, pin, card_number=pin, actor="reg", today=dt.date(2044, 3, 12))
    session.rollback()
    assert fresh(session, account).identity_level == 1


# Password change


def test_changing_the_password_needs_the_current_one(session, hasher) -> None:
    account = factories.active_account(session, hasher)
    pin = account.person.pin
    with pytest.raises(CredentialRejected):
        change_password(session, pin, "not the password", NEW_PASSWORD, hasher=hasher, policy=PASSWORD_POLICY)
    with pytest.raises(WeakPassword):
        change_password(session, pin, PASSWORD, "password1", hasher=hasher, policy=PASSWORD_POLICY)
    with pytest.raises(WeakPassword, match="same as the current"):
        change_password(session, pin, PASSWORD, PASSWORD, hasher=hasher, policy=PASSWORD_POLICY)
    session.rollback()
    changed = change_password(session, pin, PASSWORD, NEW_PASSWORD, hasher=hasher, policy=PASSWORD_POLICY)
    session.commit()
    assert changed.password_changed_at > changed.activated_at
    assert authenticate_password(session, pin, NEW_PASSWORD, hasher=hasher)
    with pytest.raises(CredentialRejected):
        authenticate_password(session, pin, PASSWORD, hasher=hasher)
    assert audit_actions(session)[-1] == "account.password_changed"


# Password reset through a registrar


def reset(session: Session, pin: str, reason: str = "forgot the password; card checked") -> str:
    _account, code = issue_password_reset(session, pin, reason=reason, actor="registrar:hanoi-07", ttl_seconds=60)
    session.commit()
    return code


def test_a_reset_code_sets_a_new_password_and_the_old_one_works_until_then(session, hasher) -> None:
    account, activation_code = factories.opened_account(session, with_card=True)
    pin = account.person.pin
    verify_in_person(session, pin, card_number=pin, actor="registrar:test")
    activate(session, pin, activation_code, hasher)
    session.commit()
    activated_at = fresh(session, account).activated_at
    code = reset(session, pin)
    assert authenticate_password(session, pin, PASSWORD, hasher=hasher)  # the old password still works
    record = account_record(fresh(session, account))
    assert record["activation_code_expires_at"] and record["activation_attempts_left"] == MAX_ATTEMPTS
    assert code not in str(record)
    reset_done = activate(session, pin, code, hasher, password=NEW_PASSWORD)
    session.commit()
    assert (reset_done.status.value, reset_done.identity_level) == ("active", 2)  # state and level unchanged
    assert reset_done.activated_at == activated_at and reset_done.password_changed_at > activated_at
    with pytest.raises(CredentialRejected):
        authenticate_password(session, pin, PASSWORD, hasher=hasher)
    assert authenticate_password(session, pin, NEW_PASSWORD, hasher=hasher)
    issued = session.scalars(select(AuditEvent).where(AuditEvent.action == "account.password_reset_issued")).one()
    assert (issued.actor, issued.reason) == ("registrar:hanoi-07", "forgot the password; card checked")
    assert audit_actions(session)[-1] == "account.password_reset"
    assert account_record(fresh(session, account))["activation_code_expires_at"] is None


def test_a_reset_code_works_once_and_a_newer_one_replaces_it(session, hasher) -> None:
    account = factories.active_account(session, hasher)
    pin = account.person.pin
    replaced = reset(session, pin)
    code = reset(session, pin)
    refused_activation(session, pin, replaced, hasher)
    activate(session, pin, code, hasher, password=NEW_PASSWORD)
    session.commit()
    refused_activation(session, pin, code, hasher)
    assert authenticate_password(session, pin, NEW_PASSWORD, hasher=hasher)


def test_wrong_reset_codes_are_counted_like_activation_codes(session, hasher) -> None:
    account = factories.active_account(session, hasher)
    pin = account.person.pin
    refused_activation(session, pin, "2222-3333-4444", hasher)  # no reset under way: nothing to count
    assert session.scalars(select(ActivationCode)).one().failed_attempts == 0
    code = reset(session, pin)
    for attempt in range(MAX_ATTEMPTS):
        refused_activation(session, pin, f"2222-3333-{attempt + 4}ABC", hasher)
    with pytest.raises(TooManyAttempts):
        activate(session, pin, code, hasher, password=NEW_PASSWORD)
    session.commit()
    assert authenticate_password(session, pin, PASSWORD, hasher=hasher)  # nothing changed


def test_a_reset_needs_a_reason_and_an_active_account(session, hasher) -> None:
    with pytest.raises(InvalidInput, match="reason is required"):
        reset(session, factories.active_account(session, hasher).person.pin, reason="  ")
    pending, _code = factories.opened_account(session, full_name="Lê Văn Tám")
    with pytest.raises(IllegalTransition, match="pending_activation"):
        reset(session, pending.person.pin)
    for transition, name in (("suspend", "Vũ Thị Hạnh"), ("revoke", "Vũ Thị Hằng")):
        pin = factories.active_account(session, hasher, full_name=name, sex="female").person.pin
        change_account_status(session, pin, transition, reason="test", actor="sup")
        session.commit()
        with pytest.raises(IllegalTransition, match="issued only for an active account"):
            reset(session, pin)
    pin = factories.active_account(session, hasher, full_name="Ngô Văn Năm").person.pin
    change_status(session, pin, "suspend", reason="court order", actor="sup")
    session.commit()
    with pytest.raises(IllegalTransition, match="identity that is suspended"):
        reset(session, pin)
    session.rollback()
    assert "account.password_reset_issued" not in audit_actions(session)


def test_a_suspension_cancels_a_reset_under_way(session, hasher) -> None:
    account = factories.active_account(session, hasher)
    pin = account.person.pin
    code = reset(session, pin)
    change_account_status(session, pin, "suspend", reason="suspected misuse", actor="sup")
    session.commit()
    refused_activation(session, pin, code, hasher)
    change_account_status(session, pin, "restore", reason="cleared", actor="sup")
    session.commit()
    refused_activation(session, pin, code, hasher)
    assert account_record(fresh(session, account))["activation_code_expires_at"] is None
    assert authenticate_password(session, pin, PASSWORD, hasher=hasher)
    activate(session, pin, reset(session, pin), hasher, password=NEW_PASSWORD)  # a new code works
    session.commit()
    assert authenticate_password(session, pin, NEW_PASSWORD, hasher=hasher)


def test_the_account_record_never_holds_a_hash(session, hasher) -> None:
    account = factories.active_account(session, hasher)
    assert "$argon2" not in str(account_record(account))
    assert account_record(account)["password_set"] is True
