"""Password sign-in: one answer for every failure, equal work on every path, rehash on login."""

from __future__ import annotations

import argon2
import pytest
from sqlalchemy.orm import Session

from identity import (
    CredentialRejected,
    InvalidPin,
    PasswordHasher,
    authenticate_password,
    change_account_status,
    change_status,
    reestablish_pin,
)
from identity.authn import REJECTED
from identity.models import Account
from tests import factories
from tests.conftest import TEST_ARGON2
from tests.factories import PASSWORD


class CountingHasher(PasswordHasher):
    """Records the hash every argon2 verification ran against, to prove each path does exactly one."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, time_cost: int = TEST_ARGON2["argon2_time_cost"]) -> None:
        super().__init__(time_cost, TEST_ARGON2["argon2_memory_cost"], TEST_ARGON2["argon2_parallelism"])
        self.verified: list[str] = []
        real_verify = argon2.PasswordHasher.verify

        def spy(argon2_hasher: argon2.PasswordHasher, stored: str, password: bytes) -> bool:
            self.verified.append(stored)
            return real_verify(argon2_hasher, stored, password)

        monkeypatch.setattr(argon2.PasswordHasher, "verify", spy)


@pytest.fixture
def hasher(monkeypatch: pytest.MonkeyPatch) -> CountingHasher:
    return CountingHasher(monkeypatch)


def rejection(session: Session, pin: str, password: str, hasher: CountingHasher) -> CredentialRejected:
    """Attempt a sign-in that must fail; check it did exactly one argon2 verification."""
    hasher.verified.clear()
    with pytest.raises(CredentialRejected) as refused:
        authenticate_password(session, pin, password, hasher=hasher)
    assert len(hasher.verified) == 1
    return refused.value


def test_the_right_pin_and_password_sign_in(session, hasher) -> None:
    account = factories.active_account(session, hasher)
    signed_in = authenticate_password(session, account.person.pin, PASSWORD, hasher=hasher)
    assert signed_in.id == account.id
    assert hasher.verified == [account.password_hash]


def test_unknown_pin_and_wrong_password_are_indistinguishable(session, hasher) -> None:
    account = factories.active_account(session, hasher)
    wrong_password = rejection(session, account.person.pin, PASSWORD + "x", hasher)
    unknown_pin = rejection(session, "001084999999", PASSWORD, hasher)
    assert type(wrong_password) is type(unknown_pin) is CredentialRejected
    assert wrong_password.message == unknown_pin.message == REJECTED
    assert wrong_password.as_dict() == unknown_pin.as_dict()
    assert hasher.verified == [hasher.dummy_hash]  # the unknown PIN paid for a full verification too


@pytest.mark.parametrize("pin", ["", "12345", "0010840001234", "00108400012x", "abc", "001 084 000 123"])
def test_malformed_ascii_pins_get_the_same_answer_after_the_same_work(session, hasher, pin) -> None:
    assert rejection(session, pin, PASSWORD, hasher).message == REJECTED
    assert hasher.verified == [hasher.dummy_hash]


def test_full_width_digits_are_refused_precisely_and_never_normalised_into_the_pin(session, hasher) -> None:
    account = factories.active_account(session, hasher)
    full_width = account.person.pin.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    with pytest.raises(InvalidPin) as refused:
        authenticate_password(session, full_width, PASSWORD, hasher=hasher)
    assert "U+FF1" in refused.value.message and "ASCII" in refused.value.message
    assert not isinstance(refused.value, CredentialRejected)


def test_accounts_that_are_not_active_cannot_sign_in(session, hasher) -> None:
    pending, _code = factories.opened_account(session)
    suspended = factories.active_account(session, hasher, full_name="Trần Thị Bình", sex="female")
    revoked = factories.active_account(session, hasher, full_name="Lê Văn Cường")
    change_account_status(session, suspended.person.pin, "suspend", reason="reported lost phone", actor="sup")
    change_account_status(session, revoked.person.pin, "revoke", reason="fraud", actor="sup")
    session.commit()
    for account in (pending, suspended, revoked):
        assert rejection(session, account.person.pin, PASSWORD, hasher).message == REJECTED
        assert hasher.verified == [hasher.dummy_hash]


@pytest.mark.parametrize("transition", ["suspend", "revoke", "deceased"])
def test_a_person_not_active_in_the_register_cannot_sign_in(session, hasher, transition) -> None:
    account = factories.active_account(session, hasher)
    change_status(session, account.person.pin, transition, reason="register decision", actor="sup")
    session.commit()
    assert account.status.value == "active"  # the account itself was not touched
    assert rejection(session, account.person.pin, PASSWORD, hasher).message == REJECTED
    assert hasher.verified == [hasher.dummy_hash]


def test_a_cancelled_pin_no_longer_signs_in(session, hasher) -> None:
    account = factories.active_account(session, hasher)
    old_pin = account.person.pin
    reestablish_pin(session, old_pin, factories.facts(birth_date="1985-03-12"), reason="wrong year", actor="reg")
    session.commit()
    assert rejection(session, old_pin, PASSWORD, hasher).message == REJECTED
    assert authenticate_password(session, account.person.pin, PASSWORD, hasher=hasher).id == account.id


def test_raised_parameters_upgrade_the_stored_hash_at_the_next_sign_in(session, hasher, monkeypatch) -> None:
    account = factories.active_account(session, hasher)
    old_hash = account.password_hash
    stronger = CountingHasher(monkeypatch, time_cost=TEST_ARGON2["argon2_time_cost"] + 1)
    authenticate_password(session, account.person.pin, PASSWORD, hasher=stronger)
    session.commit()
    session.expire_all()
    stored = session.get(Account, account.id)
    assert stored is not None and stored.password_hash != old_hash
    assert stored.password_hash.startswith("$argon2id$v=19$m=1024,t=2,p=1$")
    assert not stronger.needs_rehash(stored.password_hash)
    assert authenticate_password(session, account.person.pin, PASSWORD, hasher=stronger).password_hash == (
        stored.password_hash
    )


def test_a_failed_sign_in_never_rehashes(session, hasher, monkeypatch) -> None:
    account = factories.active_account(session, hasher)
    old_hash = account.password_hash
    stronger = CountingHasher(monkeypatch, time_cost=TEST_ARGON2["argon2_time_cost"] + 1)
    rejection(session, account.person.pin, "not the password", stronger)
    assert account.password_hash == old_hash
