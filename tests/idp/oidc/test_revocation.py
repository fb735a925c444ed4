"""Revocation (RFC 7009): an access token dies at userinfo and introspection, a refresh token takes its
whole family with it, another client's token is left untouched, and the answer never tells which."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.idp.conftest import Citizen, Portal, register_portal
from tests.idp.flows import introspect, post_as, refresh, revoke, tokens, userinfo


def test_revoking_an_access_token_ends_it_at_userinfo_and_introspection(
    client: FlaskClient, portal: Portal, citizen: Citizen
) -> None:
    body = tokens(client, portal, citizen)
    response = revoke(client, portal, body["access_token"], token_type_hint="access_token")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert userinfo(client, body["access_token"]).status_code == 401
    assert introspect(client, portal, body["access_token"]) == {"active": False}
    assert refresh(client, portal, body["refresh_token"]).status_code == 200  # the family lives on


def test_revoking_a_refresh_token_revokes_its_family(client: FlaskClient, portal: Portal, citizen: Citizen) -> None:
    """§2.1: the AS SHOULD also invalidate access tokens of the same grant."""
    first = tokens(client, portal, citizen)
    newest = refresh(client, portal, first["refresh_token"]).get_json()
    assert revoke(client, portal, newest["refresh_token"], token_type_hint="refresh_token").status_code == 200
    for body in (first, newest):
        assert userinfo(client, body["access_token"]).status_code == 401
        assert introspect(client, portal, body["access_token"]) == {"active": False}
    assert refresh(client, portal, newest["refresh_token"]).get_json()["error"] == "invalid_grant"


def test_a_wrong_hint_still_revokes(client: FlaskClient, portal: Portal, citizen: Citizen) -> None:
    body = tokens(client, portal, citizen)
    revoke(client, portal, body["access_token"], token_type_hint="refresh_token")
    revoke(client, portal, body["refresh_token"], token_type_hint="access_token")
    assert userinfo(client, body["access_token"]).status_code == 401
    assert refresh(client, portal, body["refresh_token"]).status_code == 400


def test_another_clients_tokens_are_left_untouched(
    app: Flask, client: FlaskClient, portal: Portal, citizen: Citizen
) -> None:
    """§2.1: the AS verifies the token was issued to the client asking; §2.2: answer 200 all the same."""
    other = register_portal(app, name="Cổng khác", first_party=True)
    body = tokens(client, portal, citizen)
    for token in (body["access_token"], body["refresh_token"]):
        assert revoke(client, other, token).status_code == 200
    assert userinfo(client, body["access_token"]).status_code == 200
    assert refresh(client, portal, body["refresh_token"]).status_code == 200


def test_unknown_and_forged_tokens_answer_200(client: FlaskClient, portal: Portal) -> None:
    for token in ("unknown", "a.b.c", "eyJhbGciOiJub25lIn0.e30."):
        response = revoke(client, portal, token)
        assert response.status_code == 200
        assert response.get_data() == b""


def test_revocation_requires_client_authentication(client: FlaskClient, portal: Portal, citizen: Citizen) -> None:
    body = tokens(client, portal, citizen)
    response = client.post("/revoke", data={"token": body["refresh_token"], "client_id": portal.client_id})
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_client"
    assert refresh(client, portal, body["refresh_token"]).status_code == 200


def test_a_missing_token_or_an_unknown_hint_is_an_error(client: FlaskClient, portal: Portal) -> None:
    assert post_as(client, portal, "/revoke").get_json()["error"] == "invalid_request"
    response = revoke(client, portal, "x", token_type_hint="id_token")
    assert response.get_json()["error"] == "unsupported_token_type"


def test_a_public_client_revokes_its_own_tokens(app: Flask, client: FlaskClient, citizen: Citizen) -> None:
    public = register_portal(app, name="Ứng dụng", first_party=True, token_endpoint_auth_method="none")
    body = tokens(client, public, citizen)
    assert revoke(client, public, body["refresh_token"]).status_code == 200
    assert refresh(client, public, body["refresh_token"]).status_code == 400
    assert userinfo(client, body["access_token"]).status_code == 401


def test_revocation_accepts_only_post(client: FlaskClient) -> None:
    assert client.get("/revoke?token=x").status_code == 405


@pytest.mark.parametrize("path", ["/revoke", "/introspect"])
def test_a_repeated_parameter_is_refused_and_revokes_nothing(
    client: FlaskClient, portal: Portal, citizen: Citizen, path: str
) -> None:
    """RFC 6749 §3.1 (RFC 7009 §2.1, RFC 7662 §2.1 build on it): a parameter MUST NOT be included twice."""
    body = tokens(client, portal, citizen)
    pairs = [("token", body["refresh_token"]), ("token", body["access_token"])]
    form = "application/x-www-form-urlencoded"
    response = client.post(path, data=urlencode(pairs), content_type=form, headers=portal.basic_auth())
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_request"
    assert userinfo(client, body["access_token"]).status_code == 200
    assert refresh(client, portal, body["refresh_token"]).status_code == 200
