"""The second factor from the account page: setting up an app (the enrolment page), replacing it, new
recovery codes (the password again unless the sign-in is recent; shown once), the codes left. And the
attack of a sign-in under way on the same browser, which must not open the account pages."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from identity import otp
from identity.authn import find_account
from identity.models import Throttle
from idp.context import session_factory
from tests.idp.account.conftest import account_page, signed_in, to_sign_in
from tests.idp.conftest import Citizen, Clock, csrf_token, make_citizen
from tests.idp.flows import login_form

CODE = re.compile(r"<li><code>([A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4})</code></li>")


def new_codes(browser: FlaskClient, password: str | None = None) -> TestResponse:
    html = browser.get("/account/password").get_data(as_text=True)  # a page with a form for any citizen
    form = {"csrf_token": csrf_token(html)} | ({"password": password} if password is not None else {})
    return browser.post("/account/recovery-codes", data=form)


def works(app: Flask, citizen: Citizen, recovery_code: str) -> bool:
    """Would this recovery code be accepted now? (Asked without spending it.)"""
    with session_factory(app)() as session:
        account = find_account(session, citizen.pin)
        try:
            otp.use_recovery_code(session, account.id, recovery_code)
        except otp.WrongCode:
            return False
        finally:
            session.rollback()
        return True


def test_without_an_app_the_page_offers_to_set_one_up(app: Flask, citizen: Citizen) -> None:
    browser = signed_in(app, citizen)
    html = account_page(browser)
    assert 'href="/otp/enrol"' in html
    assert "recovery-codes" not in html
    enrol = browser.get("/otp/enrol?lang=en")
    assert enrol.status_code == 200 and "Set up your authenticator app" in enrol.get_data(as_text=True)
    assert new_codes(browser).headers["Location"] == "/"  # no app: nothing to replace


def test_with_an_app_the_page_offers_to_replace_it_and_counts_the_recovery_codes(
    app: Flask, citizen_with_app: Citizen
) -> None:
    browser = signed_in(app, citizen_with_app)
    html = account_page(browser)
    assert 'href="/otp/enrol?again=1"' in html
    assert "Recovery codes left: 10." in html
    assert 'href="/account/recovery-codes"' in html
    assert "An authenticator app was set up." in html


def test_replacing_the_app_asks_for_the_password_once_the_sign_in_is_not_recent(
    app: Flask, citizen_with_app: Citizen, clock: Clock
) -> None:
    browser = signed_in(app, citizen_with_app)
    assert 'name="password"' not in browser.get("/otp/enrol?again=1").get_data(as_text=True)
    clock.advance(6 * 60)
    assert 'name="password"' in browser.get("/otp/enrol?again=1").get_data(as_text=True)


def test_new_recovery_codes_right_after_sign_in_need_no_password(app: Flask, citizen_with_app: Citizen) -> None:
    browser = signed_in(app, citizen_with_app)
    form_page = browser.get("/account/recovery-codes?lang=en").get_data(as_text=True)
    assert 'name="password"' not in form_page
    response = new_codes(browser)
    assert response.status_code == 200
    codes = CODE.findall(response.get_data(as_text=True))
    assert len(set(codes)) == 10
    assert "New recovery codes replace the old ones" in response.get_data(as_text=True)
    assert works(app, citizen_with_app, codes[0])
    assert not works(app, citizen_with_app, citizen_with_app.recovery_codes[1])  # the old ones are gone
    html = account_page(browser)
    assert "Recovery codes left: 10." in html
    assert "New recovery codes were made; the old ones no longer work." in html
    assert not any(code in html for code in codes)  # shown once, in the answer to the POST only


def test_new_recovery_codes_later_need_the_password(app: Flask, citizen_with_app: Citizen, clock: Clock) -> None:
    browser = signed_in(app, citizen_with_app)
    clock.advance(6 * 60)
    assert 'autocomplete="current-password"' in browser.get("/account/recovery-codes").get_data(as_text=True)
    missing = new_codes(browser)
    assert missing.status_code == 400 and not CODE.findall(missing.get_data(as_text=True))
    wrong = new_codes(browser, "not the password")
    assert wrong.status_code == 401 and not CODE.findall(wrong.get_data(as_text=True))
    assert 'aria-invalid="true"' in wrong.get_data(as_text=True)
    with session_factory(app)() as session:
        assert session.scalar(select(Throttle.failures)) == 1  # counted as at sign-in; the empty one was not
    assert works(app, citizen_with_app, citizen_with_app.recovery_codes[0])  # nothing replaced
    right = new_codes(browser, citizen_with_app.password)
    assert right.status_code == 200 and len(CODE.findall(right.get_data(as_text=True))) == 10


def test_without_the_csrf_token_no_codes_are_made(app: Flask, citizen_with_app: Citizen) -> None:
    browser = signed_in(app, citizen_with_app)
    for form in ({}, {"csrf_token": "forged"}):
        response = browser.post("/account/recovery-codes", data=form)
        assert response.status_code == 400 and not CODE.findall(response.get_data(as_text=True))
    assert works(app, citizen_with_app, citizen_with_app.recovery_codes[0])


def test_a_signed_out_browser_gets_the_sign_in_page(app: Flask, citizen_with_app: Citizen) -> None:
    browser = app.test_client()
    _html, token, _ = login_form(browser)
    assert to_sign_in(browser.get("/account/recovery-codes"))
    assert to_sign_in(browser.post("/account/recovery-codes", data={"csrf_token": token}))
    assert works(app, citizen_with_app, citizen_with_app.recovery_codes[0])


def test_a_sign_in_under_way_on_this_browser_opens_no_account_page(app: Flask, citizen: Citizen) -> None:
    """The password of another citizen typed on this browser, their code still to come, is not a sign-in:
    the pages stay those of the citizen signed in here, and the other's recovery codes stay theirs."""
    victim = make_citizen(app, with_app=True, full_name="Trần Văn Bình", birth_date="1988-08-08", sex="male")
    browser = signed_in(app, citizen)
    _html, token, _ = login_form(browser)
    form = {"csrf_token": token, "pin": victim.pin, "password": victim.password}
    assert browser.post("/login", data=form).headers["Location"].startswith("/login/code")
    html = account_page(browser)
    assert "Nguyễn Thị Mai" in html and "Trần Văn Bình" not in html
    assert new_codes(browser).headers["Location"] == "/"  # this browser's citizen has no app
    assert works(app, victim, victim.recovery_codes[0])
