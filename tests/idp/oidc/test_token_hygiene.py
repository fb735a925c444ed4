"""The client-authenticating endpoints (token, revocation, introspection, PAR) read their input strictly:
a missing grant_type is invalid_request, a client_id naming another client than the one that
authenticated is invalid_client, and no Authorization header, however malformed, is a server error
(RFC 6749 §2.3, §5.2)."""

from __future__ import annotations

import base64

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.idp.conftest import Citizen, Portal, authorization_params, authorize, pkce_pair, register_portal
from tests.idp.flows import post_as

#: What each endpoint needs besides client authentication, so that only authentication is in question.
ENDPOINT_FORMS = {
    "/token": {"grant_type": "client_credentials"},
    "/revoke": {"token": "not-a-token"},
    "/introspect": {"token": "not-a-token"},
}
ENDPOINTS = [*ENDPOINT_FORMS, "/par"]

#: Portals that may use either grant, so that every endpoint can be reached with their credentials.
BOTH_GRANTS = ["authorization_code", "client_credentials"]


@pytest.fixture
def portal_a(app: Flask) -> Portal:
    return register_portal(app, name="Cổng A", first_party=True, grant_types=BOTH_GRANTS)


@pytest.fixture
def portal_b(app: Flask) -> Portal:
    return register_portal(app, name="Cổng B", first_party=True, grant_types=BOTH_GRANTS)


def endpoint_form(endpoint: str, portal: Portal) -> dict[str, str]:
    if endpoint == "/par":
        return authorization_params(portal, pkce_pair()[1])
    return dict(ENDPOINT_FORMS[endpoint])


def assert_invalid_client_401(response: TestResponse) -> None:
    assert response.status_code == 401, response.get_data(as_text=True)
    body = response.get_json()
    assert body["error"] == "invalid_client"
    assert not {"access_token", "request_uri", "active"} & set(body)
    assert response.headers["WWW-Authenticate"].startswith("Basic ")


# -- grant_type -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("form", [{}, {"grant_type": ""}], ids=["absent", "empty"])
def test_a_token_request_without_grant_type_is_invalid_request(
    client: FlaskClient, portal_a: Portal, form: dict[str, str]
) -> None:
    """RFC 6749 §5.2: a missing required parameter is invalid_request, not unsupported_grant_type."""
    for response in (
        client.post("/token", data=form, headers=portal_a.basic_auth()),
        client.post("/token", data=form),
    ):
        assert response.status_code == 400
        assert response.get_json()["error"] == "invalid_request"
        assert "access_token" not in response.get_json()


def test_an_unknown_grant_type_stays_unsupported(client: FlaskClient, portal_a: Portal) -> None:
    response = client.post("/token", data={"grant_type": "password"}, headers=portal_a.basic_auth())
    assert response.status_code == 400
    assert response.get_json()["error"] == "unsupported_grant_type"


# -- a client_id that names another client ---------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_client_id_naming_another_client_is_invalid_client(
    client: FlaskClient, portal_a: Portal, portal_b: Portal, endpoint: str
) -> None:
    """Authenticated as A, the request names B: neither A's nor B's answer, at any endpoint."""
    form = {**endpoint_form(endpoint, portal_a), "client_id": portal_b.client_id}
    assert_invalid_client_401(client.post(endpoint, data=form, headers=portal_a.basic_auth()))


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_client_id_naming_no_client_is_invalid_client(client: FlaskClient, portal_a: Portal, endpoint: str) -> None:
    form = {**endpoint_form(endpoint, portal_a), "client_id": "nobody"}
    assert_invalid_client_401(client.post(endpoint, data=form, headers=portal_a.basic_auth()))


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_client_id_with_nul_names_no_client(client: FlaskClient, portal_a: Portal, endpoint: str) -> None:
    """No client_id has one; PostgreSQL cannot even compare it, so it must never reach the database."""
    response = client.post(endpoint, data={**endpoint_form(endpoint, portal_a), "client_id": "a\x00b"})
    assert response.status_code in (400, 401), response.get_data(as_text=True)
    assert response.get_json()["error"] == "invalid_client"


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_client_id_naming_the_authenticated_client_is_accepted(
    client: FlaskClient, portal_a: Portal, endpoint: str
) -> None:
    form = {**endpoint_form(endpoint, portal_a), "client_id": portal_a.client_id}
    assert client.post(endpoint, data=form, headers=portal_a.basic_auth()).status_code in (200, 201)


def test_a_client_id_in_the_query_is_held_to_the_same_rule(
    client: FlaskClient, portal_a: Portal, portal_b: Portal
) -> None:
    response = client.post(
        f"/token?client_id={portal_b.client_id}", data=ENDPOINT_FORMS["/token"], headers=portal_a.basic_auth()
    )
    assert_invalid_client_401(response)


def test_a_code_is_not_exchanged_under_another_client_id(
    client: FlaskClient, portal_a: Portal, portal_b: Portal, citizen: Citizen
) -> None:
    """Neither portal's code yields tokens when A authenticates and the body names B; the refusal spends
    nothing, so A's code still works for A."""
    codes = {}
    for portal in (portal_a, portal_b):
        query, verifier = authorize(client, portal, citizen)
        codes[portal.client_id] = {
            "grant_type": "authorization_code",
            "code": query["code"],
            "redirect_uri": portal.redirect_uri,
            "code_verifier": verifier,
        }
    for form in codes.values():
        response = client.post("/token", data={**form, "client_id": portal_b.client_id}, headers=portal_a.basic_auth())
        assert_invalid_client_401(response)
    own = client.post("/token", data=codes[portal_a.client_id], headers=portal_a.basic_auth())
    assert own.status_code == 200, own.get_json()


def test_a_client_assertion_with_another_client_id_is_invalid_client(
    app: Flask, client: FlaskClient, portal_b: Portal
) -> None:
    signer = register_portal(
        app,
        name="Cổng ký khóa",
        first_party=True,
        grant_types=["client_credentials"],
        token_endpoint_auth_method="private_key_jwt",
    )
    auth, _ = signer.credentials("/token")
    response = client.post("/token", data={**auth, **ENDPOINT_FORMS["/token"], "client_id": portal_b.client_id})
    assert response.status_code == 401, response.get_json()
    assert response.get_json()["error"] == "invalid_client"
    auth, _ = signer.credentials("/token")
    response = client.post("/token", data={**auth, **ENDPOINT_FORMS["/token"], "client_id": signer.client_id})
    assert response.status_code == 200, response.get_json()


def test_client_secret_post_is_identified_by_its_body_client_id(app: Flask, client: FlaskClient) -> None:
    poster = register_portal(
        app,
        name="Cổng POST",
        first_party=True,
        grant_types=BOTH_GRANTS,
        token_endpoint_auth_method="client_secret_post",
    )
    for endpoint in ENDPOINTS:
        response = post_as(client, poster, endpoint, **endpoint_form(endpoint, poster))
        assert response.status_code in (200, 201), (endpoint, response.get_json())


# -- malformed HTTP Basic credentials ---------------------------------------------------------------------


def basic(raw: bytes) -> str:
    return "Basic " + base64.b64encode(raw).decode()


MALFORMED_BASIC = {
    "not UTF-8": basic(b"\xff\xfe:\xff"),
    "client_id not UTF-8": basic(b"\xc3(:secret"),
    "not base64": "Basic !!!not*base64!!!",
    "not ASCII": "Basic \xe9t\xe9",
    "no colon": basic(b"just-a-client-id"),
    "empty parts": basic(b":"),
    "empty secret": basic(b"client:"),
    "NUL in client_id": basic(b"a\x00b:secret"),
    "no credentials": "Basic",
    "scheme only with space": "Basic ",
}


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("authorization", MALFORMED_BASIC.values(), ids=MALFORMED_BASIC.keys())
def test_malformed_basic_credentials_are_invalid_client(
    client: FlaskClient, portal_a: Portal, endpoint: str, authorization: str
) -> None:
    response = client.post(endpoint, data=endpoint_form(endpoint, portal_a), headers={"Authorization": authorization})
    assert_invalid_client_401(response)
