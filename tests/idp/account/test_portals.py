"""The portals that receive the citizen's data, in plain words, and withdrawing their access: the
consent goes, every token of the portal is refused at once, and its next authorization asks again
(ASVS 10.7.3). Another citizen's portal and a forged form change nothing."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from tests.idp.account.conftest import account_page, outcome, post, signed_in, to_sign_in
from tests.idp.conftest import Citizen, Portal, make_citizen, query_of, register_portal
from tests.idp.flows import introspect, refresh, start, tokens, userinfo


@pytest.fixture
def third_party(app: Flask) -> Portal:
    return register_portal(app, name="Cổng Bảo hiểm xã hội", scopes=["openid", "profile", "address"])


def listed(html: str) -> list[str]:
    return re.findall(r'name="client_id" value="([^"]+)"', html)


def asks_consent(browser, portal: Portal) -> bool:  # type: ignore[no-untyped-def]
    return "/consent" in start(browser, portal).headers["Location"]


def assert_dead(app: Flask, portal: Portal, body: dict) -> None:
    backend = app.test_client()
    assert userinfo(backend, body["access_token"]).status_code == 401
    assert introspect(backend, portal, body["access_token"])["active"] is False
    assert refresh(backend, portal, body["refresh_token"]).get_json()["error"] == "invalid_grant"


def assert_alive(app: Flask, portal: Portal, body: dict) -> None:
    assert userinfo(app.test_client(), body["access_token"]).status_code == 200


def test_a_portal_with_consent_is_listed_with_its_data_in_plain_words(
    app: Flask, third_party: Portal, citizen: Citizen
) -> None:
    browser = signed_in(app, citizen)
    tokens(browser, third_party, None, scope="openid profile address")
    html = account_page(browser)
    assert listed(html) == [third_party.client_id]
    assert "Cổng Bảo hiểm xã hội" in html
    assert "You allowed it on" in html
    claims = re.findall(r"<li>([^<]+)</li>", html.split("Cổng Bảo hiểm xã hội")[1])[:3]
    assert claims == [
        "Know that it is you (a pseudonymous identifier for this portal)",
        "Your full name, date of birth and sex",
        "Your place of residence",
    ]
    assert "Withdraw permission" in html
    assert "You allowed Cổng Bảo hiểm xã hội to receive your data." in html  # the event, in plain words


def test_withdrawing_refuses_the_portals_tokens_at_once_and_asks_again(
    app: Flask, third_party: Portal, citizen: Citizen
) -> None:
    browser = signed_in(app, citizen)
    body = tokens(browser, third_party, None)
    response = post(browser, "/account/portals/end", client_id=third_party.client_id)
    assert outcome(browser, response).startswith("That portal's access to your data has ended")
    assert_dead(app, third_party, body)
    assert asks_consent(browser, third_party)
    assert query_of(start(browser, third_party, prompt="none").headers["Location"])["error"] == "consent_required"
    html = account_page(browser)
    assert listed(html) == []
    assert "No portal receives your data now." in html
    assert "You withdrew the permission of Cổng Bảo hiểm xã hội." in html


def test_a_first_party_portal_is_listed_while_it_holds_tokens_and_can_be_cut_off(
    app: Flask, portal: Portal, citizen: Citizen
) -> None:
    """A State portal never asks for consent, but the citizen still sees that it reads their data."""
    browser = signed_in(app, citizen)
    body = tokens(browser, portal, None)
    html = account_page(browser)
    assert listed(html) == [portal.client_id]
    assert "A State portal, which needs no permission." in html
    assert "End its access" in html
    post(browser, "/account/portals/end", client_id=portal.client_id)
    assert_dead(app, portal, body)
    assert listed(account_page(browser)) == []
    assert "code" in query_of(start(browser, portal, prompt="none").headers["Location"])  # still no consent asked


def test_only_the_withdrawn_portal_loses_access(
    app: Flask, portal: Portal, third_party: Portal, citizen: Citizen
) -> None:
    browser = signed_in(app, citizen)
    kept, withdrawn = tokens(browser, portal, None), tokens(browser, third_party, None)
    post(browser, "/account/portals/end", client_id=third_party.client_id)
    assert_dead(app, third_party, withdrawn)
    assert_alive(app, portal, kept)


def test_another_citizens_portal_cannot_be_withdrawn(app: Flask, third_party: Portal, citizen: Citizen) -> None:
    other = make_citizen(app, full_name="Lê Văn Tám", birth_date="1970-07-07", sex="male")
    victim = signed_in(app, other)
    theirs = tokens(victim, third_party, None)
    attacker = signed_in(app, citizen)
    response = post(attacker, "/account/portals/end", client_id=third_party.client_id)
    assert response.headers["Location"] == "/?done=no_access"
    assert outcome(attacker, response).startswith("That portal no longer had access")
    assert_alive(app, third_party, theirs)
    assert not asks_consent(victim, third_party)


@pytest.mark.parametrize("client_id", ["made-up", "", "x" * 500, "\x00"])
def test_a_made_up_portal_changes_nothing(app: Flask, third_party: Portal, citizen: Citizen, client_id: str) -> None:
    browser = signed_in(app, citizen)
    body = tokens(browser, third_party, None)
    assert post(browser, "/account/portals/end", client_id=client_id).headers["Location"] == "/?done=no_access"
    assert_alive(app, third_party, body)


def test_without_the_csrf_token_nothing_is_withdrawn(app: Flask, third_party: Portal, citizen: Citizen) -> None:
    browser = signed_in(app, citizen)
    body = tokens(browser, third_party, None)
    for token in (None, "forged"):
        form = {"client_id": third_party.client_id} | ({"csrf_token": token} if token else {})
        assert browser.post("/account/portals/end", data=form).status_code == 400
    assert_alive(app, third_party, body)
    assert listed(account_page(browser)) == [third_party.client_id]


def test_a_signed_out_browser_posting_gets_the_sign_in_page(app: Flask, third_party: Portal, citizen: Citizen) -> None:
    browser = signed_in(app, citizen)
    body = tokens(browser, third_party, None)
    post(signed_in(app, citizen), "/account/sessions/end-others")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', browser.get("/login").get_data(as_text=True))
    form = {"csrf_token": token.group(1), "client_id": third_party.client_id}
    assert to_sign_in(browser.post("/account/portals/end", data=form))
    assert not asks_consent(signed_in(app, citizen), third_party)  # the consent still stands
    assert_dead(app, third_party, body)  # (its tokens died with the session that was ended, not with this form)


def test_the_consent_page_links_to_the_account_page(app: Flask, third_party: Portal, citizen: Citizen) -> None:
    browser = signed_in(app, citizen)
    html = browser.get(start(browser, third_party, ui_locales="en").headers["Location"]).get_data(as_text=True)
    assert '<a href="/">You can withdraw this permission later from your account page.</a>' in html
