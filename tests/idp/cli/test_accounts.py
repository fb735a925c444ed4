"""``idp accounts``: open (code and activation page), show, suspend/restore/revoke, verify in person."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.orm import Session

from identity import CredentialRejected, PasswordHasher, activate_account, authenticate_password, bind_card
from tests import factories
from tests.factories import CARD_ISSUED_ON, PASSWORD, PASSWORD_POLICY
from tests.idp.cli.commands import assert_one_sentence_error, run, succeeded


@pytest.fixture
def pin(session: Session) -> str:
    """A registered person with a valid card; the test session is left idle so that commands can write."""
    person = factories.person(session)
    bind_card(session, person.pin, issued_on=CARD_ISSUED_ON, actor="registrar:test")
    session.commit()
    return person.pin


@pytest.fixture
def hasher(settings) -> PasswordHasher:
    return PasswordHasher.from_settings(settings)


def test_open_prints_the_code_the_activation_page_and_how_to_hand_it_over(runner, session, settings, pin) -> None:
    result = run(runner, "accounts", "open", pin, "--actor", "registrar:hanoi-07")
    assert result.exit_code == 0, result.stderr
    code = next(line.split()[2] for line in result.stdout.splitlines() if line.startswith("Activation code:"))
    assert f"Activation page: {settings.issuer}/activate" in result.stdout
    assert "Hand this code to the citizen in person" in result.stdout
    hasher = PasswordHasher.from_settings(settings)
    assert activate_account(session, pin, code, PASSWORD, hasher=hasher, policy=PASSWORD_POLICY)


def test_open_json_keeps_the_code_out_of_the_url(runner, settings, pin) -> None:
    data = succeeded(run(runner, "accounts", "open", pin, "--json"))
    assert data["status"] == "pending_activation" and data["pin"] == pin
    assert data["activation_url"] == f"{settings.issuer}/activate"
    assert data["activation_code"] not in data["activation_url"]
    assert data["instructions"] and data["activation_code_expires_at"]


def test_open_refuses_an_active_account_and_unknown_people(runner, session, hasher, pin) -> None:
    code = succeeded(run(runner, "accounts", "open", pin, "--json"))["activation_code"]
    activate_account(session, pin, code, PASSWORD, hasher=hasher, policy=PASSWORD_POLICY)
    session.commit()
    assert_one_sentence_error(run(runner, "accounts", "open", pin), "already has an e-ID account", "active")
    unknown = run(runner, "accounts", "open", "001084999999", "--json")
    assert unknown.exit_code == 1 and json.loads(unknown.stdout)["error"] == "unknown_person"


def test_show_describes_the_account_and_never_a_hash_or_code(runner, session, hasher, pin) -> None:
    code = succeeded(run(runner, "accounts", "open", pin, "--json"))["activation_code"]
    activate_account(session, pin, code, PASSWORD, hasher=hasher, policy=PASSWORD_POLICY)
    session.commit()
    text = run(runner, "accounts", "show", pin)
    data = succeeded(run(runner, "accounts", "show", pin, "--json"))
    assert text.exit_code == 0 and "account: active" in text.stdout and "can sign in: yes" in text.stdout
    assert data["status"] == "active" and data["identity_level"] == 1 and data["password_set"] is True
    for output in (text.stdout, json.dumps(data)):
        assert "$argon2" not in output and code not in output
    assert_one_sentence_error(run(runner, "accounts", "show", "001084999999"), "001084999999")


def test_suspend_restore_revoke_need_a_reason_and_follow_the_table(runner, session, hasher, pin) -> None:
    code = succeeded(run(runner, "accounts", "open", pin, "--json"))["activation_code"]
    activate_account(session, pin, code, PASSWORD, hasher=hasher, policy=PASSWORD_POLICY)
    session.commit()
    missing = run(runner, "accounts", "suspend", pin)  # --reason is required: refused, nothing changed
    assert missing.exit_code == 1
    assert "reason is required" in missing.stderr
    suspended = run(runner, "accounts", "suspend", pin, "--reason", "lost phone")
    assert suspended.exit_code == 0 and "is now suspended" in suspended.stdout
    with pytest.raises(CredentialRejected):
        authenticate_password(session, pin, PASSWORD, hasher=hasher)
    session.commit()
    assert_one_sentence_error(run(runner, "accounts", "suspend", pin, "--reason", "again"), "Cannot suspend")
    assert succeeded(run(runner, "accounts", "restore", pin, "--reason", "found", "--json"))["status"] == "active"
    assert succeeded(run(runner, "accounts", "revoke", pin, "--reason", "fraud", "--json"))["status"] == "revoked"


def test_verify_raises_the_identity_level_against_the_card_in_hand(runner, pin) -> None:
    run(runner, "accounts", "open", pin)
    assert_one_sentence_error(
        run(runner, "accounts", "verify", pin, "--card-number", "001084999999"), "not the valid card"
    )
    data = succeeded(run(runner, "accounts", "verify", pin, "--card-number", pin, "--actor", "reg:7", "--json"))
    assert data["identity_level"] == 2 and data["verified_by"] == "reg:7" and data["verified_card_number"] == pin
