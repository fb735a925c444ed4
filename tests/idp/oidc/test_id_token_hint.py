"""id_token_hint: a genuine hint selects the citizen; forged ones are refused (SECURITY.md V8, V9)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from flask import Flask
from flask.testing import FlaskClient

from .conftest import Citizen, Portal, authorize, exchange, make_citizen, register_portal


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _forge(header: dict, claims: dict, secret: bytes | None) -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = _b64(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()) if secret else ""
    return f"{signing_input}.{signature}"


def _signed_in_id_token(client: FlaskClient, portal: Portal, citizen: Citizen) -> str:
    query, verifier = authorize(client, portal, citizen)
    return exchange(client, portal, query["code"], verifier).get_json()["id_token"]


def _claims_of(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_a_genuine_hint_of_the_signed_in_citizen_needs_no_interaction(
    client: FlaskClient, portal: Portal, citizen: Citizen
) -> None:
    hint = _signed_in_id_token(client, portal, citizen)
    query, _ = authorize(client, portal, None, prompt="none", id_token_hint=hint)
    assert "code" in query


def test_alg_none_hint_is_refused(client: FlaskClient, portal: Portal, citizen: Citizen, settings) -> None:
    claims = _claims_of(_signed_in_id_token(client, portal, citizen))
    token = _forge({"alg": "none"}, claims, None)
    query, _ = authorize(client, portal, None, prompt="none", id_token_hint=token)
    assert query["error"] == "invalid_request"
    assert query["iss"] == settings.issuer


def test_hmac_signed_with_our_public_key_is_refused(client: FlaskClient, portal: Portal, citizen: Citizen) -> None:
    genuine = _signed_in_id_token(client, portal, citizen)
    header = json.loads(base64.urlsafe_b64decode(genuine.split(".")[0] + "=="))
    jwks = client.get("/jwks.json").get_json()
    public = next(key for key in jwks["keys"] if key["kid"] == header["kid"])
    for secret in (json.dumps(public).encode(), public["n"].encode()):
        token = _forge({"alg": "HS256", "kid": header["kid"]}, _claims_of(genuine), secret)
        query, _ = authorize(client, portal, None, prompt="none", id_token_hint=token)
        assert query["error"] == "invalid_request"


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
