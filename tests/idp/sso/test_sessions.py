"""SSO sessions: server-side, idle and absolute limits, a new identifier at every sign-in, ended with the
account, and taking their grants with them (NIST 800-63B AAL2; ASVS 7.2.4, 7.3.1-7.3.2, 7.4.1-7.4.2,
3.3.1-3.3.4; SECURITY.md decision 7)."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from idp.cli import cli
from tests.idp.conftest import Citizen, Clock, Portal, csrf_token, make_citizen, query_of, register_portal
from tests.idp.flows import (
    change_account,
    change_identity,
    refresh,
    sign_in_directly,
    start,
    tokens,
    unverified_parts,
    userinfo,
)

SESSION_COOKIE = "idp_sso"


def signed_in(client: FlaskClient, portal: Portal) -> bool:
    """What a portal's prompt=none request learns: is anybody signed in here?"""
    query = query_of(start(client, portal, prompt="none").headers["Location"])
    assert "code" in query or query["error"] == "login_required", query
    return "code" in query


def cookie_attributes(response: TestResponse, name: str) -> dict[str, str]:
    header = next(value for value in response.headers.getlist("Set-Cookie") if value.startswith(name + "="))
    attributes = {}
    for part in header.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        attributes[key.lower()] = value
    return attributes


def test_the_session_cookie_is_httponly_lax_and_has_no_lifetime_of_its_own(
    client: FlaskClient, citizen: Citizen
) -> None:
    """The server decides when a session ends (NIST 800-63B §7.1: cookies are not relied on for timeouts)."""
    attributes = cookie_attributes(sign_in_directly(client, citizen), SESSION_COOKIE)
    assert "httponly" in attributes
    assert attributes["samesite"] == "Lax"
    assert attributes["path"] == "/"
    assert "expires" not in attributes
    assert "max-age" not in attributes
    assert "domain" not in attributes


def test_in_production_the_cookies_are_host_prefixed_and_secure(production_app: Flask) -> None:
    """ASVS 3.3.1, 3.3.3: __Host- names, Secure."""
    citizen = make_citizen(production_app)
    browser = production_app.test_client()
    page = browser.get("/login", base_url="https://id.example.vn")
    flow = cookie_attributes(page, "__Host-idp_flow")
    token = csrf_token(page.get_data(as_text=True))
    form = {"csrf_token": token, "pin": citizen.pin, "password": citizen.password}
    response = browser.post("/login", data=form, base_url="https://id.example.vn")
    assert response.status_code == 303, response.get_data(as_text=True)
    sso = cookie_attributes(response, "__Host-idp_sso")
    for attributes in (flow, sso):
        assert "secure" in attributes
        assert "httponly" in attributes
        assert attributes["samesite"] == "Lax"
        assert attributes["path"] == "/"
        assert "domain" not in attributes


def test_an_idle_session_ends(client: FlaskClient, portal: Portal, citizen: Citizen, settings, clock: Clock) -> None:
    sign_in_directly(client, citizen)
    clock.advance(settings.sso_session_idle_ttl - 120)
    assert signed_in(client, portal)  # activity keeps it alive ...
    clock.advance(settings.sso_session_idle_ttl - 120)
    assert signed_in(client, portal)
    clock.advance(settings.sso_session_idle_ttl + 1)  # ... idleness ends it
    assert not signed_in(client, portal)


def test_a_busy_session_still_ends_at_its_absolute_lifetime(
    client: FlaskClient, portal: Portal, citizen: Citizen, settings, clock: Clock
) -> None:
    sign_in_directly(client, citizen)
    step = settings.sso_session_idle_ttl // 2
    elapsed = 0
    while elapsed + step < settings.sso_session_absolute_ttl:
        clock.advance(step)
        elapsed += step
        assert signed_in(client, portal)
    clock.advance(settings.sso_session_absolute_ttl - elapsed + 1)
    assert not signed_in(client, portal)


def test_session_limits_follow_nist_aal2(settings) -> None:
    assert settings.sso_session_idle_ttl <= 30 * 60
    assert settings.sso_session_absolute_ttl <= 12 * 3600


def test_a_made_up_or_oversized_cookie_is_no_session(client: FlaskClient, portal: Portal) -> None:
    for value in ("made-up", "x" * 200):
        client.set_cookie(SESSION_COOKIE, value)
        assert not signed_in(client, portal)


def test_the_old_cookie_is_dead_after_signing_in_again(client: FlaskClient, portal: Portal, citizen: Citizen) -> None:
    sign_in_directly(client, citizen)
    old = client.get_cookie(SESSION_COOKIE).value
    sign_in_directly(client, citizen)
    thief = client.application.test_client()
    thief.set_cookie(SESSION_COOKIE, old)
    assert not signed_in(thief, portal)
    assert signed_in(client, portal)


def test_another_citizen_signing_in_on_the_same_browser_replaces_the_session(
    app: Flask, client: FlaskClient, portal: Portal, citizen: Citizen
) -> None:
    """V6 (Keycloak CVE-2025-12390): user B must never receive tokens of user A's session."""
    other = make_citizen(app, full_name="Ngô Thị Thu", birth_date="1992-12-12", sex="female")
    first = tokens(client, portal, citizen)
    sign_in_directly(client, other)
    second = tokens(client, portal, None)
    assert userinfo(client, second["access_token"]).get_json()["name"] == "Ngô Thị Thu"
    assert unverified_parts(second["id_token"])[1]["sub"] != unverified_parts(first["id_token"])[1]["sub"]


def test_signing_in_again_keeps_the_other_portals_tokens(
    app: Flask, client: FlaskClient, portal: Portal, citizen: Citizen
) -> None:
    """Re-authentication for one portal (prompt=login) is not a logout from the others."""
    other_portal = register_portal(app, name="Cổng Bảo hiểm xã hội", first_party=True)
    first = tokens(client, portal, citizen)
    tokens(client, other_portal, citizen, prompt="login")
    assert refresh(client, portal, first["refresh_token"]).status_code == 200


def test_another_citizen_signing_in_ends_the_previous_citizens_tokens(
    app: Flask, client: FlaskClient, portal: Portal, citizen: Citizen
) -> None:
    other = make_citizen(app, full_name="Ngô Thị Thu", birth_date="1992-12-12", sex="female")
    first = tokens(client, portal, citizen)
    sign_in_directly(client, other)
    assert refresh(client, portal, first["refresh_token"]).get_json()["error"] == "invalid_grant"


def test_suspending_the_account_ends_its_sessions_for_good(
    app: Flask, client: FlaskClient, portal: Portal, citizen: Citizen
) -> None:
    """ASVS 7.4.2: restoring the account does not bring an ended session back."""
    sign_in_directly(client, citizen)
    change_account(app, citizen, "suspend")
    assert not signed_in(client, portal)
    change_account(app, citizen, "restore")
    assert not signed_in(client, portal)


def test_a_suspended_person_ends_the_session(app: Flask, client: FlaskClient, portal: Portal, citizen: Citizen) -> None:
    sign_in_directly(client, citizen)
    change_identity(app, citizen, "suspend")
    assert not signed_in(client, portal)


def test_refresh_tokens_end_with_their_session(
    app: Flask, client: FlaskClient, portal: Portal, citizen: Citizen
) -> None:
    """SECURITY.md decision 3: refresh tokens die with the SSO session (here ended by a suspension)."""
    body = tokens(client, portal, citizen)
    change_account(app, citizen, "suspend")
    assert not signed_in(client, portal)
    change_account(app, citizen, "restore")
    assert refresh(client, portal, body["refresh_token"]).get_json()["error"] == "invalid_grant"


def test_the_home_page_is_the_sign_in_page_until_the_citizen_is_signed_in(
    client: FlaskClient, citizen: Citizen
) -> None:
    signed_out = client.get("/?lang=en")
    assert signed_out.status_code == 303 and signed_out.headers["Location"] == "/login?lang=en"
    sign_in_directly(client, citizen)
    signed_in_page = client.get("/?lang=en").get_data(as_text=True)
    assert "Your account" in signed_in_page
    assert 'action="/login"' not in signed_in_page


def test_a_suspension_ends_sessions_and_tokens_even_unused_so_a_restore_revives_nothing(
    client: FlaskClient, runner, portal: Portal, citizen: Citizen
) -> None:
    """SECURITY.md decision 7: ended at the suspension itself, not at the next use (registrar's CLI)."""
    for area in ("accounts", "identity"):
        body = tokens(client, portal, citizen, prompt="login")
        for change in ("suspend", "restore"):
            result = runner.invoke(cli, [area, change, citizen.pin, "--reason", "test: lost card"])
            assert result.exit_code == 0, result.stderr
        assert refresh(client, portal, body["refresh_token"]).get_json()["error"] == "invalid_grant"
        assert not signed_in(client, portal)
