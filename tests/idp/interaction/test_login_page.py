"""The sign-in page: one answer for every failure, CSRF-protected, 303 after the POST, a new session at
every sign-in, and the authorization parameters that drive it: login_hint, prompt=login, max_age
(ASVS 6.3.8, 3.5.1, 7.2.4; RFC 9700 §4.12; OIDC Core 3.1.2.1; conformance oidcc-prompt-login,
oidcc-max-age-1, oidcc-max-age-10000, oidcc-login-hint)."""

from __future__ import annotations

import re
import time

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.idp.conftest import Citizen, Clock, Portal, make_citizen, query_of, sign_in
from tests.idp.flows import (
    change_account,
    is_portal_redirect,
    login_form,
    sign_in_directly,
    start,
    tokens,
    unverified_parts,
)

SESSION_COOKIE = "idp_sso"


def failure_of(client: FlaskClient, pin: str, password: str) -> tuple[int, str]:
    _html, token, _ = login_form(client)
    response = client.post("/login", data={"csrf_token": token, "pin": pin, "password": password})
    error = re.search(r'<p class="error" role="alert"[^>]*>([^<]*)</p>', response.get_data(as_text=True))
    assert error, response.get_data(as_text=True)
    return response.status_code, error.group(1)


def sets_session(response: TestResponse) -> bool:
    return any(
        SESSION_COOKIE + "=" in header and "Max-Age=0" not in header
        for header in response.headers.getlist("Set-Cookie")
    )


def test_every_failure_gets_the_same_answer(app: Flask, client: FlaskClient, citizen: Citizen) -> None:
    """ASVS 6.3.8: the answer never tells whether a PIN has an account."""
    suspended = make_citizen(app, full_name="Đỗ Thị Hoa", birth_date="1995-05-05", sex="female")
    change_account(app, suspended, "suspend")
    answers = {
        failure_of(client, "001190000000", citizen.password),  # a PIN-shaped number nobody has
        failure_of(client, citizen.pin, "not the password"),
        failure_of(client, citizen.pin, citizen.password.upper()),  # no case folding (ASVS 6.2.8)
        failure_of(client, suspended.pin, suspended.password),
        failure_of(client, "12345", citizen.password),
    }
    assert len(answers) == 1
    status, message = answers.pop()
    assert status == 401
    assert message == "Số định danh cá nhân hoặc mật khẩu không đúng."


@pytest.mark.parametrize("digits", ["０１２３４５６７８９", "٠١٢٣٤٥٦٧٨٩"], ids=["full-width", "arabic-indic"])
def test_a_pin_typed_with_other_digits_gets_its_precise_message(
    client: FlaskClient, citizen: Citizen, digits: str
) -> None:
    """identity.authn's one exception to the single answer: it depends on what was typed, never on the
    register, and tells the citizen whose keyboard produced these digits how to succeed."""
    typed = citizen.pin.translate(str.maketrans("0123456789", digits))
    status, message = failure_of(client, typed, citizen.password)
    assert status == 400
    assert message == "Hãy nhập số định danh cá nhân chỉ bằng các chữ số từ 0 đến 9."


def test_a_failed_sign_in_starts_no_session(client: FlaskClient, portal: Portal, citizen: Citizen) -> None:
    _html, token, _ = login_form(client)
    response = client.post("/login", data={"csrf_token": token, "pin": citizen.pin, "password": "wrong"})
    assert not sets_session(response)
    assert query_of(start(client, portal, prompt="none").headers["Location"])["error"] == "login_required"


def test_a_refused_sign_in_is_logged_without_the_password_or_the_whole_pin(
    client: FlaskClient, citizen: Citizen, caplog: pytest.LogCaptureFixture
) -> None:
    """ASVS 16.3.1: authentication failures are logged; ASVS 16.2.5: without secrets."""
    caplog.set_level("WARNING", logger="idp.security")
    failure_of(client, citizen.pin, "not the password")
    [record] = [r for r in caplog.records if r.name == "idp.security"]
    assert record.getMessage() == f"sign-in refused (wrong_secret): PIN '{citizen.pin[:6]}******', from 127.0.0.1"
    assert "not the password" not in caplog.text and citizen.pin not in caplog.text
    caplog.clear()
    failure_of(client, "00\nforged", "x")
    assert "\n" not in caplog.records[-1].getMessage()


@pytest.mark.parametrize("token", [None, "", "forged", "IjEyMyI.forged.signature"])
def test_a_sign_in_without_a_valid_csrf_token_is_refused(
    client: FlaskClient, portal: Portal, citizen: Citizen, token: str | None
) -> None:
    login_form(client)  # the browser has a flow cookie, as a real one would
    form = {"pin": citizen.pin, "password": citizen.password}
    if token is not None:
        form["csrf_token"] = token
    response = client.post("/login", data=form)
    assert response.status_code == 400
    assert not sets_session(response)
    assert query_of(start(client, portal, prompt="none").headers["Location"])["error"] == "login_required"


def test_another_browsers_csrf_token_is_refused(app: Flask, client: FlaskClient, citizen: Citizen) -> None:
    _html, token, _ = login_form(app.test_client())
    login_form(client)
    response = client.post("/login", data={"csrf_token": token, "pin": citizen.pin, "password": citizen.password})
    assert response.status_code == 400
    assert not sets_session(response)


def test_a_sign_in_answers_303_never_307(client: FlaskClient, portal: Portal, citizen: Citizen) -> None:
    """RFC 9700 §4.12: the credentials must not be re-posted to the next location."""
    direct = sign_in_directly(client, citizen)
    assert direct.status_code == 303
    location = start(client, portal, prompt="login").headers["Location"]
    _html, token, interaction = login_form(client, location)
    form = {"csrf_token": token, "interaction": interaction, "pin": citizen.pin, "password": citizen.password}
    within_flow = client.post("/login", data=form)
    assert within_flow.status_code == 303
    assert within_flow.headers["Location"].startswith("/authorize/continue")


def test_every_sign_in_starts_a_new_session(client: FlaskClient, portal: Portal, citizen: Citizen) -> None:
    """ASVS 7.2.4: a new session identifier at every authentication; the old one is over."""
    sign_in_directly(client, citizen)
    old = client.get_cookie(SESSION_COOKIE).value
    sign_in_directly(client, citizen)
    new = client.get_cookie(SESSION_COOKIE).value
    assert new != old
    client.set_cookie(SESSION_COOKIE, old)
    assert query_of(start(client, portal, prompt="none").headers["Location"])["error"] == "login_required"


def test_login_hint_fills_in_the_pin(client: FlaskClient, portal: Portal, citizen: Citizen) -> None:
    location = start(client, portal, login_hint=citizen.pin).headers["Location"]
    assert citizen.pin not in location  # the PIN never travels in the provider's own URLs (ASVS 14.2.1)
    html, _token, _ = login_form(client, location)
    assert f'value="{citizen.pin}"' in html


def test_login_hint_is_escaped_in_the_page(client: FlaskClient, portal: Portal) -> None:
    location = start(client, portal, login_hint='"><script>alert(1)</script>').headers["Location"]
    html, _token, _ = login_form(client, location)
    assert "<script>" not in html


def test_login_hint_naming_another_citizen_requires_signing_in_again(
    app: Flask, client: FlaskClient, portal: Portal, citizen: Citizen
) -> None:
    other = make_citizen(app, full_name="Vũ Thị Lan", birth_date="1988-08-08", sex="female")
    first = tokens(client, portal, citizen)
    response = start(client, portal, login_hint=other.pin)
    assert "/login" in response.headers["Location"]
    assert query_of(start(client, portal, login_hint=other.pin, prompt="none").headers["Location"])["error"] == (
        "login_required"
    )
    second = tokens(client, portal, other, login_hint=other.pin)
    assert unverified_parts(second["id_token"])[1]["sub"] != unverified_parts(first["id_token"])[1]["sub"]


def test_login_hint_of_the_signed_in_citizen_needs_no_page(
    client: FlaskClient, portal: Portal, citizen: Citizen
) -> None:
    sign_in_directly(client, citizen)
    assert is_portal_redirect(start(client, portal, login_hint=citizen.pin), portal)


def test_prompt_login_forces_a_new_sign_in_and_auth_time_grows(
    client: FlaskClient, portal: Portal, citizen: Citizen, clock: Clock
) -> None:
    first = unverified_parts(tokens(client, portal, citizen)["id_token"])[1]
    clock.advance(90)
    response = start(client, portal, prompt="login")
    assert "/login" in response.headers["Location"]
    second = unverified_parts(tokens(client, portal, citizen, prompt="login")["id_token"])[1]
    assert second["auth_time"] >= first["auth_time"] + 90
    assert second["sid"] != first["sid"]


def test_max_age_zero_always_signs_in_again(client: FlaskClient, portal: Portal, citizen: Citizen) -> None:
    sign_in_directly(client, citizen)
    assert "/login" in start(client, portal, max_age="0").headers["Location"]
    claims = unverified_parts(tokens(client, portal, citizen, max_age="0")["id_token"])[1]
    assert abs(claims["auth_time"] - time.time()) < 5


def test_max_age_older_than_the_sign_in_signs_in_again(
    client: FlaskClient, portal: Portal, citizen: Citizen, clock: Clock
) -> None:
    sign_in_directly(client, citizen)
    clock.advance(120)
    assert is_portal_redirect(start(client, portal, max_age="10000"), portal)
    assert "/login" in start(client, portal, max_age="60").headers["Location"]
    assert query_of(start(client, portal, max_age="60", prompt="none").headers["Location"])["error"] == (
        "login_required"
    )


def test_max_age_large_needs_no_sign_in_and_keeps_auth_time(
    client: FlaskClient, portal: Portal, citizen: Citizen, clock: Clock
) -> None:
    first = unverified_parts(tokens(client, portal, citizen)["id_token"])[1]
    clock.advance(30)
    second = unverified_parts(tokens(client, portal, None, max_age="10000")["id_token"])[1]
    assert second["auth_time"] == first["auth_time"]


def test_a_sign_in_for_an_expired_request_still_signs_in(client: FlaskClient, citizen: Citizen) -> None:
    _html, token, _ = login_form(client, "/login?interaction=made-up")
    form = {"csrf_token": token, "interaction": "made-up", "pin": citizen.pin, "password": citizen.password}
    response = client.post("/login", data=form)
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_the_sign_in_link_of_an_authorization_request_works_once_the_citizen_is_known(
    client: FlaskClient, portal: Portal, citizen: Citizen
) -> None:
    location = start(client, portal).headers["Location"]
    resumed = client.get(sign_in(client, location, citizen))
    assert is_portal_redirect(resumed, portal)


def test_a_same_origin_post_with_origin_null_is_accepted(client: FlaskClient, citizen: Citizen) -> None:
    """SECURITY.md R20 pitfall: under Referrer-Policy no-referrer Chromium sends ``Origin: null`` on a
    same-origin form POST; the form's CSRF token is the proof, so such a sign-in must work."""
    _html, token, _ = login_form(client)
    form = {"csrf_token": token, "pin": citizen.pin, "password": citizen.password}
    response = client.post("/login", data=form, headers={"Origin": "null", "Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 303
