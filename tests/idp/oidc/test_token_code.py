"""The code exchange at the token endpoint: single use with revocation on replay, client binding,
expiry, redirect URI binding, response headers and the access token format (RFC 6749 §4.1.3, §5;
RFC 9700 §4.2.4; RFC 9068; ASVS 10.4.2, 10.4.3; SECURITY.md §6.2, V1)."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.idp.conftest import Citizen, Clock, Portal, authorize, exchange, register_portal
from tests.idp.flows import (
    at_once,
    change_account,
    introspect,
    refresh,
    suspend_portal,
    unverified_parts,
    userinfo,
    verify_like_a_relying_party,
)


def test_a_replayed_code_is_refused_and_revokes_what_its_first_use_produced(
    client: FlaskClient, portal: Portal, citizen: Citizen
) -> None:
    query, verifier = authorize(client, portal, citizen)
    first = exchange(client, portal, query["code"], verifier).get_json()
    assert userinfo(client, first["access_token"]).status_code == 200

    replay = exchange(client, portal, query["code"], verifier)
    assert replay.status_code == 400
    assert replay.get_json()["error"] == "invalid_grant"
    assert "access_token" not in replay.get_json()

    assert refresh(client, portal, first["refresh_token"]).get_json()["error"] == "invalid_grant"
    assert userinfo(client, first["access_token"]).status_code == 401
    assert introspect(client, portal, first["access_token"]) == {"active": False}
    assert introspect(client, portal, first["refresh_token"]) == {"active": False}


def test_a_replay_after_rotation_also_revokes_the_newest_tokens(
    client: FlaskClient, portal: Portal, citizen: Citizen
) -> None:
    query, verifier = authorize(client, portal, citizen)
    first = exchange(client, portal, query["code"], verifier).get_json()
    rotated = refresh(client, portal, first["refresh_token"]).get_json()
    exchange(client, portal, query["code"], verifier)
    assert refresh(client, portal, rotated["refresh_token"]).get_json()["error"] == "invalid_grant"
    assert userinfo(client, rotated["access_token"]).status_code == 401


def test_a_replay_does_not_touch_other_grants_of_the_citizen(
    client: FlaskClient, portal: Portal, citizen: Citizen
) -> None:
    query, verifier = authorize(client, portal, citizen)
    exchange(client, portal, query["code"], verifier)
    other_query, other_verifier = authorize(client, portal, citizen)
    other = exchange(client, portal, other_query["code"], other_verifier).get_json()
    exchange(client, portal, query["code"], verifier)
    assert userinfo(client, other["access_token"]).status_code == 200
    assert refresh(client, portal, other["refresh_token"]).status_code == 200


def test_a_code_works_only_for_the_portal_it_was_issued_to(
    app: Flask, client: FlaskClient, portal: Portal, citizen: Citizen
) -> None:
    """V1 (Keycloak CVE-2026-16089): an intercepted code cannot be redeemed by the attacker's own client."""
    attacker = register_portal(app, name="Cổng giả mạo", first_party=True)
    query, verifier = authorize(client, portal, citizen)
    stolen = exchange(client, attacker, query["code"], verifier)
    assert stolen.status_code == 400
    assert stolen.get_json()["error"] == "invalid_grant"
    assert exchange(client, portal, query["code"], verifier).status_code == 200


def test_an_expired_code_is_refused(
    client: FlaskClient, portal: Portal, citizen: Citizen, settings, clock: Clock
) -> None:
    query, verifier = authorize(client, portal, citizen)
    clock.advance(settings.authorization_code_ttl + 1)
    response = exchange(client, portal, query["code"], verifier)
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_grant"


def test_a_code_just_inside_its_lifetime_works(
    client: FlaskClient, portal: Portal, citizen: Citizen, settings, clock: Clock
) -> None:
    query, verifier = authorize(client, portal, citizen)
    clock.advance(settings.authorization_code_ttl - 5)
    assert exchange(client, portal, query["code"], verifier).status_code == 200


def test_codes_live_at_most_a_minute(settings) -> None:
    """ASVS 10.4.3 at level 3; SECURITY.md decision 2."""
    assert settings.authorization_code_ttl <= 60


@pytest.mark.parametrize(
    "redirect_uri", [None, "", "http://127.0.0.1:8765/callback/", "http://127.0.0.1:8765/other"], ids=repr
)
def test_the_redirect_uri_must_be_repeated_identically(
    client: FlaskClient, portal: Portal, citizen: Citizen, redirect_uri: str | None
) -> None:
    """RFC 6749 §4.1.3."""
    query, verifier = authorize(client, portal, citizen)
    data = {"grant_type": "authorization_code", "code": query["code"], "code_verifier": verifier}
    if redirect_uri is not None:
        data["redirect_uri"] = redirect_uri
    response = client.post("/token", data=data, headers=portal.basic_auth())
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_grant"


def test_an_unknown_code_is_invalid_grant(client: FlaskClient, portal: Portal) -> None:
    response = exchange(client, portal, "made-up-code", "v" * 43)
    assert response.get_json()["error"] == "invalid_grant"


def test_a_code_of_a_since_suspended_account_gets_no_tokens(
    app: Flask, client: FlaskClient, portal: Portal, citizen: Citizen
) -> None:
    """SECURITY.md V4: every token-issuing path re-checks the account."""
    query, verifier = authorize(client, portal, citizen)
    change_account(app, citizen, "suspend")
    response = exchange(client, portal, query["code"], verifier)
    assert response.get_json()["error"] == "invalid_grant"


def test_token_responses_are_not_cached(client: FlaskClient, portal: Portal, citizen: Citizen) -> None:
    """RFC 6749 §5.1: Cache-Control: no-store and Pragma: no-cache, on success and on error."""
    query, verifier = authorize(client, portal, citizen)
    success = exchange(client, portal, query["code"], verifier)
    failure = exchange(client, portal, query["code"], verifier)
    for response in (success, failure):
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Pragma"] == "no-cache"
        assert response.mimetype == "application/json"


def test_the_token_response_carries_what_the_portal_needs(
    client: FlaskClient, portal: Portal, citizen: Citizen, settings
) -> None:
    query, verifier = authorize(client, portal, citizen)
    body = exchange(client, portal, query["code"], verifier).get_json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == settings.access_token_ttl
    assert body["scope"] == "openid profile"
    assert {"access_token", "refresh_token", "id_token"} <= set(body)


def test_the_access_token_is_an_rfc_9068_jwt(client: FlaskClient, portal: Portal, citizen: Citizen, settings) -> None:
    query, verifier = authorize(client, portal, citizen)
    body = exchange(client, portal, query["code"], verifier).get_json()
    header, claims = verify_like_a_relying_party(client, body["access_token"], algorithms=[settings.access_token_alg])
    assert header["typ"] == "at+jwt"
    assert claims["iss"] == settings.issuer
    assert claims["aud"] == settings.issuer
    assert claims["client_id"] == portal.client_id
    assert claims["scope"] == "openid profile"
    assert claims["exp"] - claims["iat"] == settings.access_token_ttl
    assert claims["jti"]
    assert claims["sub"] != citizen.pin
    _, id_claims = unverified_parts(body["id_token"])
    assert claims["sub"] == id_claims["sub"]
    assert claims["auth_time"] == id_claims["auth_time"]


def test_a_portal_without_the_refresh_grant_gets_no_refresh_token(
    app: Flask, client: FlaskClient, citizen: Citizen
) -> None:
    """RFC 9700 §4.14 / R18: refresh tokens only for clients registered for them."""
    no_refresh = register_portal(app, name="Cổng tra cứu", first_party=True, grant_types=["authorization_code"])
    query, verifier = authorize(client, no_refresh, citizen)
    body = exchange(client, no_refresh, query["code"], verifier).get_json()
    assert "refresh_token" not in body
    assert "access_token" in body


@pytest.mark.parametrize("grant_type", ["password", "implicit", "urn:ietf:params:oauth:grant-type:device_code"])
def test_grants_that_are_not_offered_are_refused(
    client: FlaskClient, portal: Portal, citizen: Citizen, grant_type: str
) -> None:
    """RFC 9700 §2.4: no resource owner password credentials grant (R13), no implicit."""
    data = {"grant_type": grant_type, "username": citizen.pin, "password": citizen.password, "scope": "openid"}
    response = client.post("/token", data=data, headers=portal.basic_auth())
    assert response.status_code == 400
    assert response.get_json()["error"] == "unsupported_grant_type"


def test_the_token_endpoint_accepts_only_post(client: FlaskClient, portal: Portal, citizen: Citizen) -> None:
    """RFC 6749 §3.2; and no code or secret ever travels in a URL (ASVS 14.2.1)."""
    query, verifier = authorize(client, portal, citizen)
    params = {"grant_type": "authorization_code", "code": query["code"], "code_verifier": verifier}
    response = client.get("/token", query_string={**params, "redirect_uri": portal.redirect_uri})
    assert response.status_code == 405
    assert exchange(client, portal, query["code"], verifier).status_code == 200


@pytest.mark.parametrize("name", ["code", "code_verifier", "redirect_uri", "grant_type"])
def test_a_repeated_token_parameter_is_refused(
    client: FlaskClient, portal: Portal, citizen: Citizen, name: str
) -> None:
    """RFC 6749 §3.1: request parameters MUST NOT be included more than once."""
    query, verifier = authorize(client, portal, citizen)
    pairs = [
        ("grant_type", "authorization_code"),
        ("code", query["code"]),
        ("redirect_uri", portal.redirect_uri),
        ("code_verifier", verifier),
    ]
    pairs.append(next(pair for pair in pairs if pair[0] == name))
    form = "application/x-www-form-urlencoded"
    response = client.post("/token", data=urlencode(pairs), content_type=form, headers=portal.basic_auth())
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_request"


def test_a_repeated_parameter_with_any_name_is_a_clean_refusal(client: FlaskClient, portal: Portal) -> None:
    form = "application/x-www-form-urlencoded"
    body = urlencode([("grant_type", "refresh_token"), ("mã", "1"), ("mã", "2"), ('"', "1"), ('"', "2")])
    response = client.post("/token", data=body, content_type=form, headers=portal.basic_auth())
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_request"


def test_a_suspended_portal_cannot_exchange_its_code(
    app: Flask, client: FlaskClient, portal: Portal, citizen: Citizen
) -> None:
    query, verifier = authorize(client, portal, citizen)
    suspend_portal(app, portal)
    response = exchange(client, portal, query["code"], verifier)
    assert response.get_json()["error"] == "invalid_client"
    assert "access_token" not in response.get_json()


def test_a_code_exchanged_many_times_at_once_yields_tokens_once(
    app: Flask, client: FlaskClient, portal: Portal, citizen: Citizen
) -> None:
    """conformance oidcc-codereuse; SECURITY.md §6.2: the code is consumed by one conditional UPDATE."""
    query, verifier = authorize(client, portal, citizen)
    answers = at_once([lambda: exchange(app.test_client(), portal, query["code"], verifier) for _ in range(6)])
    assert sorted(answer.status_code for answer in answers) == [200, 400, 400, 400, 400, 400]
    assert {answer.get_json().get("error") for answer in answers if answer.status_code == 400} == {"invalid_grant"}
