"""Introspection (RFC 7662) for the client a token was issued to: exactly {"active": false} for anything
inactive, unknown, forged or another client's, so it reveals nothing (§2.1, §2.2; SECURITY.md V7)."""

from __future__ import annotations

import time

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.idp.conftest import Citizen, Clock, Portal, register_portal
from tests.idp.flows import forgeries_of, introspect, post_as, refresh, tokens, unverified_parts


def test_a_live_access_token_is_described(client: FlaskClient, portal: Portal, citizen: Citizen, settings) -> None:
    body = tokens(client, portal, citizen)
    response = post_as(client, portal, "/introspect", token=body["access_token"])
    assert response.headers["Cache-Control"] == "no-store"
    described = response.get_json()
    assert described["active"] is True
    assert described["client_id"] == portal.client_id
    assert described["scope"] == "openid profile"
    assert described["iss"] == settings.issuer
    assert described["sub"] == unverified_parts(body["id_token"])[1]["sub"]
    assert described["exp"] > described["iat"]


def test_a_live_refresh_token_is_described(client: FlaskClient, portal: Portal, citizen: Citizen) -> None:
    described = introspect(client, portal, tokens(client, portal, citizen)["refresh_token"])
    assert described["active"] is True
    assert described["token_type"] == "refresh_token"
    assert described["client_id"] == portal.client_id


def test_another_clients_tokens_are_inactive_to_it(
    app: Flask, client: FlaskClient, portal: Portal, citizen: Citizen
) -> None:
    other = register_portal(app, name="Cổng khác", first_party=True)
    body = tokens(client, portal, citizen)
    assert introspect(client, other, body["access_token"]) == {"active": False}
    assert introspect(client, other, body["refresh_token"]) == {"active": False}
    assert introspect(client, portal, body["access_token"])["active"] is True  # and nothing changed


@pytest.mark.parametrize("token", ["unknown", "a.b.c", "x" * 10_000])
def test_unknown_tokens_are_inactive(client: FlaskClient, portal: Portal, token: str) -> None:
    assert introspect(client, portal, token) == {"active": False}


def test_forged_tokens_are_inactive(client: FlaskClient, portal: Portal, citizen: Citizen) -> None:
    genuine = tokens(client, portal, citizen)["access_token"]
    for forged in forgeries_of(client, genuine):
        assert introspect(client, portal, forged) == {"active": False}


def test_used_and_expired_tokens_are_inactive(
    client: FlaskClient, portal: Portal, citizen: Citizen, settings, clock: Clock
) -> None:
    body = tokens(client, portal, citizen)
    refresh(client, portal, body["refresh_token"])
    assert introspect(client, portal, body["refresh_token"]) == {"active": False}
    clock.advance(settings.access_token_ttl + 120)
    assert introspect(client, portal, body["access_token"]) == {"active": False}


def test_an_access_token_is_inactive_the_moment_it_expires(
    client: FlaskClient, portal: Portal, citizen: Citizen, clock: Clock
) -> None:
    """No clock-skew leeway for our own tokens: we sign and check them by the same clock."""
    token = tokens(client, portal, citizen)["access_token"]
    expires = unverified_parts(token)[1]["exp"]
    clock.advance(expires - time.time() - 2)
    assert introspect(client, portal, token)["active"] is True
    clock.advance(3)
    assert introspect(client, portal, token) == {"active": False}


def test_introspection_requires_client_authentication(client: FlaskClient, portal: Portal, citizen: Citizen) -> None:
    token = tokens(client, portal, citizen)["access_token"]
    response = client.post("/introspect", data={"token": token})
    assert response.status_code == 401
    assert "active" not in response.get_json()


def test_a_missing_token_is_invalid_request(client: FlaskClient, portal: Portal) -> None:
    assert post_as(client, portal, "/introspect").get_json()["error"] == "invalid_request"
