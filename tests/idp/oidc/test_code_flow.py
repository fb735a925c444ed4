"""The code flow from authorization request to tokens, through the Flask test client."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.idp.conftest import Citizen, Portal, authorize, exchange


def test_code_flow_issues_tokens_with_iss_and_state(
    client: FlaskClient, portal: Portal, citizen: Citizen, settings
) -> None:
    query, verifier = authorize(client, portal, citizen)
    assert query["iss"] == settings.issuer
    assert "code" in query
    response = exchange(client, portal, query["code"], verifier)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["token_type"] == "Bearer"
    assert {"access_token", "id_token", "refresh_token"} <= set(body)
    assert response.headers["Cache-Control"] == "no-store"
