"""The activation page: PIN, one-time code and a new password; CSRF-protected, one answer for a wrong
PIN or code, a refused password leaves the code usable, the code works once (ASVS 3.5.1, 6.4.1). The
same page takes a registrar's password reset code: the old password works until then, every session
ends with it, and the code step still follows (ASVS 6.4.3)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from identity.accounts import issue_password_reset
from identity.activation_codes import MAX_ATTEMPTS
from idp.context import session_factory
from tests import factories
from tests.idp.conftest import Citizen, Portal, csrf_token, query_of
from tests.idp.flows import change_account, refresh, sign_in_directly, start, tokens

NEW_PASSWORD = "trăng rằm tháng tám sáng tỏ"


@pytest.fixture
def pending(app: Flask) -> tuple[str, str]:
    """A person with an account awaiting activation: their PIN and one-time code."""
    with session_factory(app)() as session:
        account, code = factories.opened_account(session, full_name="Hoàng Văn Đức", birth_date="1979-07-07")
        return account.person.pin, code


def activate(
    client: FlaskClient, pin: str, code: str, password: str = NEW_PASSWORD, **overrides: str | None
) -> TestResponse:
    html = client.get("/activate").get_data(as_text=True)
    form: dict[str, str | None] = {
        "csrf_token": csrf_token(html),
        "pin": pin,
        "code": code,
        "password": password,
        "confirm": password,
        **overrides,
    }
    return client.post("/activate", data={k: v for k, v in form.items() if v is not None})


def error_of(response: TestResponse) -> str:
    match = re.search(r'<p class="error" role="alert"[^>]*>([^<]*)</p>', response.get_data(as_text=True))
    assert match, response.get_data(as_text=True)
    return match.group(1)


def activated(response: TestResponse) -> bool:
    """A successful activation goes on to setting up a one-time-code app (the citizen's first sign-in)."""
    return response.status_code == 303 and response.headers["Location"].startswith("/otp/enrol")


def can_sign_in(client: FlaskClient, pin: str, password: str, portal: Portal) -> bool:
    sign_in_directly(client, Citizen(pin, password, 0))
    return "code" in query_of(start(client, portal, prompt="none").headers["Location"])


def test_the_page_renders_a_protected_form(client: FlaskClient) -> None:
    response = client.get("/activate")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert csrf_token(html)
    assert 'autocomplete="new-password"' in html
    assert 'autocomplete="one-time-code"' in html


def test_activation_opens_the_account(client: FlaskClient, portal: Portal, pending: tuple[str, str]) -> None:
    pin, code = pending
    response = activate(client, pin, code)
    assert activated(response)
    enrol_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Tài khoản của bạn đã được kích hoạt." in enrol_page  # "Your account is active."
    assert can_sign_in(client, pin, NEW_PASSWORD, portal)


@pytest.mark.parametrize("token", [None, "", "forged"])
def test_without_a_valid_csrf_token_nothing_changes(
    client: FlaskClient, portal: Portal, pending: tuple[str, str], token: str | None
) -> None:
    pin, code = pending
    response = activate(client, pin, code, csrf_token=token)
    assert response.status_code == 400
    assert activated(activate(client, pin, code))  # the code was not spent


def test_two_different_passwords_change_nothing(client: FlaskClient, pending: tuple[str, str]) -> None:
    pin, code = pending
    response = activate(client, pin, code, confirm=NEW_PASSWORD + "!")
    assert response.status_code == 400
    assert activated(activate(client, pin, code))


def test_a_refused_password_leaves_the_code_usable(client: FlaskClient, pending: tuple[str, str]) -> None:
    pin, code = pending
    for weak in ("password", "short", pin):
        assert activate(client, pin, code, password=weak).status_code == 400
    assert activated(activate(client, pin, code))


def test_a_wrong_code_and_an_unknown_pin_get_the_same_answer(client: FlaskClient, pending: tuple[str, str]) -> None:
    pin, code = pending
    wrong_code = activate(client, pin, "WRONG-CODE")
    unknown_pin = activate(client, "001190000000", code)
    assert wrong_code.status_code == unknown_pin.status_code == 400
    assert error_of(wrong_code) == error_of(unknown_pin)


def test_guessing_a_code_to_exhaustion_does_not_tell_that_the_pin_awaits_activation(
    client: FlaskClient, pending: tuple[str, str]
) -> None:
    """ASVS 6.3.8: after MAX_ATTEMPTS wrong codes the answer is still the one an unknown PIN gets, so
    guessing cannot be used to find out which PINs have an account awaiting activation."""
    pin, code = pending
    unknown = activate(client, "001190000000", "WRONG-CODE")
    answers = [activate(client, pin, f"WRONG-{attempt}") for attempt in range(MAX_ATTEMPTS + 2)]
    exhausted = activate(client, pin, code)  # even the right code, now that the code is spent
    for answer in [*answers, exhausted]:
        assert (answer.status_code, error_of(answer)) == (unknown.status_code, error_of(unknown))


def test_the_code_works_once(client: FlaskClient, pending: tuple[str, str]) -> None:
    pin, code = pending
    assert activated(activate(client, pin, code))
    again = activate(client, pin, code, password="một mật khẩu khác hẳn")
    assert again.status_code == 400


def test_an_activated_account_cannot_be_activated_again_by_a_citizen(client: FlaskClient, citizen: Citizen) -> None:
    assert activate(client, citizen.pin, "ANY-CODE").status_code == 400


def test_missing_fields_are_refused(client: FlaskClient, pending: tuple[str, str]) -> None:
    pin, code = pending
    html = client.get("/activate").get_data(as_text=True)
    form = {"csrf_token": csrf_token(html), "pin": pin, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert client.post("/activate", data=form).status_code == 400
    assert activated(activate(client, pin, code))


# -- a password reset through a registrar ---------------------------------------------------------------


def reset_code(app: Flask, pin: str) -> str:
    """What ``idp accounts reset-password`` hands the citizen."""
    with session_factory(app)() as session:
        _account, code = issue_password_reset(
            session, pin, reason="forgot the password; card checked", actor="registrar:test", ttl_seconds=3600
        )
        session.commit()
        return code


def signed_in(browser: FlaskClient, portal: Portal) -> bool:
    return "code" in query_of(start(browser, portal, prompt="none").headers["Location"])


def test_a_reset_keeps_the_old_password_until_used_then_ends_every_session(
    app: Flask, client: FlaskClient, portal: Portal, citizen: Citizen
) -> None:
    before = tokens(client, portal, citizen)  # a portal holds this citizen's tokens, and the browser a session
    code = reset_code(app, citizen.pin)
    meanwhile = app.test_client()
    assert sign_in_directly(meanwhile, citizen).status_code == 303  # the old password still works
    assert signed_in(client, portal) and signed_in(meanwhile, portal)

    counter = app.test_client()
    response = activate(counter, citizen.pin, code)
    assert activated(response)
    assert not signed_in(client, portal) and not signed_in(meanwhile, portal)  # both sessions ended
    assert refresh(client, portal, before["refresh_token"]).get_json()["error"] == "invalid_grant"
    assert sign_in_directly(app.test_client(), citizen).status_code == 401  # the old password is gone
    assert can_sign_in(app.test_client(), citizen.pin, NEW_PASSWORD, portal)
    assert activate(app.test_client(), citizen.pin, code, password="một mật khẩu khác hẳn").status_code == 400


def test_a_reset_does_not_skip_the_code_step(app: Flask, portal: Portal, citizen_with_app: Citizen) -> None:
    """ASVS 6.4.3: the new password is one factor; an account with an app still gives its code."""
    browser = app.test_client()
    response = activate(browser, citizen_with_app.pin, reset_code(app, citizen_with_app.pin))
    assert response.status_code == 303 and urlsplit(response.headers["Location"]).path == "/login/code"
    assert not signed_in(browser, portal)
    html = browser.get(response.headers["Location"]).get_data(as_text=True)
    interaction = re.search(r'name="interaction" type="hidden" value="([^"]*)"', html).group(1)
    form = {"csrf_token": csrf_token(html), "interaction": interaction, "code": citizen_with_app.code()}
    assert browser.post("/login/code", data=form).status_code == 303
    assert signed_in(browser, portal)


def test_a_reset_code_gets_the_answer_of_an_unknown_pin_once_the_account_is_suspended(
    app: Flask, client: FlaskClient, citizen: Citizen
) -> None:
    code = reset_code(app, citizen.pin)
    unknown = activate(client, "001190000000", code)
    change_account(app, citizen, "suspend")
    refused = activate(client, citizen.pin, code)
    assert (refused.status_code, error_of(refused)) == (unknown.status_code, error_of(unknown))
    change_account(app, citizen, "restore")
    assert activate(client, citizen.pin, code).status_code == 400  # the suspension cancelled the reset
