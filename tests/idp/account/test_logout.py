"""Signing out of the provider: ``/logout`` asks first (a GET changes nothing, so no link or image on
another site can sign the citizen out: ASVS 10.6.2); the POST ends this browser's session and the tokens
of the portals signed in from it, forgets the cookie and lands on the sign-in page."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.idp.account.conftest import signed_in, to_sign_in
from tests.idp.conftest import Citizen, Portal, csrf_token, query_of
from tests.idp.flows import introspect, login_form, refresh, start, tokens, userinfo

SESSION_COOKIE = "idp_sso"


def can_use(browser: FlaskClient, portal: Portal) -> bool:
    return "code" in query_of(start(browser, portal, prompt="none").headers["Location"])


def test_the_get_asks_and_changes_nothing(app: Flask, portal: Portal, citizen: Citizen) -> None:
    browser = signed_in(app, citizen)
    response = browser.get("/logout?lang=en")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Sign out of National e-ID?" in html
    assert 'method="post" action="/logout"' in html and 'name="csrf_token"' in html
    assert can_use(browser, portal)


def test_the_post_ends_the_session_and_its_portals_tokens(app: Flask, portal: Portal, citizen: Citizen) -> None:
    browser = signed_in(app, citizen)
    elsewhere = signed_in(app, citizen)
    body = tokens(browser, portal, None)
    kept = tokens(elsewhere, portal, None)
    cookie = browser.get_cookie(SESSION_COOKIE).value
    html = browser.get("/logout").get_data(as_text=True)
    response = browser.post("/logout", data={"csrf_token": csrf_token(html)})
    assert to_sign_in(response)
    assert response.headers["Location"] == "/login"
    assert browser.get_cookie(SESSION_COOKIE) is None
    assert not can_use(browser, portal)
    backend = app.test_client()
    assert introspect(backend, portal, body["access_token"])["active"] is False
    assert userinfo(backend, body["access_token"]).status_code == 401
    assert refresh(backend, portal, body["refresh_token"]).get_json()["error"] == "invalid_grant"
    assert introspect(backend, portal, kept["access_token"])["active"] is True  # other browsers stay
    assert can_use(elsewhere, portal)
    replay = app.test_client()  # the old cookie, kept by whoever copied it, is dead
    replay.set_cookie(SESSION_COOKIE, cookie)
    assert not can_use(replay, portal)
    assert to_sign_in(replay.get("/"))


def test_without_the_csrf_token_nobody_is_signed_out(app: Flask, portal: Portal, citizen: Citizen) -> None:
    browser = signed_in(app, citizen)
    assert browser.post("/logout", data={"csrf_token": "forged"}).status_code == 400
    asked = browser.post("/logout?lang=en", data={})  # a form from elsewhere, without the token: the page asks
    assert asked.status_code == 200 and "Sign out of National e-ID?" in asked.get_data(as_text=True)
    assert can_use(browser, portal)


def test_a_signed_out_browser_gets_the_sign_in_page(client: FlaskClient) -> None:  # nothing to end
    _html, token, _ = login_form(client)
    assert to_sign_in(client.get("/logout"))
    assert to_sign_in(client.post("/logout", data={"csrf_token": token}))


def test_the_account_page_links_to_it(app: Flask, citizen: Citizen) -> None:
    assert 'href="/logout"' in signed_in(app, citizen).get("/").get_data(as_text=True)
