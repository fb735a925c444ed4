"""Where the citizen is signed in, and signing out there or everywhere else: the session ends for good
and takes the tokens of the portals signed in from it (ASVS 7.4.1, 7.5.2). Another citizen's session,
this browser's own and a forged form change nothing."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from idp.context import session_factory
from idp.sso.models import SsoSession
from tests.idp.account.conftest import account_page, outcome, post, signed_in, to_sign_in
from tests.idp.conftest import Citizen, Clock, Portal, make_citizen, query_of
from tests.idp.flows import introspect, refresh, start, tokens, userinfo


def sids(html: str) -> list[str]:
    """The sessions the page offers to end (not this browser's own)."""
    return re.findall(r'name="sid" value="([^"]+)"', html)


def can_use(browser: FlaskClient, portal: Portal) -> bool:
    """Is this browser still signed in, as a portal's prompt=none request sees it?"""
    return "code" in query_of(start(browser, portal, prompt="none").headers["Location"])


def live_sessions(app: Flask) -> int:
    with session_factory(app)() as session:
        return len(session.scalars(select(SsoSession).where(SsoSession.ended_at.is_(None))).all())


def test_the_page_lists_each_session_and_marks_this_browser(
    app: Flask, citizen_with_app: Citizen, clock: Clock
) -> None:
    signed_in(app, citizen_with_app)
    clock.advance(30)  # the app's next code
    here = signed_in(app, citizen_with_app)
    html = account_page(here)
    assert html.count("Signed in <time") == 2
    assert html.count("This browser") == 1
    assert "With the password and a code" in html
    assert len(sids(html)) == 1  # this browser signs out at /logout, with its confirmation
    assert 'href="/logout"' in html


def test_signing_out_there_ends_that_browser_and_its_portals_tokens(
    app: Flask, portal: Portal, citizen: Citizen
) -> None:
    here, there = signed_in(app, citizen), signed_in(app, citizen)
    body = tokens(there, portal, None)
    (sid,) = sids(account_page(here))
    response = post(here, "/account/sessions/end", sid=sid)
    assert response.status_code == 303 and response.headers["Location"] == "/?done=signed_out_there"
    assert outcome(here, response).startswith("That browser is signed out")
    assert to_sign_in(there.get("/"))  # its cookie is dead: the browser cannot use the session any more
    assert not can_use(there, portal)
    assert can_use(here, portal)
    backend = app.test_client()
    assert introspect(backend, portal, body["access_token"])["active"] is False
    assert userinfo(backend, body["access_token"]).status_code == 401
    assert refresh(backend, portal, body["refresh_token"]).get_json()["error"] == "invalid_grant"
    assert "A sign-in on a browser ended." in account_page(here)


def test_signing_out_everywhere_else_keeps_this_browser(app: Flask, portal: Portal, citizen: Citizen) -> None:
    others = [signed_in(app, citizen) for _ in range(2)]
    bodies = [tokens(other, portal, None) for other in others]
    here = signed_in(app, citizen)
    mine = tokens(here, portal, None)
    response = post(here, "/account/sessions/end-others")
    assert response.status_code == 303 and response.headers["Location"] == "/?done=signed_out_elsewhere"
    assert all(not can_use(other, portal) for other in others)
    assert can_use(here, portal)
    backend = app.test_client()
    assert all(introspect(backend, portal, body["access_token"])["active"] is False for body in bodies)
    assert introspect(backend, portal, mine["access_token"])["active"] is True
    assert "Sign out everywhere else" not in account_page(here)  # nothing else left to sign out


def test_another_citizens_session_cannot_be_ended(app: Flask, portal: Portal, citizen: Citizen) -> None:
    other = make_citizen(app, full_name="Lê Văn Tám", birth_date="1970-07-07", sex="male")
    victim = signed_in(app, other)
    (victim_sid,) = sids(account_page(signed_in(app, other)))
    attacker = signed_in(app, citizen)
    before = live_sessions(app)
    response = post(attacker, "/account/sessions/end", sid=victim_sid)
    assert response.status_code == 303 and response.headers["Location"] == "/?done=already_ended"
    assert live_sessions(app) == before
    assert can_use(victim, portal)


@pytest.mark.parametrize("sid", ["made-up", "", "x" * 500, "\x00"])
def test_a_made_up_session_changes_nothing(app: Flask, portal: Portal, citizen: Citizen, sid: str) -> None:
    here, there = signed_in(app, citizen), signed_in(app, citizen)
    response = post(here, "/account/sessions/end", sid=sid)
    assert response.status_code == 303 and response.headers["Location"] == "/?done=already_ended"
    assert can_use(here, portal) and can_use(there, portal)


def test_this_browsers_own_session_is_not_ended_from_the_list(app: Flask, portal: Portal, citizen: Citizen) -> None:
    here = signed_in(app, citizen)
    with session_factory(app)() as session:
        (own,) = session.scalars(select(SsoSession.sid).where(SsoSession.ended_at.is_(None))).all()
    assert post(here, "/account/sessions/end", sid=own).headers["Location"] == "/?done=already_ended"
    assert can_use(here, portal)


@pytest.mark.parametrize("path", ["/account/sessions/end", "/account/sessions/end-others"])
def test_without_the_csrf_token_nothing_ends(app: Flask, portal: Portal, citizen: Citizen, path: str) -> None:
    here, there = signed_in(app, citizen), signed_in(app, citizen)
    (sid,) = sids(account_page(here))
    for token in (None, "forged"):
        form = {"sid": sid} | ({"csrf_token": token} if token else {})
        response = here.post(path, data=form)
        assert response.status_code == 400 and "Location" not in response.headers
    assert can_use(there, portal)


@pytest.mark.parametrize("path", ["/account/sessions/end", "/account/sessions/end-others"])
def test_a_signed_out_browser_posting_gets_the_sign_in_page(app: Flask, citizen: Citizen, path: str) -> None:
    browser = signed_in(app, citizen)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', browser.get("/login").get_data(as_text=True))
    post(signed_in(app, citizen), "/account/sessions/end-others")  # ends *browser*'s session from another one
    before = live_sessions(app)
    assert to_sign_in(browser.post(path, data={"csrf_token": token.group(1), "sid": "anything"}))
    assert live_sessions(app) == before
