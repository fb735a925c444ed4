"""RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0) at ``/logout``, the end_session_endpoint.

A request carrying an ID token of this browser's session signs the citizen out at once and goes back to
the portal's registered page with its ``state``; anything else asks first, so a link on another site
signs nobody out; a forged or foreign hint, or an unregistered return address, is refused on a page,
ending nothing and redirecting nowhere.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.idp.account.conftest import signed_in
from tests.idp.conftest import Citizen, Portal, authorize, csrf_token, exchange, query_of
from tests.idp.flows import forgeries_of, introspect, refresh, start, tokens, unverified_parts
from tests.idp.logout.conftest import BACKCHANNEL_A, BACKCHANNEL_B, FRONTCHANNEL_C, PORTAL_A_HOME, notices


def signed_in_at(app: Flask, citizen: Citizen, *portals: Portal) -> tuple[FlaskClient, list[dict]]:
    browser = signed_in(app, citizen)
    return browser, [tokens(browser, portal, None) for portal in portals]


def can_use(browser: FlaskClient, portal: Portal) -> bool:
    return "code" in query_of(start(browser, portal, prompt="none").headers["Location"])


def logout(browser: FlaskClient, **params: str):  # type: ignore[no-untyped-def]
    return browser.get("/logout?" + urlencode({"lang": "en", **params}))


def test_discovery_names_the_endpoint_and_both_channels(client: FlaskClient) -> None:
    document = client.get("/.well-known/openid-configuration").get_json()
    assert document["end_session_endpoint"] == document["issuer"].rstrip("/") + "/logout"
    for feature in ("backchannel_logout", "backchannel_logout_session", "frontchannel_logout"):
        assert document[f"{feature}_supported"] is True


def test_a_hint_of_this_session_signs_out_at_once_and_returns_with_state(
    app: Flask, portal_a: Portal, portal_b: Portal, citizen: Citizen
) -> None:
    browser, (at_a, at_b) = signed_in_at(app, citizen, portal_a, portal_b)
    response = logout(browser, id_token_hint=at_a["id_token"], post_logout_redirect_uri=PORTAL_A_HOME, state="s-1")
    assert response.status_code == 303
    assert response.headers["Location"] == PORTAL_A_HOME + "?state=s-1"
    assert not can_use(browser, portal_a)
    backend = app.test_client()
    for portal, body in ((portal_a, at_a), (portal_b, at_b)):
        assert introspect(backend, portal, body["access_token"])["active"] is False
        assert refresh(backend, portal, body["refresh_token"]).get_json()["error"] == "invalid_grant"
    sid = unverified_parts(at_a["id_token"])[1]["sid"]
    owed = {(n.client_id, n.uri, n.sid, n.reason) for n in notices(app)}
    assert owed == {
        (portal_a.client_id, BACKCHANNEL_A, sid, "signed out"),
        (portal_b.client_id, BACKCHANNEL_B, sid, "signed out"),
    }


def test_an_expired_hint_is_still_a_hint(app: Flask, portal_a: Portal, citizen: Citizen, clock) -> None:  # type: ignore[no-untyped-def]
    browser, (at_a,) = signed_in_at(app, citizen, portal_a)
    for _ in range(4):  # 80 minutes: past the ID token's hour; the browser's visits keep the session alive
        clock.advance(20 * 60)
        assert browser.get("/").status_code == 200
    response = logout(browser, id_token_hint=at_a["id_token"], post_logout_redirect_uri=PORTAL_A_HOME)
    assert response.status_code == 303 and response.headers["Location"] == PORTAL_A_HOME
    assert [n.client_id for n in notices(app)] == [portal_a.client_id]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"client_id": "__portal_a__"},
        {"client_id": "__portal_a__", "post_logout_redirect_uri": PORTAL_A_HOME, "state": "s-2"},
    ],
    ids=["bare link", "client_id only", "client_id with return address"],
)
def test_without_proof_the_page_asks_and_nothing_ends(
    app: Flask, portal_a: Portal, citizen: Citizen, params: dict[str, str]
) -> None:
    browser, _ = signed_in_at(app, citizen, portal_a)
    params = {name: value.replace("__portal_a__", portal_a.client_id) for name, value in params.items()}
    response = logout(browser, **params)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Sign out of National e-ID?" in html
    assert can_use(browser, portal_a) and notices(app) == []
    confirmed = browser.post("/logout", data={"csrf_token": csrf_token(html), **params})
    assert confirmed.status_code == 303
    expected = PORTAL_A_HOME + "?state=s-2" if "post_logout_redirect_uri" in params else "/login"
    assert confirmed.headers["Location"] == expected
    assert not can_use(browser, portal_a)
    assert [n.client_id for n in notices(app)] == [portal_a.client_id]


def test_the_page_names_the_portal_that_asks(app: Flask, portal_a: Portal, citizen: Citizen) -> None:
    browser, _ = signed_in_at(app, citizen, portal_a)
    html = logout(browser, client_id=portal_a.client_id).get_data(as_text=True)
    assert "Cổng dịch vụ công Hà Nội asks you to sign out." in html
    vietnamese = browser.get("/logout?" + urlencode({"client_id": portal_a.client_id, "ui_locales": "vi"}))
    assert '<html lang="vi">' in vietnamese.get_data(as_text=True)


def test_a_confirmation_posted_from_another_site_ends_nothing(app: Flask, portal_a: Portal, citizen: Citizen) -> None:
    browser, _ = signed_in_at(app, citizen, portal_a)
    token = csrf_token(logout(browser).get_data(as_text=True))
    response = browser.post("/logout", data={"csrf_token": token}, headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 403
    assert can_use(browser, portal_a) and notices(app) == []


def refused(response) -> bool:  # type: ignore[no-untyped-def]
    html = response.get_data(as_text=True)
    return (
        response.status_code == 400 and "Location" not in response.headers and "sign-out request is not valid" in html
    )


def test_a_forged_hint_is_refused(app: Flask, portal_a: Portal, citizen: Citizen) -> None:
    browser, (at_a,) = signed_in_at(app, citizen, portal_a)
    for forged in forgeries_of(app.test_client(), at_a["id_token"]):
        assert refused(logout(browser, id_token_hint=forged, post_logout_redirect_uri=PORTAL_A_HOME))
    assert refused(logout(browser, id_token_hint="not-a-token"))
    assert can_use(browser, portal_a) and notices(app) == []


def test_a_hint_issued_to_another_portal_is_refused(
    app: Flask, portal_a: Portal, portal_b: Portal, citizen: Citizen
) -> None:
    browser, (_at_a, at_b) = signed_in_at(app, citizen, portal_a, portal_b)
    response = logout(
        browser, id_token_hint=at_b["id_token"], client_id=portal_a.client_id, post_logout_redirect_uri=PORTAL_A_HOME
    )
    assert refused(response)
    # B's hint names B, and B never registered A's page: no redirect there either.
    assert refused(logout(browser, id_token_hint=at_b["id_token"], post_logout_redirect_uri=PORTAL_A_HOME))
    assert can_use(browser, portal_a) and notices(app) == []


@pytest.mark.parametrize(
    "address", ["https://evil.example/", PORTAL_A_HOME + "x", PORTAL_A_HOME.rstrip("/"), PORTAL_A_HOME + "?a=1"]
)
def test_an_unregistered_return_address_is_refused(
    app: Flask, portal_a: Portal, citizen: Citizen, address: str
) -> None:
    browser, (at_a,) = signed_in_at(app, citizen, portal_a)
    assert refused(logout(browser, id_token_hint=at_a["id_token"], post_logout_redirect_uri=address))
    assert refused(logout(browser, post_logout_redirect_uri=PORTAL_A_HOME))  # no portal named at all
    assert refused(logout(browser, client_id="unknown-portal"))
    assert can_use(browser, portal_a) and notices(app) == []


def test_a_hint_of_another_session_asks_first(app: Flask, portal_a: Portal, citizen: Citizen) -> None:
    """A hint proves only the session it was issued in: a citizen's old token, or one taken from another
    browser, cannot sign this browser out unasked."""
    _elsewhere, (old,) = signed_in_at(app, citizen, portal_a)
    browser, _ = signed_in_at(app, citizen, portal_a)
    response = logout(browser, id_token_hint=old["id_token"], post_logout_redirect_uri=PORTAL_A_HOME)
    assert response.status_code == 200 and "Sign out of National e-ID?" in response.get_data(as_text=True)
    assert can_use(browser, portal_a)


def test_a_signed_out_browser_goes_straight_back(app: Flask, portal_a: Portal, citizen: Citizen) -> None:
    browser, (at_a,) = signed_in_at(app, citizen, portal_a)
    logout(browser, id_token_hint=at_a["id_token"])
    again = logout(browser, id_token_hint=at_a["id_token"], post_logout_redirect_uri=PORTAL_A_HOME, state="s-3")
    assert again.status_code == 303 and again.headers["Location"] == PORTAL_A_HOME + "?state=s-3"
    assert len(notices(app)) == 1  # the second request had nothing to end


def test_a_front_channel_portal_is_loaded_in_a_frame(
    app: Flask, portal_a: Portal, portal_c: Portal, citizen: Citizen
) -> None:
    browser, (at_a, at_c) = signed_in_at(app, citizen, portal_a, portal_c)
    response = logout(browser, id_token_hint=at_a["id_token"], post_logout_redirect_uri=PORTAL_A_HOME, state="s")
    html = response.get_data(as_text=True)
    sid = unverified_parts(at_c["id_token"])[1]["sid"]
    issuer = app.test_client().get("/.well-known/openid-configuration").get_json()["issuer"]
    assert response.status_code == 200
    assert f'src="{FRONTCHANNEL_C}?iss={issuer.replace(":", "%3A").replace("/", "%2F")}&amp;sid={sid}"' in html
    assert "frame-src http://127.0.0.1:8767" in response.headers["Content-Security-Policy"]
    assert f'href="{PORTAL_A_HOME}?state=s"' in html
    assert [n.client_id for n in notices(app)] == [portal_a.client_id]  # C has no back channel


def test_grants_keep_their_sid_across_a_fresh_sign_in(
    app: Flask, portal_a: Portal, portal_b: Portal, citizen: Citizen
) -> None:
    """Portal A asks for a fresh sign-in (prompt=login): B keeps its grant, and everything B is told later
    (refreshed ID tokens, the logout token, its hint's proof) names the session B knows."""
    browser, (_at_a, at_b) = signed_in_at(app, citizen, portal_a, portal_b)
    sid_b = unverified_parts(at_b["id_token"])[1]["sid"]
    again = tokens(browser, portal_a, citizen, prompt="login")
    assert unverified_parts(again["id_token"])[1]["sid"] != sid_b
    refreshed = refresh(app.test_client(), portal_b, at_b["refresh_token"]).get_json()
    assert unverified_parts(refreshed["id_token"])[1]["sid"] == sid_b
    response = logout(browser, id_token_hint=at_b["id_token"])  # B's hint still proves this browser's session
    assert response.status_code == 303
    assert {n.client_id: n.sid for n in notices(app)}[portal_b.client_id] == sid_b


def test_a_code_from_a_session_that_ended_is_refused(app: Flask, portal_a: Portal, citizen: Citizen) -> None:
    """Signed out between the code and its exchange: the portal would hold tokens no logout reaches."""
    browser = signed_in(app, citizen)
    query, verifier = authorize(browser, portal_a, None)
    signed_out = browser.post("/logout", data={"csrf_token": csrf_token(browser.get("/logout").get_data(as_text=True))})
    assert signed_out.status_code == 303
    response = exchange(app.test_client(), portal_a, query["code"], verifier)
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_grant"
