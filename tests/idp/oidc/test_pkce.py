"""PKCE (RFC 7636) as required here: S256 only, for every client by default, never downgraded
(RFC 9700 §2.1.1, §4.8; ASVS 10.4.6; SECURITY.md §6.1 and decision 1)."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from idp.config import Settings
from tests.idp.conftest import Citizen, Portal, authorize, exchange, pkce_pair, query_of, register_portal
from tests.idp.flows import is_portal_redirect, sign_in_directly, start


def refused_at_authorization(
    client: FlaskClient, portal: Portal, settings: Settings, **params: str | None
) -> dict[str, str]:
    response = start(client, portal, **params)
    assert is_portal_redirect(response, portal)
    query = query_of(response.headers["Location"])
    assert "code" not in query
    assert query["error"] == "invalid_request"
    assert query["iss"] == settings.issuer
    return query


def test_a_request_without_pkce_is_refused(client: FlaskClient, portal: Portal, citizen: Citizen, settings) -> None:
    sign_in_directly(client, citizen)
    refused_at_authorization(client, portal, settings, code_challenge=None, code_challenge_method=None)


def test_a_method_without_a_challenge_is_refused(
    client: FlaskClient, portal: Portal, citizen: Citizen, settings
) -> None:
    sign_in_directly(client, citizen)
    refused_at_authorization(client, portal, settings, code_challenge=None)


def test_the_plain_method_is_refused(client: FlaskClient, portal: Portal, citizen: Citizen, settings) -> None:
    sign_in_directly(client, citizen)
    verifier, _ = pkce_pair()
    refused_at_authorization(client, portal, settings, challenge=verifier, code_challenge_method="plain")


def test_a_missing_method_is_refused_not_read_as_plain(
    client: FlaskClient, portal: Portal, citizen: Citizen, settings
) -> None:
    """RFC 7636 §4.3 would default to plain; SECURITY.md §6.1 says refuse (V14)."""
    sign_in_directly(client, citizen)
    verifier, _ = pkce_pair()
    refused_at_authorization(client, portal, settings, challenge=verifier, code_challenge_method=None)


@pytest.mark.parametrize("challenge", ["short", "x" * 129, "has space in it and is long enough to pass length 43"])
def test_a_malformed_challenge_is_refused(
    client: FlaskClient, portal: Portal, citizen: Citizen, settings, challenge: str
) -> None:
    sign_in_directly(client, citizen)
    refused_at_authorization(client, portal, settings, challenge=challenge)


def test_a_wrong_verifier_gets_no_tokens_and_spends_the_code(
    client: FlaskClient, portal: Portal, citizen: Citizen
) -> None:
    query, verifier = authorize(client, portal, citizen)
    wrong, _ = pkce_pair()
    refused = exchange(client, portal, query["code"], wrong)
    assert refused.status_code == 400
    assert refused.get_json()["error"] == "invalid_grant"
    assert "access_token" not in refused.get_json()
    # Whoever tried the code with a wrong verifier spent it: the intercepted code is worth nothing.
    assert exchange(client, portal, query["code"], verifier).get_json()["error"] == "invalid_grant"


@pytest.mark.parametrize("verifier", [None, "", "short"])
def test_a_missing_or_malformed_verifier_gets_no_tokens(
    client: FlaskClient, portal: Portal, citizen: Citizen, verifier: str | None
) -> None:
    query, _ = authorize(client, portal, citizen)
    data = {"grant_type": "authorization_code", "code": query["code"], "redirect_uri": portal.redirect_uri}
    if verifier is not None:
        data["code_verifier"] = verifier
    response = client.post("/token", data=data, headers=portal.basic_auth())
    assert response.status_code == 400
    assert response.get_json()["error"] in ("invalid_request", "invalid_grant")
    assert "access_token" not in response.get_json()


def test_the_verifier_itself_as_challenge_does_not_pass(client: FlaskClient, portal: Portal, citizen: Citizen) -> None:
    """A challenge equal to the verifier is what 'plain' would accept; with S256 it must fail."""
    verifier, _ = pkce_pair()
    sign_in_directly(client, citizen)
    response = start(client, portal, challenge=verifier)
    code = query_of(response.headers["Location"])["code"]
    assert exchange(client, portal, code, verifier).get_json()["error"] == "invalid_grant"


def test_a_verifier_without_a_challenge_is_a_downgrade_and_refused(
    app: Flask, client: FlaskClient, citizen: Citizen
) -> None:
    """RFC 9700 §4.8.2: a code_verifier is accepted only if a code_challenge was sent (R9)."""
    conformance = register_portal(app, name="Bộ kiểm thử", first_party=True, require_pkce=False)
    sign_in_directly(client, citizen)
    response = start(client, conformance, code_challenge=None, code_challenge_method=None)
    code = query_of(response.headers["Location"])["code"]
    verifier, _ = pkce_pair()
    refused = exchange(client, conformance, code, verifier)
    assert refused.status_code == 400
    assert refused.get_json()["error"] == "invalid_request"


def test_the_conformance_exception_works_without_pkce_and_still_refuses_plain(
    app: Flask, client: FlaskClient, citizen: Citizen, settings
) -> None:
    conformance = register_portal(app, name="Bộ kiểm thử", first_party=True, require_pkce=False)
    sign_in_directly(client, citizen)
    response = start(client, conformance, code_challenge=None, code_challenge_method=None)
    code = query_of(response.headers["Location"])["code"]
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": conformance.redirect_uri}
    assert client.post("/token", data=data, headers=conformance.basic_auth()).status_code == 200
    verifier, _ = pkce_pair()
    refused_at_authorization(client, conformance, settings, challenge=verifier, code_challenge_method="plain")
    # A challenge sent by a client without the obligation is still enforced (RFC 9700 §2.1.1, R8).
    query, _ = authorize(client, conformance, citizen)
    assert exchange(client, conformance, query["code"], pkce_pair()[0]).get_json()["error"] == "invalid_grant"


def test_a_public_client_must_send_the_verifier(app: Flask, client: FlaskClient, citizen: Citizen) -> None:
    public = register_portal(app, name="Ứng dụng di động", first_party=True, token_endpoint_auth_method="none")
    query, _verifier = authorize(client, public, citizen)
    without = {"grant_type": "authorization_code", "code": query["code"], "redirect_uri": public.redirect_uri}
    refused = client.post("/token", data={**without, "client_id": public.client_id})
    assert refused.status_code == 400
    assert "access_token" not in refused.get_json()


def test_a_public_client_with_the_right_verifier_gets_tokens(app: Flask, client: FlaskClient, citizen: Citizen) -> None:
    public = register_portal(app, name="Ứng dụng di động", first_party=True, token_endpoint_auth_method="none")
    query, verifier = authorize(client, public, citizen)
    response = exchange(client, public, query["code"], verifier)
    assert response.status_code == 200, response.get_json()
    assert "access_token" in response.get_json()


def test_a_challenge_used_before_is_refused_but_not_at_another_portal(
    app: Flask, client: FlaskClient, portal: Portal, citizen: Citizen, settings
) -> None:
    """RFC 9700 R10: constant PKCE challenges are detected and refused, like constant nonces."""
    sign_in_directly(client, citizen)
    _, challenge = pkce_pair()
    first = query_of(start(client, portal, challenge=challenge).headers["Location"])
    assert "code" in first
    refused_at_authorization(client, portal, settings, challenge=challenge)
    other = register_portal(app, name="Cổng khác", first_party=True)
    assert "code" in query_of(start(client, other, challenge=challenge).headers["Location"])
