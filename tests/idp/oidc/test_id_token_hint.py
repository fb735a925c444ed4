"""id_token_hint: a genuine hint selects the citizen; forged ones are refused (SECURITY.md V8, V9)."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.idp.conftest import Citizen, Portal, authorize, exchange, make_citizen, register_portal
from tests.idp.flows import forgeries_of


def _signed_in_id_token(client: FlaskClient, portal: Portal, citizen: Citizen) -> str:
    query, verifier = authorize(client, portal, citizen)
    return exchange(client, portal, query["code"], verifier).get_json()["id_token"]


def test_a_genuine_hint_of_the_signed_in_citizen_needs_no_interaction(
    client: FlaskClient, portal: Portal, citizen: Citizen
) -> None:
    hint = _signed_in_id_token(client, portal, citizen)
    query, _ = authorize(client, portal, None, prompt="none", id_token_hint=hint)
    assert "code" in query


def test_forged_hints_are_refused(client: FlaskClient, portal: Portal, citizen: Citizen, settings) -> None:
    """alg: none, and HMAC "signed" with our own public key (SECURITY.md V8, V9)."""
    for forged in forgeries_of(client, _signed_in_id_token(client, portal, citizen)):
        query, _ = authorize(client, portal, None, prompt="none", id_token_hint=forged)
        assert query["error"] == "invalid_request"
        assert query["iss"] == settings.issuer


def test_a_hint_issued_to_another_client_is_refused(
    app: Flask, client: FlaskClient, portal: Portal, citizen: Citizen
) -> None:
    other = register_portal(app, name="Cổng khác", first_party=True)
    hint = _signed_in_id_token(client, other, citizen)
    query, _ = authorize(client, portal, None, prompt="none", id_token_hint=hint)
    assert query["error"] == "invalid_request"


def test_a_hint_for_another_citizen_with_prompt_none_answers_login_required(
    app: Flask, client: FlaskClient, portal: Portal, citizen: Citizen
) -> None:
    other = make_citizen(app, full_name="Trần Văn Hùng", birth_date="1980-01-01", sex="male")
    hint_for_other = _signed_in_id_token(client, portal, other)
    authorize(client, portal, citizen, prompt="login")  # now the first citizen is signed in in this browser
    query, _ = authorize(client, portal, None, prompt="none", id_token_hint=hint_for_other)
    assert query["error"] == "login_required"
