"""UserInfo (OIDC Core 5.3) with bearer tokens (RFC 6750): forged, expired, revoked or foreign tokens
get 401; released claims follow the granted scopes only (SECURITY.md V8, V9; ASVS 8.3.2, 14.2.1)."""

from __future__ import annotations

import json
import time

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.idp.conftest import Citizen, Clock, Portal, register_portal
from tests.idp.flows import (
    b64url,
    change_account,
    change_identity,
    forgeries_of,
    refresh,
    revoke,
    suspend_portal,
    tokens,
    unverified_parts,
    userinfo,
)


def assert_invalid_token(response: TestResponse) -> None:
    """RFC 6750 §3.1: 401 with a Bearer challenge naming invalid_token; nothing about the citizen."""
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')
    assert "sub" not in response.get_json()


def test_userinfo_answers_with_the_pairwise_sub_and_the_granted_claims(
    client: FlaskClient, portal: Portal, citizen: Citizen
) -> None:
    body = tokens(client, portal, citizen, scope="openid profile")
    response = userinfo(client, body["access_token"])
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    claims = response.get_json()
    assert claims["sub"] == unverified_parts(body["id_token"])[1]["sub"]
    assert claims["name"] == "Nguyễn Thị Mai"
    assert claims["birthdate"] == "1990-04-05"
    assert citizen.pin not in json.dumps(claims)
    assert "address" not in claims


def test_post_with_the_header_or_the_form_body_works(client: FlaskClient, portal: Portal, citizen: Citizen) -> None:
    token = tokens(client, portal, citizen)["access_token"]
    by_header = client.post("/userinfo", headers={"Authorization": f"Bearer {token}"})
    by_body = client.post("/userinfo", data={"access_token": token})
    assert by_header.status_code == by_body.status_code == 200


def test_a_token_in_the_query_string_is_not_accepted(client: FlaskClient, portal: Portal, citizen: Citizen) -> None:
    """ASVS 14.2.1: no tokens in URLs."""
    token = tokens(client, portal, citizen)["access_token"]
    response = client.get("/userinfo", query_string={"access_token": token})
    assert response.status_code == 401


def test_without_a_token_the_challenge_names_no_error(client: FlaskClient) -> None:
    response = client.get("/userinfo")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "x" * 10_000, "eyJhbGciOiJub25lIn0.e30."])
def test_garbage_is_an_invalid_token(client: FlaskClient, token: str) -> None:
    assert_invalid_token(userinfo(client, token))


def test_alg_none_and_hmac_with_our_public_key_are_refused(
    client: FlaskClient, portal: Portal, citizen: Citizen
) -> None:
    """SECURITY.md V8, V9: the forged copies carry exactly the genuine token's claims."""
    genuine = tokens(client, portal, citizen)["access_token"]
    for forged in forgeries_of(client, genuine):
        assert_invalid_token(userinfo(client, forged))
    assert userinfo(client, genuine).status_code == 200


def test_a_tampered_token_is_refused(client: FlaskClient, portal: Portal, citizen: Citizen) -> None:
    genuine = tokens(client, portal, citizen)["access_token"]
    header, _payload, signature = genuine.split(".")
    _, claims = unverified_parts(genuine)
    widened = b64url(json.dumps({**claims, "scope": "openid profile pin"}).encode())
    assert_invalid_token(userinfo(client, f"{header}.{widened}.{signature}"))


def test_an_id_token_is_not_an_access_token(client: FlaskClient, portal: Portal, citizen: Citizen) -> None:
    """ASVS 9.2.2: the token's type is checked (typ at+jwt)."""
    assert_invalid_token(userinfo(client, tokens(client, portal, citizen)["id_token"]))


def test_an_expired_token_is_refused(
    client: FlaskClient, portal: Portal, citizen: Citizen, settings, clock: Clock
) -> None:
    token = tokens(client, portal, citizen)["access_token"]
    clock.advance(settings.access_token_ttl + 120)
    assert_invalid_token(userinfo(client, token))


def test_a_token_is_refused_the_moment_it_expires(
    client: FlaskClient, portal: Portal, citizen: Citizen, clock: Clock
) -> None:
    """No clock-skew leeway for our own tokens: we sign and check them by the same clock."""
    token = tokens(client, portal, citizen)["access_token"]
    expires = unverified_parts(token)[1]["exp"]
    clock.advance(expires - time.time() - 2)
    assert userinfo(client, token).status_code == 200
    clock.advance(3)
    assert_invalid_token(userinfo(client, token))


def test_a_revoked_token_is_refused(client: FlaskClient, portal: Portal, citizen: Citizen) -> None:
    body = tokens(client, portal, citizen)
    assert revoke(client, portal, body["access_token"]).status_code == 200
    assert_invalid_token(userinfo(client, body["access_token"]))


@pytest.mark.parametrize(
    ("target", "transition"),
    [("account", "suspend"), ("account", "revoke"), ("person", "suspend"), ("person", "deceased")],
)
def test_a_suspended_or_revoked_identity_loses_userinfo_at_once(
    app: Flask, client: FlaskClient, portal: Portal, citizen: Citizen, target: str, transition: str
) -> None:
    """ASVS 8.3.2: authorization changes apply immediately, not when the token expires."""
    token = tokens(client, portal, citizen)["access_token"]
    (change_account if target == "account" else change_identity)(app, citizen, transition)
    assert_invalid_token(userinfo(client, token))


def test_the_claims_parameter_never_widens_the_granted_scopes(
    client: FlaskClient, portal: Portal, citizen: Citizen
) -> None:
    claims = {"userinfo": {"pin": {"essential": True}, "citizen_card": None, "name": None}}
    body = tokens(client, portal, citizen, scope="openid", claims=json.dumps(claims))
    released = userinfo(client, body["access_token"]).get_json()
    assert set(released) == {"sub"}


def test_restricted_claims_need_the_restricted_scope_and_an_approval(
    app: Flask, client: FlaskClient, citizen: Citizen
) -> None:
    approved = register_portal(
        app, name="Cổng thuế", first_party=True, scopes=["openid", "pin"], approve_restricted=True
    )
    assert (
        userinfo(client, tokens(client, approved, citizen, scope="openid pin")["access_token"]).get_json()["pin"]
        == citizen.pin
    )
    ordinary = register_portal(app, name="Cổng thường", first_party=True, scopes=["openid", "profile"])
    released = userinfo(client, tokens(client, ordinary, citizen, scope="openid pin profile")["access_token"])
    assert "pin" not in released.get_json()


def test_a_narrowed_refresh_narrows_userinfo(client: FlaskClient, portal: Portal, citizen: Citizen) -> None:
    body = tokens(client, portal, citizen, scope="openid profile")
    narrowed = refresh(client, portal, body["refresh_token"], scope="openid").get_json()
    assert set(userinfo(client, narrowed["access_token"]).get_json()) == {"sub"}


def test_a_suspended_portal_loses_userinfo_at_once(
    app: Flask, client: FlaskClient, portal: Portal, citizen: Citizen
) -> None:
    """ASVS 8.3.2: suspending a portal stops its tokens now, not when they expire."""
    token = tokens(client, portal, citizen)["access_token"]
    suspend_portal(app, portal)
    assert_invalid_token(userinfo(client, token))
