"""``idp accounts``: open (code and activation page), show, suspend/restore/revoke, verify in person,
reset-password, reset-otp, unlock."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from identity import (
    CredentialRejected,
    PasswordHasher,
    activate_account,
    authenticate_password,
    bind_card,
    get_account,
    otp,
    throttle,
)
from identity.models import AuditEvent
from idp import context, create_app
from idp.context import session_factory
from tests import factories
from tests.conftest import make_settings
from tests.factories import CARD_ISSUED_ON, PASSWORD, PASSWORD_POLICY
from tests.idp.cli.commands import assert_one_sentence_error, run, succeeded
from tests.idp.conftest import Citizen, Clock, Portal, csrf_token, query_of
from tests.idp.flows import login_form, sign_in_directly, start


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


# -- the second factor, locks and password resets ----------------------------------------------------------


@pytest.fixture
def strict(app: Flask, database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The service with a lock after 3 wrong passwords (1 free), on the suite's database."""
    application = create_app(make_settings(database_url, tmp_path, free_failures=1, lock_after_failures=3))
    yield application
    context.engine(application).dispose()


def audit_event(app: Flask, action: str) -> AuditEvent:
    with session_factory(app)() as session:
        return session.scalars(select(AuditEvent).where(AuditEvent.action == action)).one()


def password_step(browser: FlaskClient, citizen: Citizen, location: str = "/login") -> TestResponse:
    _html, token, interaction = login_form(browser, location)
    form = {"csrf_token": token, "interaction": interaction, "pin": citizen.pin, "password": citizen.password}
    return browser.post("/login", data=form)


def signed_in(browser: FlaskClient, portal: Portal) -> bool:
    return "code" in query_of(start(browser, portal, prompt="none").headers["Location"])


def test_show_tells_the_second_factor_and_the_locks_and_never_a_seed_or_code(
    app: Flask, runner, citizen_with_app: Citizen
) -> None:
    pin = citizen_with_app.pin
    assert "second factor: app set up since" in run(runner, "accounts", "show", pin).stdout
    settings = context.settings(app)
    with session_factory(app)() as session:
        account = get_account(session, pin)
        otp.use_recovery_code(session, account.id, citizen_with_app.recovery_codes[0])
        pending = otp.start_enrolment(session, account, kek=settings.key_encryption_key_bytes(), issuer="x")
        for _ in range(2):
            throttle.record_failure(
                session, account.id, throttle.Factor.OTP, throttle.ThrottlePolicy(free_failures=1, lock_after=2)
            )
        session.commit()
    text = run(runner, "accounts", "show", pin)
    data = succeeded(run(runner, "accounts", "show", pin, "--json"))
    assert text.exit_code == 0
    assert "9 recovery code(s) left; enrolment under way since" in text.stdout
    assert "locks: code locked since" in text.stdout
    assert data["otp_app_since"] and data["otp_enrolment_since"] and data["otp_locked_since"]
    assert data["recovery_codes_left"] == 9 and data["password_locked_since"] is None
    for output in (text.stdout, json.dumps(data)):
        assert citizen_with_app.otp_secret not in output and pending.secret not in output
        assert not any(code in output for code in citizen_with_app.recovery_codes)


def test_show_of_an_account_without_an_app(runner, citizen: Citizen) -> None:
    text = run(runner, "accounts", "show", citizen.pin)
    assert "second factor: no app" in text.stdout and "locks: none" in text.stdout
    data = succeeded(run(runner, "accounts", "show", citizen.pin, "--json"))
    assert (data["otp_app_since"], data["recovery_codes_left"], data["otp_locked_since"]) == (None, 0, None)


def test_reset_otp_needs_a_reason_and_then_the_next_sign_in_asks_for_a_new_app_when_one_is_required(
    app: Flask, runner, portal: Portal, citizen_with_app: Citizen
) -> None:
    pin = citizen_with_app.pin
    assert_one_sentence_error(run(runner, "accounts", "reset-otp", pin), "reason is required")
    assert "app set up since" in run(runner, "accounts", "show", pin).stdout  # the refusal changed nothing
    result = run(runner, "accounts", "reset-otp", pin, "--reason", "lost phone; card checked", "--actor", "reg:7")
    assert result.exit_code == 0 and "reset; it had: app set up since" in result.stdout
    assert "10 recovery code(s) left" in result.stdout
    event = audit_event(app, "account.otp_reset")
    assert (event.actor, event.reason) == ("reg:7", "lost phone; card checked")
    again = succeeded(run(runner, "accounts", "reset-otp", pin, "--reason", "twice", "--json"))
    assert again["removed"] == {
        "otp_app_since": None,
        "otp_enrolment_since": None,
        "recovery_codes_left": 0,
    }
    # Nothing requires a code of this level-1 citizen: the password alone signs in, with no code step.
    browser = app.test_client()
    assert urlsplit(password_step(browser, citizen_with_app).headers["Location"]).path == "/"
    # A portal that requires one gets an app set up first.
    browser = app.test_client()
    asked = start(browser, portal, acr_values="urn:vn:eid:acr:mfa").headers["Location"]
    response = password_step(browser, citizen_with_app, asked)
    assert urlsplit(response.headers["Location"]).path == "/otp/enrol"
    assert not signed_in(browser, portal)


def test_reset_otp_of_an_unknown_pin_is_refused(runner) -> None:
    assert_one_sentence_error(run(runner, "accounts", "reset-otp", "001084999999", "--reason", "x"), "001084999999")


def test_unlock_lifts_a_password_lock_and_says_what_was_locked(
    app: Flask, strict: Flask, citizen: Citizen, clock: Clock
) -> None:
    browser, wrong = strict.test_client(), Citizen(citizen.pin, "not the password", citizen.person_id)
    for _ in range(3):
        clock.advance(60)  # past every delay, so each failure is counted
        assert sign_in_directly(browser, wrong).status_code == 401
    clock.advance(60)
    assert sign_in_directly(browser, citizen).status_code == 401  # locked: the right password is refused too
    runner = strict.test_cli_runner()
    assert "locks: password locked since" in run(runner, "accounts", "show", citizen.pin).stdout
    assert_one_sentence_error(run(runner, "accounts", "unlock", citizen.pin), "reason is required")
    assert sign_in_directly(browser, citizen).status_code == 401  # the refusal changed nothing
    result = run(runner, "accounts", "unlock", citizen.pin, "--reason", "card checked", "--actor", "sup:3")
    assert result.exit_code == 0 and "unlocked the password; failure counters cleared" in result.stdout
    event = audit_event(app, "account.unlocked")
    assert (event.actor, event.reason, json.loads(event.details)["locked"]) == ("sup:3", "card checked", ["password"])
    assert sign_in_directly(browser, citizen).status_code == 303
    nothing = run(runner, "accounts", "unlock", citizen.pin, "--reason", "again", "--json")
    assert succeeded(nothing)["was_locked"] == []
    assert "nothing was locked" in run(runner, "accounts", "unlock", citizen.pin, "--reason", "again").stdout


def test_reset_password_prints_the_code_once_and_the_old_password_works_until_it_is_used(
    runner, session, settings, hasher, pin
) -> None:
    code = succeeded(run(runner, "accounts", "open", pin, "--json"))["activation_code"]
    activate_account(session, pin, code, PASSWORD, hasher=hasher, policy=PASSWORD_POLICY)
    session.commit()
    assert_one_sentence_error(run(runner, "accounts", "reset-password", pin), "reason is required")
    result = run(runner, "accounts", "reset-password", pin, "--reason", "forgot it; card checked")
    assert result.exit_code == 0, result.stderr
    reset = next(line.split()[2] for line in result.stdout.splitlines() if line.startswith("Activation code:"))
    assert f"Activation page: {settings.issuer}/activate" in result.stdout
    assert "Hand this code to the citizen in person" in result.stdout
    assert "current password keeps working" in result.stdout
    assert authenticate_password(session, pin, PASSWORD, hasher=hasher)
    session.commit()
    assert "password reset code valid until" in run(runner, "accounts", "show", pin).stdout
    data = succeeded(run(runner, "accounts", "reset-password", pin, "--reason", "lost the paper", "--json"))
    assert data["status"] == "active" and data["activation_url"] == f"{settings.issuer}/activate"
    assert data["activation_code"] != reset and data["activation_code"] not in data["activation_url"]
    activate_account(session, pin, data["activation_code"], "mưa phùn tháng hai", hasher=hasher, policy=PASSWORD_POLICY)
    session.commit()
    with pytest.raises(CredentialRejected):
        authenticate_password(session, pin, PASSWORD, hasher=hasher)


def test_reset_password_is_refused_for_an_account_that_is_not_active(runner, session, hasher, pin) -> None:
    run(runner, "accounts", "open", pin)
    assert_one_sentence_error(run(runner, "accounts", "reset-password", pin, "--reason", "x"), "pending_activation")
    code = succeeded(run(runner, "accounts", "open", pin, "--json"))["activation_code"]
    activate_account(session, pin, code, PASSWORD, hasher=hasher, policy=PASSWORD_POLICY)
    session.commit()
    for transition, state in (("suspend", "suspended"), ("revoke", "revoked")):
        assert run(runner, "accounts", transition, pin, "--reason", "test").exit_code == 0
        refused = run(runner, "accounts", "reset-password", pin, "--reason", "forgot", "--json")
        assert_one_sentence_error(refused, f"is {state}; a password reset is issued only for an active account")
        assert json.loads(refused.stdout)["error"] == "illegal_transition"
    assert "password reset code" not in run(runner, "accounts", "show", pin).stdout


def test_reset_otp_ends_the_accounts_sessions(app: Flask, runner, portal: Portal, citizen_with_app: Citizen) -> None:
    """The phone is lost: a browser on it that is still signed in must not stay so."""
    on_the_lost_phone = app.test_client()
    assert urlsplit(password_step(on_the_lost_phone, citizen_with_app).headers["Location"]).path == "/login/code"
    page = on_the_lost_phone.get("/login/code").get_data(as_text=True)
    on_the_lost_phone.post("/login/code", data={"csrf_token": csrf_token(page), "code": citizen_with_app.code()})
    assert signed_in(on_the_lost_phone, portal)
    result = run(runner, "accounts", "reset-otp", citizen_with_app.pin, "--reason", "lost phone; card checked")
    assert result.exit_code == 0, result.stderr
    assert not signed_in(on_the_lost_phone, portal)
