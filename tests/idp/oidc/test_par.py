"""Pushed authorization requests (RFC 9126): authenticated push, a one-time request_uri of the pushing
client that expires in a minute, and the same validation as /authorize (FAPI2 par-* modules)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.idp.conftest import (
    Citizen,
    Clock,
    Portal,
    authorization_params,
    exchange,
    pkce_pair,
    query_of,
    register_portal,
)
from tests.idp.flows import is_portal_redirect, post_as, sign_in_directly, tokens


def push(client: FlaskClient, portal: Portal, **extra: str | None) -> tuple[TestResponse, str]:
    verifier, challenge = pkce_pair()
    return post_as(client, portal, "/par", **authorization_params(portal, challenge, **extra)), verifier


def pushed(client: FlaskClient, portal: Portal, **extra: str | None) -> tuple[str, str]:
    response, verifier = push(client, portal, **extra)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["request_uri"], verifier


def follow(client: FlaskClient, portal: Portal, request_uri: str, **extra: str) -> TestResponse:
    return client.get("/authorize?" + urlencode({"client_id": portal.client_id, "request_uri": request_uri, **extra}))


def assert_refused(response: TestResponse, error: str = "invalid_request") -> dict[str, Any]:
    assert response.status_code in (400, 401), response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    assert body["error"] == error
    assert "request_uri" not in body
    return body


def test_a_pushed_request_is_answered_with_a_one_minute_request_uri(client: FlaskClient, portal: Portal) -> None:
    response, _ = push(client, portal)
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["request_uri"].startswith("urn:ietf:params:oauth:request_uri:")
    assert body["expires_in"] <= 60


def test_the_pushed_parameters_drive_the_flow(client: FlaskClient, portal: Portal, citizen: Citizen, settings) -> None:
    request_uri, verifier = pushed(client, portal, state="from-par", scope="openid profile")
    sign_in_directly(client, citizen)
    # Parameters the browser adds next to request_uri are not authorization parameters any more.
    response = follow(client, portal, request_uri, scope="openid address", state="from-browser")
    assert is_portal_redirect(response, portal)
    query = query_of(response.headers["Location"])
    assert (query["state"], query["iss"]) == ("from-par", settings.issuer)
    body = exchange(client, portal, query["code"], verifier).get_json()
    assert body["scope"] == "openid profile"


def test_a_request_uri_works_once(client: FlaskClient, portal: Portal, citizen: Citizen) -> None:
    request_uri, _ = pushed(client, portal)
    sign_in_directly(client, citizen)
    assert is_portal_redirect(follow(client, portal, request_uri), portal)
    again = follow(client, portal, request_uri)
    assert again.status_code == 400
    assert "Location" not in again.headers


def test_a_request_uri_expires(client: FlaskClient, portal: Portal, citizen: Citizen, clock: Clock) -> None:
    request_uri, _ = pushed(client, portal)
    sign_in_directly(client, citizen)
    clock.advance(61)
    response = follow(client, portal, request_uri)
    assert response.status_code == 400
    assert "Location" not in response.headers


def test_a_request_uri_works_only_for_the_client_that_pushed_it(
    app: Flask, client: FlaskClient, portal: Portal, citizen: Citizen
) -> None:
    other = register_portal(app, name="Cổng khác", first_party=True)
    request_uri, _ = pushed(client, portal)
    sign_in_directly(client, citizen)
    stolen = follow(client, other, request_uri)
    assert stolen.status_code == 400
    assert "Location" not in stolen.headers
    assert is_portal_redirect(follow(client, portal, request_uri), portal)  # not spent by the attempt


def test_a_made_up_request_uri_is_refused(client: FlaskClient, portal: Portal) -> None:
    response = follow(client, portal, "urn:ietf:params:oauth:request_uri:made-up")
    assert response.status_code == 400


def test_pushing_needs_client_authentication(client: FlaskClient, portal: Portal) -> None:
    _, challenge = pkce_pair()
    response = client.post("/par", data=authorization_params(portal, challenge))
    assert_refused(response, "invalid_client")
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        ({"code_challenge": None, "code_challenge_method": None}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),
        ({"redirect_uri": "https://evil.example/cb"}, "invalid_request"),
        ({"redirect_uri": None}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"request_uri": "urn:ietf:params:oauth:request_uri:nested"}, "invalid_request"),
        ({"request": "eyJhbGciOiJub25lIn0.e30."}, "request_not_supported"),
        ({"client_id": "another-client"}, "invalid_client"),
        ({"prompt": "none login"}, "invalid_request"),
        ({"redirect_uri": "https://evil.example/ngõ"}, "invalid_request"),
        ({"response_type": 'code"'}, "invalid_request"),
    ],
    ids=[
        "no pkce",
        "plain pkce",
        "no pkce method",
        "unregistered redirect_uri",
        "no redirect_uri",
        "response_type token",
        "nested request_uri",
        "request object",
        "another client_id",
        "prompt none with login",
        "redirect_uri with non-ASCII",
        "response_type with a quote",
    ],
)
def test_a_push_is_validated_like_an_authorization_request(
    client: FlaskClient, portal: Portal, extra: dict[str, str | None], error: str
) -> None:
    response, _ = push(client, portal, **extra)
    assert_refused(response, error)


def test_a_nonce_used_before_is_refused_at_push(client: FlaskClient, portal: Portal, citizen: Citizen) -> None:
    tokens(client, portal, citizen, nonce="once-only")
    response, _ = push(client, portal, nonce="once-only")
    assert_refused(response)


def test_par_accepts_only_post(client: FlaskClient) -> None:
    assert client.get("/par").status_code == 405


def test_a_pushed_request_with_prompt_none_and_no_session_answers_login_required(
    client: FlaskClient, portal: Portal, settings
) -> None:
    request_uri, _ = pushed(client, portal, prompt="none", state="p")
    response = follow(client, portal, request_uri)
    query = query_of(response.headers["Location"])
    assert (query["error"], query["state"], query["iss"]) == ("login_required", "p", settings.issuer)
