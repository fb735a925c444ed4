"""The client-authenticating endpoints (token, revocation, introspection, PAR) read their input strictly:
a missing grant_type is invalid_request, a client_id naming another client than the one that
authenticated is invalid_client, and no Authorization header, however malformed, is a server error
(RFC 6749 §2.3, §5.2)."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.idp.conftest import Portal, register_portal

#: Portals that may use either grant, so that every endpoint can be reached with their credentials.
BOTH_GRANTS = ["authorization_code", "client_credentials"]


@pytest.fixture
def portal_a(app: Flask) -> Portal:
    return register_portal(app, name="Cổng A", first_party=True, grant_types=BOTH_GRANTS)


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
