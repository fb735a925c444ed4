"""The client credentials grant: only for confidential portals an administrator allowed it; no citizen,
so no refresh token, no ID token and nothing at userinfo (RFC 6749 §4.4; ASVS 10.4.4, 10.4.11)."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from identity.pin import is_pin_shaped
from tests.idp.conftest import Portal, register_portal
from tests.idp.flows import introspect, post_as, suspend_portal, userinfo, verify_like_a_relying_party


@pytest.fixture
def backend(app: Flask) -> Portal:
    return register_portal(
        app,
        name="Hệ thống tra cứu hồ sơ",
        redirect_uris=[],
        scopes=["openid", "profile"],
        grant_types=["client_credentials"],
    )


def test_a_backend_gets_an_access_token_for_itself(client: FlaskClient, backend: Portal, settings) -> None:
    response = post_as(client, backend, "/token", grant_type="client_credentials", scope="profile")
    assert response.status_code == 200, response.get_json()
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert "refresh_token" not in body
    assert "id_token" not in body
    _, claims = verify_like_a_relying_party(client, body["access_token"], algorithms=[settings.access_token_alg])
    assert claims["sub"] == claims["client_id"] == backend.client_id
    assert "auth_time" not in claims
    assert introspect(client, backend, body["access_token"])["active"] is True


def test_its_token_releases_no_citizen_data_at_userinfo(client: FlaskClient, backend: Portal) -> None:
    body = post_as(client, backend, "/token", grant_type="client_credentials", scope="openid profile").get_json()
    response = userinfo(client, body["access_token"])
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]
    assert "name" not in response.get_json()


def test_scopes_beyond_the_allowed_ones_are_not_granted(client: FlaskClient, backend: Portal) -> None:
    body = post_as(client, backend, "/token", grant_type="client_credentials", scope="profile pin address").get_json()
    assert body["scope"] == "profile"


def test_a_portal_not_allowed_the_grant_is_refused(client: FlaskClient, portal: Portal) -> None:
    response = post_as(client, portal, "/token", grant_type="client_credentials")
    assert response.status_code == 400
    assert response.get_json()["error"] == "unauthorized_client"


def test_a_public_client_cannot_use_it(app: Flask, client: FlaskClient) -> None:
    public = register_portal(app, name="Ứng dụng", token_endpoint_auth_method="none")
    response = client.post("/token", data={"grant_type": "client_credentials", "client_id": public.client_id})
    assert response.get_json()["error"] in ("invalid_client", "unauthorized_client")
    assert "access_token" not in response.get_json()


def test_a_wrong_secret_or_a_suspended_backend_gets_nothing(app: Flask, client: FlaskClient, backend: Portal) -> None:
    wrong = Portal(backend.client_id, "wrong")
    response = client.post("/token", data={"grant_type": "client_credentials"}, headers=wrong.basic_auth())
    assert (response.status_code, response.get_json()["error"]) == (401, "invalid_client")
    suspend_portal(app, backend)
    response = post_as(client, backend, "/token", grant_type="client_credentials")
    assert (response.status_code, response.get_json()["error"]) == (401, "invalid_client")


def test_a_client_id_can_never_pass_for_a_citizen(app: Flask, backend: Portal) -> None:
    """RFC 9700 §4.15 (R23): client_ids are chosen by the provider, never PIN-shaped, and a client's
    ``sub`` cannot take the shape of a citizen's pairwise ``sub`` (43 base64url characters)."""
    for portal in (backend, register_portal(app, name="Cổng khác")):
        assert not is_pin_shaped(portal.client_id)
        assert len(portal.client_id) != 43
