"""Signing out at the portal (RP-initiated logout at the provider), and logout coming from the provider:
back-channel (a signed logout token, each rule attacked over HTTP) and front-channel."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from joserfc.jwk import RSAKey

from portal import create_app
from tests.portal.conftest import portal_settings, query, sign_in
from tests.portal.fake_provider import CLIENT_ID, FakeProvider


def signed_in(portal: FlaskClient) -> bool:
    return "Xin chào" in portal.get("/").get_data(as_text=True)


def csrf(portal: FlaskClient) -> str:
    html = portal.get("/").get_data(as_text=True)
    return html.split('name="csrf_token" value="')[1].split('"')[0]


# -- RP-initiated logout -------------------------------------------------------------------------------


def test_signing_out_ends_the_session_here_then_at_the_provider(portal: FlaskClient, fake: FakeProvider) -> None:
    sign_in(portal, fake)
    assert fake.token_answer is not None
    issued = fake.token_answer({})[1]["id_token"]
    response = portal.post("/logout?lang=en", data={"csrf_token": csrf(portal)})
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.startswith(f"{fake.issuer}/logout?")
    params = query(location)
    assert params["post_logout_redirect_uri"] == "http://127.0.0.1:5999/"
    assert params["client_id"] == CLIENT_ID
    assert params["ui_locales"] == "en"
    assert params["id_token_hint"] == issued
    assert params["state"]
    assert not signed_in(portal)  # already signed out here, whatever the provider does

    back = portal.get(f"/?state={params['state']}")  # English: the language chosen before signing out
    assert "You have signed out." in back.get_data(as_text=True)
    assert "You have signed out." not in portal.get(f"/?state={params['state']}").get_data(as_text=True)  # once


def test_signing_out_needs_the_form_s_token(portal: FlaskClient, fake: FakeProvider) -> None:
    """A cross-site form cannot sign the citizen out."""
    sign_in(portal, fake)
    for data in ({}, {"csrf_token": "guessed"}):
        response = portal.post("/logout", data=data)
        assert response.status_code == 400
        assert signed_in(portal)


def test_without_an_end_session_endpoint_the_sign_out_is_local(portal: FlaskClient, fake: FakeProvider) -> None:
    fake.metadata_overrides["end_session_endpoint"] = None
    sign_in(portal, fake)
    response = portal.post("/logout", data={"csrf_token": csrf(portal)})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert "Bạn đã đăng xuất." in portal.get("/").get_data(as_text=True)


def test_a_logout_return_with_a_foreign_state_says_nothing(portal: FlaskClient) -> None:
    assert "Bạn đã đăng xuất." not in portal.get("/?state=forged").get_data(as_text=True)


# -- back-channel logout -------------------------------------------------------------------------------


def post_logout_token(portal: FlaskClient, token: str):  # type: ignore[no-untyped-def]
    return portal.post("/backchannel-logout", data={"logout_token": token})


def test_a_logout_token_ends_the_session_of_its_sid(portal: FlaskClient, fake: FakeProvider) -> None:
    sign_in(portal, fake, sid="provider-session-1")
    other = create_app_client_like(portal)
    sign_in(other, fake, sid="provider-session-2")
    response = post_logout_token(portal, fake.logout_token(sid="provider-session-1"))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert not signed_in(portal)
    assert signed_in(other)


def create_app_client_like(portal: FlaskClient) -> FlaskClient:
    """A second browser of the same portal."""
    return portal.application.test_client()


def test_a_logout_token_with_sub_only_ends_every_session_of_the_citizen(
    portal: FlaskClient, fake: FakeProvider
) -> None:
    sign_in(portal, fake, sid="provider-session-1")
    other = create_app_client_like(portal)
    sign_in(other, fake, sid="provider-session-2")
    assert post_logout_token(portal, fake.logout_token(sid=None, sub="pairwise-sub-1")).status_code == 200
    assert not signed_in(portal)
    assert not signed_in(other)


def test_a_replayed_logout_token_is_refused(portal: FlaskClient, fake: FakeProvider) -> None:
    token = fake.logout_token(sid="provider-session-1", jti="once")
    assert post_logout_token(portal, token).status_code == 200
    sign_in(portal, fake, sid="provider-session-1")
    replay = post_logout_token(portal, token)
    assert replay.status_code == 400
    assert replay.json == {"error": "invalid_request", "error_description": "the logout token was used before"}
    assert signed_in(portal)


@pytest.mark.parametrize(
    "claims",
    [
        {"aud": "another-portal"},
        {"iss": "http://127.0.0.1:1"},
        {"nonce": "n"},
        {"events": None},
        {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 3700},
    ],
)
def test_an_invalid_logout_token_is_refused_and_ends_nothing(
    portal: FlaskClient, fake: FakeProvider, claims: dict[str, object]
) -> None:
    sign_in(portal, fake, sid="provider-session-1")
    response = post_logout_token(portal, fake.logout_token(sid="provider-session-1", **claims))
    assert response.status_code == 400
    assert response.headers["Cache-Control"] == "no-store"
    assert response.json["error"] == "invalid_request"
    assert signed_in(portal)


def test_a_forged_logout_token_is_refused(portal: FlaskClient, fake: FakeProvider) -> None:
    sign_in(portal, fake, sid="provider-session-1")
    impostor = RSAKey.generate_key(2048, parameters={"kid": "rsa-1"})
    assert post_logout_token(portal, fake.logout_token(key=impostor)).status_code == 400
    assert post_logout_token(portal, "").status_code == 400
    assert portal.post("/backchannel-logout", json={"logout_token": fake.logout_token()}).status_code == 400
    assert signed_in(portal)


def test_an_oversized_body_is_refused_unread(portal: FlaskClient) -> None:
    assert post_logout_token(portal, "x" * 70_000).status_code == 413


def test_a_rotated_key_is_fetched_but_unknown_kids_cannot_hammer_the_provider(
    portal: FlaskClient, fake: FakeProvider
) -> None:
    sign_in(portal, fake, sid="provider-session-1")
    rotated = RSAKey.generate_key(2048, parameters={"kid": "rsa-2"})
    fake.keys.append(rotated)
    before = fake.hits("/jwks.json")
    assert post_logout_token(portal, fake.logout_token(key=rotated)).status_code == 200
    assert fake.hits("/jwks.json") == before + 1
    stranger = RSAKey.generate_key(2048, parameters={"kid": "rsa-x"})
    for _ in range(3):
        assert post_logout_token(portal, fake.logout_token(key=stranger)).status_code == 400
    assert fake.hits("/jwks.json") == before + 1  # within the refetch interval: the known keys answer


def test_a_portal_that_was_down_honours_a_late_logout_token(fake: FakeProvider, tmp_path: Path) -> None:
    """Sessions and seen tokens are in a file: a restarted portal ends a session signed in before."""
    settings = portal_settings(fake.issuer, tmp_path / "portal.sqlite3")
    browser = create_app(settings).test_client()
    sign_in(browser, fake, sid="provider-session-1")
    restarted: Flask = create_app(settings)
    browser.application = restarted  # the same browser, its cookie, the new process
    assert signed_in(browser)
    token = fake.logout_token(sid="provider-session-1")
    assert post_logout_token(browser, token).status_code == 200
    assert not signed_in(browser)
    assert post_logout_token(create_app(settings).test_client(), token).status_code == 400


def test_the_provider_s_keys_unreachable_answers_503_to_retry(portal: FlaskClient, fake: FakeProvider) -> None:
    fake.metadata_overrides["issuer"] = "http://127.0.0.1:1"
    response = post_logout_token(portal, fake.logout_token())
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"


# -- front-channel logout ------------------------------------------------------------------------------


def test_front_channel_logout_ends_the_session_of_its_sid(portal: FlaskClient, fake: FakeProvider) -> None:
    sign_in(portal, fake, sid="provider-session-1")
    response = portal.get(f"/frontchannel-logout?iss={fake.issuer}&sid=provider-session-1")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert f"frame-ancestors {fake.issuer}" in response.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in response.headers
    assert not signed_in(portal)


@pytest.mark.parametrize(
    "query_string", ["iss=http://127.0.0.1:1&sid=provider-session-1", "sid=provider-session-1", ""]
)
def test_front_channel_logout_from_elsewhere_ends_nothing(
    portal: FlaskClient, fake: FakeProvider, query_string: str
) -> None:
    sign_in(portal, fake, sid="provider-session-1")
    assert portal.get(f"/frontchannel-logout?{query_string}").status_code == 400
    assert signed_in(portal)
