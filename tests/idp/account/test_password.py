"""Changing the password: the current one is required and checked as at sign-in (counted and recorded
when wrong), the new one meets the policy, and on success every other session ends while this browser
stays signed in (ASVS 6.2.2, 6.2.3, 7.4.3). Bad input and forged forms change nothing."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from identity.models import SignInAttempt, Throttle
from idp.context import session_factory
from tests.idp.account.conftest import account_page, outcome, signed_in, to_sign_in
from tests.idp.conftest import Citizen, Portal, csrf_token, query_of
from tests.idp.flows import introspect, login_form, start, tokens

NEW = "mưa bay trên phố cổ Hà Nội"


def change(browser: FlaskClient, current: str, new: str, repeat: str | None = None, lang: str = "en") -> TestResponse:
    html = browser.get(f"/account/password?lang={lang}").get_data(as_text=True)
    form = {"csrf_token": csrf_token(html), "current": current, "new": new, "repeat": new if repeat is None else repeat}
    return browser.post("/account/password", data=form)


def signs_in_with(app: Flask, citizen: Citizen, password: str) -> bool:
    browser = app.test_client()
    _html, token, _ = login_form(browser)
    form = {"csrf_token": token, "pin": citizen.pin, "password": password}
    return browser.post("/login", data=form).status_code == 303


def alert(response: TestResponse) -> str:
    html = response.get_data(as_text=True)
    return re.search(r'<p class="error" role="alert" id="form-error">([^<]*)</p>', html).group(1)


def invalid_fields(response: TestResponse) -> set[str]:
    html = response.get_data(as_text=True)
    found = set()
    for tag in re.findall(r"<input[^>]+>", html):
        if 'aria-invalid="true"' in tag:
            assert 'aria-describedby="form-error"' in tag
            found.add(re.search(r'name="([^"]+)"', tag).group(1))
    return found


def failures_counted(app: Flask) -> int:
    with session_factory(app)() as session:
        return sum(session.scalars(select(Throttle.failures).where(Throttle.factor == "password")).all())


def test_the_page_asks_for_the_current_password_and_the_new_one_twice(app: Flask, citizen: Citizen) -> None:
    html = signed_in(app, citizen).get("/account/password").get_data(as_text=True)
    assert '<html lang="vi">' in html and "Mật khẩu hiện tại" in html
    assert html.count('autocomplete="current-password"') == 1
    assert html.count('autocomplete="new-password"') == 2
    assert 'href="/account/password"' in account_page(signed_in(app, citizen))


def test_a_change_ends_every_other_session_and_keeps_this_one(app: Flask, portal: Portal, citizen: Citizen) -> None:
    elsewhere = signed_in(app, citizen)
    theirs = tokens(elsewhere, portal, None)
    here = signed_in(app, citizen)
    mine = tokens(here, portal, None)
    response = change(here, citizen.password, NEW)
    assert response.headers["Location"] == "/?done=password_changed"
    assert outcome(here, response) == "Your password was changed, and every other browser was signed out."
    assert to_sign_in(elsewhere.get("/"))
    backend = app.test_client()
    assert introspect(backend, portal, theirs["access_token"])["active"] is False
    assert introspect(backend, portal, mine["access_token"])["active"] is True
    assert "code" in query_of(start(here, portal, prompt="none").headers["Location"])
    assert signs_in_with(app, citizen, NEW)
    assert not signs_in_with(app, citizen, citizen.password)
    assert "Your password was changed." in account_page(here)


def test_a_wrong_current_password_is_refused_counted_and_recorded(app: Flask, citizen: Citizen) -> None:
    browser = signed_in(app, citizen)
    response = change(browser, "not the password", NEW)
    assert response.status_code == 401
    assert alert(response).startswith("The password is not correct.")
    assert invalid_fields(response) == {"current"}
    assert failures_counted(app) == 1
    with session_factory(app)() as session:
        (refused,) = session.scalars(select(SignInAttempt).where(SignInAttempt.outcome == "failure")).all()
        assert (refused.step, refused.reason) == ("password", "wrong_secret")
    assert "Wrong password" in account_page(browser)
    assert signs_in_with(app, citizen, citizen.password)


def test_guessing_the_current_password_here_makes_sign_in_wait_too(
    app: Flask,
    citizen: Citizen,
    settings,  # type: ignore[no-untyped-def]
) -> None:
    """A thief at a signed-in browser cannot guess the password here without the sign-in's limits."""
    browser = signed_in(app, citizen)
    for _ in range(settings.free_failures + 1):
        assert change(browser, "not the password", NEW).status_code == 401
    assert not signs_in_with(app, citizen, citizen.password)  # the account must wait, as after failed sign-ins
    assert change(browser, citizen.password, NEW).status_code == 401  # and so must this page


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("short", "The password is too short; use at least 8 characters"),
        ("password123", "The password is one of the most common passwords"),
        ("12345678901", "The password is a run of consecutive characters"),
        ("correct horse battery staple", "The new password is the same as the current one; choose another."),
    ],
)
def test_a_weak_new_password_is_refused_with_its_reason(app: Flask, citizen: Citizen, new: str, message: str) -> None:
    browser = signed_in(app, citizen)
    response = change(browser, citizen.password, new)
    assert response.status_code == 400
    assert alert(response).startswith(message)
    assert invalid_fields(response) == {"new", "repeat"}
    assert signs_in_with(app, citizen, citizen.password)


def test_the_reasons_speak_vietnamese(app: Flask, citizen: Citizen) -> None:
    response = change(signed_in(app, citizen), citizen.password, "short", lang="vi")
    assert alert(response).startswith("Mật khẩu quá ngắn")


def test_two_different_new_passwords_change_nothing(app: Flask, portal: Portal, citizen: Citizen) -> None:
    elsewhere = signed_in(app, citizen)
    browser = signed_in(app, citizen)
    response = change(browser, citizen.password, NEW, repeat=NEW + "!")
    assert response.status_code == 400
    assert alert(response) == "The two passwords are not the same."
    assert invalid_fields(response) == {"new", "repeat"}
    assert signs_in_with(app, citizen, citizen.password)
    assert not to_sign_in(elsewhere.get("/"))


def test_an_empty_field_is_named(app: Flask, citizen: Citizen) -> None:
    response = change(signed_in(app, citizen), "", NEW)
    assert response.status_code == 400
    assert invalid_fields(response) == {"current"}
    assert failures_counted(app) == 0


def test_without_the_csrf_token_nothing_changes(app: Flask, citizen: Citizen) -> None:
    browser, elsewhere = signed_in(app, citizen), signed_in(app, citizen)
    for token in (None, "forged"):
        form = {"current": citizen.password, "new": NEW, "repeat": NEW} | ({"csrf_token": token} if token else {})
        assert browser.post("/account/password", data=form).status_code == 400
    assert signs_in_with(app, citizen, citizen.password)
    assert not to_sign_in(elsewhere.get("/"))


def test_a_signed_out_browser_gets_the_sign_in_page(app: Flask, citizen: Citizen) -> None:
    browser = app.test_client()
    _html, token, _ = login_form(browser)
    assert to_sign_in(browser.get("/account/password"))
    form = {"csrf_token": token, "current": citizen.password, "new": NEW, "repeat": NEW}
    assert to_sign_in(browser.post("/account/password", data=form))
    assert signs_in_with(app, citizen, citizen.password)
