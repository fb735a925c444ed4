"""Consent: asked once per portal, citizen and scope set, remembered, asked again for new scopes and on
prompt=consent, never for first-party portals; denial and forgery change nothing (OIDC Core 3.1.2.4;
ASVS 10.7.1-10.7.2, 3.5.1; RFC 9207)."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.idp.conftest import Citizen, Portal, answer_consent, csrf_token, make_citizen, query_of, register_portal
from tests.idp.flows import is_portal_redirect, sign_in_directly, start


@pytest.fixture
def third_party(app: Flask) -> Portal:
    return register_portal(app, name="Cổng Bảo hiểm xã hội", scopes=["openid", "profile", "address"])


def asks_consent(response: TestResponse) -> bool:
    return response.status_code in (302, 303) and "/consent" in response.headers["Location"]


def consent_then_code(client: FlaskClient, portal: Portal, response: TestResponse) -> dict[str, str]:
    assert asks_consent(response), response.headers.get("Location")
    resumed = client.get(answer_consent(client, response.headers["Location"]))
    assert is_portal_redirect(resumed, portal)
    return query_of(resumed.headers["Location"])


def test_consent_is_asked_once_then_remembered(client: FlaskClient, third_party: Portal, citizen: Citizen) -> None:
    sign_in_directly(client, citizen)
    assert "code" in consent_then_code(client, third_party, start(client, third_party, scope="openid profile"))
    again = start(client, third_party, scope="openid profile")
    assert is_portal_redirect(again, third_party)
    fewer = start(client, third_party, scope="openid")
    assert is_portal_redirect(fewer, third_party)
    silent = start(client, third_party, scope="openid profile", prompt="none")
    assert "code" in query_of(silent.headers["Location"])


def test_new_scopes_are_asked_for_again(client: FlaskClient, third_party: Portal, citizen: Citizen) -> None:
    sign_in_directly(client, citizen)
    consent_then_code(client, third_party, start(client, third_party, scope="openid"))
    wider = start(client, third_party, scope="openid profile address")
    assert asks_consent(wider)
    consent_then_code(client, third_party, wider)
    assert is_portal_redirect(start(client, third_party, scope="openid address"), third_party)


def test_prompt_consent_asks_again(client: FlaskClient, third_party: Portal, citizen: Citizen) -> None:
    sign_in_directly(client, citizen)
    consent_then_code(client, third_party, start(client, third_party))
    assert asks_consent(start(client, third_party, prompt="consent"))


def test_consent_belongs_to_one_portal_and_one_citizen(
    app: Flask, client: FlaskClient, third_party: Portal, citizen: Citizen
) -> None:
    other_portal = register_portal(app, name="Cổng Thuế", scopes=["openid", "profile"])
    sign_in_directly(client, citizen)
    consent_then_code(client, third_party, start(client, third_party))
    assert asks_consent(start(client, other_portal))
    sign_in_directly(client, make_citizen(app, full_name="Phạm Văn Cường", birth_date="1969-09-09", sex="male"))
    assert asks_consent(start(client, third_party))


def test_first_party_portals_never_ask(client: FlaskClient, portal: Portal, citizen: Citizen) -> None:
    sign_in_directly(client, citizen)
    for prompt in (None, "consent"):
        assert is_portal_redirect(start(client, portal, prompt=prompt), portal)


def test_denying_redirects_access_denied_with_iss_and_remembers_nothing(
    client: FlaskClient, third_party: Portal, citizen: Citizen, settings
) -> None:
    sign_in_directly(client, citizen)
    first = start(client, third_party, state="deny-me")
    html = client.get(first.headers["Location"]).get_data(as_text=True)
    interaction = re.search(r'name="interaction" type="hidden" value="([^"]*)"', html).group(1)
    denied = client.post("/consent", data={"csrf_token": csrf_token(html), "interaction": interaction, "deny": "x"})
    assert denied.status_code == 303
    assert is_portal_redirect(denied, third_party)
    query = query_of(denied.headers["Location"])
    assert (query["error"], query["state"], query["iss"]) == ("access_denied", "deny-me", settings.issuer)
    assert "code" not in query
    assert asks_consent(start(client, third_party))
    assert query_of(start(client, third_party, prompt="none").headers["Location"])["error"] == "consent_required"


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_a_consent_post_without_a_valid_csrf_token_changes_nothing(
    client: FlaskClient, third_party: Portal, citizen: Citizen, token: str | None
) -> None:
    sign_in_directly(client, citizen)
    first = start(client, third_party)
    html = client.get(first.headers["Location"]).get_data(as_text=True)
    interaction = re.search(r'name="interaction" type="hidden" value="([^"]*)"', html).group(1)
    form = {"interaction": interaction, "allow": "Allow"}
    if token is not None:
        form["csrf_token"] = token
    refused = client.post("/consent", data=form)
    assert refused.status_code == 400
    assert "Location" not in refused.headers
    assert query_of(start(client, third_party, prompt="none").headers["Location"])["error"] == "consent_required"


def test_the_consent_page_names_the_portal_and_only_the_data_it_may_receive(
    client: FlaskClient, third_party: Portal, citizen: Citizen
) -> None:
    sign_in_directly(client, citizen)
    response = start(client, third_party, scope="openid profile pin", ui_locales="en")
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Cổng Bảo hiểm xã hội" in html
    assert "full name" in html
    assert "Your personal identification number" not in html  # pin was asked for but is not allowed


def test_the_consent_page_needs_a_session_and_a_live_request(
    client: FlaskClient, third_party: Portal, citizen: Citizen
) -> None:
    assert client.get("/consent?interaction=made-up").status_code == 400
    sign_in_directly(client, citizen)
    assert client.get("/consent?interaction=made-up").status_code == 400
    assert client.get("/consent").status_code == 400
