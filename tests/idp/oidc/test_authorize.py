"""The authorization endpoint under attack: redirect URIs, response types, request objects, duplicated
parameters, prompt=none, nonce reuse, suspended parties, CORS (RFC 9700 §2.1, §4.1, §4.11; RFC 9207)."""

from __future__ import annotations

import re
import secrets
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.idp.conftest import (
    REDIRECT_URI,
    Citizen,
    Portal,
    authorization_params,
    authorize,
    csrf_token,
    pkce_pair,
    query_of,
    register_portal,
)
from tests.idp.flows import (
    change_account,
    change_identity,
    is_portal_redirect,
    post_as,
    sign_in_directly,
    start,
    suspend_portal,
    tokens,
)

TAMPERED_REDIRECT_URIS = {
    "trailing slash": REDIRECT_URI + "/",
    "added query": REDIRECT_URI + "?next=https://evil.example",
    "upper-case scheme": REDIRECT_URI.replace("http://", "HTTP://"),
    "upper-case path": REDIRECT_URI.replace("/callback", "/CALLBACK"),
    "other port": REDIRECT_URI.replace(":8765", ":8766"),
    "no port": REDIRECT_URI.replace(":8765", ""),
    "https instead of http": REDIRECT_URI.replace("http://", "https://"),
    "percent-encoded path": REDIRECT_URI.replace("/callback", "/%63allback"),
    "fragment": REDIRECT_URI + "#x",
    "userinfo before host": "http://127.0.0.1:8765@evil.example/callback",
    "dot segment": "http://127.0.0.1:8765/x/../callback",
    "unregistered": "https://evil.example/callback",
    "localhost for 127.0.0.1": "http://localhost:8765/callback",
}


def assert_error_page(response: TestResponse) -> None:
    """RFC 6749 §4.1.2.1 / RFC 9700 §4.11.2: shown to the citizen, never redirected."""
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert response.mimetype == "text/html"


@pytest.mark.parametrize("redirect_uri", TAMPERED_REDIRECT_URIS.values(), ids=TAMPERED_REDIRECT_URIS.keys())
def test_a_redirect_uri_that_is_not_registered_exactly_gives_an_error_page(
    client: FlaskClient, portal: Portal, citizen: Citizen, redirect_uri: str
) -> None:
    sign_in_directly(client, citizen)  # even a signed-in citizen is never sent anywhere unregistered
    assert_error_page(start(client, portal, redirect_uri=redirect_uri))
    assert_error_page(start(client, portal, redirect_uri=redirect_uri, response_type="token"))
    assert_error_page(start(client, portal, redirect_uri=redirect_uri, code_challenge_method="plain"))


def test_host_case_is_not_normalised(app: Flask, client: FlaskClient) -> None:
    https_portal = register_portal(app, redirect_uris=["https://dichvu.hanoi.gov.vn/cb"], first_party=True)
    assert_error_page(start(client, https_portal, redirect_uri="https://DICHVU.hanoi.gov.vn/cb"))
    assert_error_page(start(client, https_portal, redirect_uri="https://dichvu.hanoi.gov.vn./cb"))


def test_a_missing_redirect_uri_gives_an_error_page_even_with_one_registered(
    client: FlaskClient, portal: Portal
) -> None:
    assert_error_page(start(client, portal, redirect_uri=None))


def test_a_missing_redirect_uri_with_two_registered_gives_an_error_page(app: Flask, client: FlaskClient) -> None:
    two = register_portal(app, redirect_uris=[REDIRECT_URI, "http://127.0.0.1:8765/other"], first_party=True)
    assert_error_page(start(client, two, redirect_uri=None))


def test_a_redirect_uri_registered_for_another_portal_gives_an_error_page(app: Flask, client: FlaskClient) -> None:
    mine = register_portal(app, first_party=True)
    register_portal(app, name="Cổng khác", redirect_uris=["http://127.0.0.1:9999/cb"])
    assert_error_page(start(client, mine, redirect_uri="http://127.0.0.1:9999/cb"))


def test_an_unknown_or_missing_client_id_gives_an_error_page(client: FlaskClient, portal: Portal) -> None:
    assert_error_page(start(client, portal, client_id="no-such-client"))
    assert_error_page(start(client, portal, client_id=None))


def test_a_suspended_portal_gets_an_error_page_and_no_code(
    app: Flask, client: FlaskClient, portal: Portal, citizen: Citizen
) -> None:
    sign_in_directly(client, citizen)
    suspend_portal(app, portal)
    assert_error_page(start(client, portal))
    assert_error_page(start(client, portal, prompt="none"))


@pytest.mark.parametrize("response_type", ["token", "id_token", "code id_token", "code token", "id_token token", ""])
def test_only_response_type_code_is_offered(
    client: FlaskClient, portal: Portal, citizen: Citizen, settings, response_type: str
) -> None:
    sign_in_directly(client, citizen)
    response = start(client, portal, response_type=response_type, state="s-1")
    assert is_portal_redirect(response, portal)
    query = query_of(response.headers["Location"])
    assert query["error"] in ("unsupported_response_type", "invalid_request")
    assert query["iss"] == settings.issuer
    assert query["state"] == "s-1"
    assert "code" not in query
    assert "access_token" not in response.headers["Location"]


def test_request_objects_are_refused_not_ignored(client: FlaskClient, portal: Portal, settings) -> None:
    response = start(client, portal, request="eyJhbGciOiJub25lIn0.e30.", state="s-2")
    assert is_portal_redirect(response, portal)
    query = query_of(response.headers["Location"])
    assert (query["error"], query["state"], query["iss"]) == ("request_not_supported", "s-2", settings.issuer)


def test_request_uri_other_than_par_is_refused(client: FlaskClient, portal: Portal, settings) -> None:
    response = start(client, portal, request_uri="https://portal.example/request.jwt", state="s-3")
    assert is_portal_redirect(response, portal)
    query = query_of(response.headers["Location"])
    assert (query["error"], query["state"], query["iss"]) == ("request_uri_not_supported", "s-3", settings.issuer)


@pytest.mark.parametrize(
    "name",
    [
        "response_type",
        "scope",
        "state",
        "nonce",
        "prompt",
        "max_age",
        "claims",
        "login_hint",
        "code_challenge",
        "code_challenge_method",
        "acr_values",
    ],
)
def test_a_repeated_parameter_is_refused(client: FlaskClient, portal: Portal, citizen: Citizen, name: str) -> None:
    """RFC 6749 §3.1: request parameters MUST NOT be included more than once."""
    sign_in_directly(client, citizen)
    _verifier, challenge = pkce_pair()
    values = {
        "response_type": "code",
        "client_id": portal.client_id,
        "redirect_uri": portal.redirect_uri,
        "scope": "openid",
        "state": "st",
        "nonce": secrets.token_urlsafe(8),
        "prompt": "login",
        "max_age": "600",
        "claims": "{}",
        "login_hint": citizen.pin,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "acr_values": "urn:vn:eid:acr:pwd",
    }
    pairs = [*values.items(), (name, values[name])]
    response = client.get("/authorize?" + urlencode(pairs))
    assert is_portal_redirect(response, portal)
    assert query_of(response.headers["Location"])["error"] == "invalid_request"


@pytest.mark.parametrize("name", ["nonce", "state", "scope", "code_challenge", "login_hint", "acr_values", "claims"])
def test_a_nul_character_in_a_parameter_is_refused_not_a_server_error(
    client: FlaskClient, portal: Portal, citizen: Citizen, name: str
) -> None:
    """PostgreSQL cannot even compare text holding NUL: such a value must be refused before any query."""
    sign_in_directly(client, citizen)
    response = start(client, portal, **{name: "a\x00b"})
    assert is_portal_redirect(response, portal), response.status_code
    assert query_of(response.headers["Location"])["error"] == "invalid_request"


def test_a_nul_character_in_a_pushed_request_is_refused(client: FlaskClient, portal: Portal) -> None:
    _verifier, challenge = pkce_pair()
    form = {**authorization_params(portal, challenge), "nonce": "a\x00b"}
    response = post_as(client, portal, "/par", **form)
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_request"


@pytest.mark.parametrize("name", ["redirect_uri", "client_id"])
def test_a_repeated_client_id_or_redirect_uri_gives_an_error_page(
    client: FlaskClient, portal: Portal, name: str
) -> None:
    _verifier, challenge = pkce_pair()
    pairs = [
        ("response_type", "code"),
        ("client_id", portal.client_id),
        ("redirect_uri", portal.redirect_uri),
        ("scope", "openid"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
        (name, "https://evil.example/cb" if name == "redirect_uri" else "another-client"),
    ]
    assert_error_page(client.get("/authorize?" + urlencode(pairs)))


def test_every_redirect_carries_iss_and_the_state_unchanged(
    client: FlaskClient, portal: Portal, citizen: Citizen, settings
) -> None:
    state = "ä ö/?&=#+%20" + "x" * 500
    success, _ = authorize(client, portal, citizen, state=state)
    failure, _ = authorize(client, portal, citizen, state=state, scope="openid", code_challenge_method="plain")
    assert success["state"] == failure["state"] == state
    assert success["iss"] == failure["iss"] == settings.issuer
    assert "code" in success
    assert failure["error"] == "invalid_request"


def test_without_state_the_response_has_none(client: FlaskClient, portal: Portal, citizen: Citizen) -> None:
    query, _ = authorize(client, portal, citizen, state=None)
    assert "code" in query
    assert "state" not in query


def test_unknown_parameters_are_ignored(client: FlaskClient, portal: Portal, citizen: Citizen) -> None:
    query, _ = authorize(client, portal, citizen, foo="bar", display="page")
    assert "code" in query


def test_a_post_to_authorize_is_answered_with_303(
    client: FlaskClient, portal: Portal, citizen: Citizen, settings
) -> None:
    """RFC 9700 §4.12: a POST is never answered 307; both success and error use 303."""
    sign_in_directly(client, citizen)
    verifier_and_challenge = pkce_pair()
    form = {
        "response_type": "code",
        "client_id": portal.client_id,
        "redirect_uri": portal.redirect_uri,
        "scope": "openid",
        "state": "p",
        "nonce": secrets.token_urlsafe(8),
        "code_challenge": verifier_and_challenge[1],
        "code_challenge_method": "S256",
    }
    success = client.post("/authorize", data=form)
    failure = client.post("/authorize", data={**form, "response_type": "token"})
    assert success.status_code == failure.status_code == 303
    assert "code" in query_of(success.headers["Location"])
    assert query_of(failure.headers["Location"])["iss"] == settings.issuer


def test_prompt_none_without_a_session_answers_login_required(client: FlaskClient, portal: Portal, settings) -> None:
    response = start(client, portal, prompt="none", state="pn")
    assert is_portal_redirect(response, portal)
    query = query_of(response.headers["Location"])
    assert (query["error"], query["state"], query["iss"]) == ("login_required", "pn", settings.issuer)


def test_prompt_none_with_a_session_but_no_consent_answers_consent_required(
    app: Flask, client: FlaskClient, citizen: Citizen, settings
) -> None:
    third_party = register_portal(app, name="Cổng bên thứ ba")
    sign_in_directly(client, citizen)
    response = start(client, third_party, prompt="none", state="pc")
    query = query_of(response.headers["Location"])
    assert (query["error"], query["state"], query["iss"]) == ("consent_required", "pc", settings.issuer)


def test_prompt_none_with_a_session_needs_no_page(client: FlaskClient, portal: Portal, citizen: Citizen) -> None:
    sign_in_directly(client, citizen)
    response = start(client, portal, prompt="none")
    assert is_portal_redirect(response, portal)
    assert "code" in query_of(response.headers["Location"])


@pytest.mark.parametrize("prompt", ["none login", "none consent", "bogus"])
def test_prompt_none_cannot_be_combined_and_unknown_prompts_are_refused(
    client: FlaskClient, portal: Portal, citizen: Citizen, prompt: str
) -> None:
    sign_in_directly(client, citizen)
    response = start(client, portal, prompt=prompt)
    assert query_of(response.headers["Location"])["error"] == "invalid_request"


@pytest.mark.parametrize("change", ["suspend account", "revoke account", "suspend person", "revoke person"])
def test_no_code_for_a_suspended_or_revoked_identity(
    app: Flask, client: FlaskClient, portal: Portal, citizen: Citizen, change: str
) -> None:
    sign_in_directly(client, citizen)
    transition, target = change.split()
    (change_account if target == "account" else change_identity)(app, citizen, transition)
    query = query_of(start(client, portal, prompt="none").headers["Location"])
    assert query["error"] == "login_required"
    assert "/login" in start(client, portal).headers["Location"]


def test_a_reused_nonce_is_refused(client: FlaskClient, portal: Portal, citizen: Citizen) -> None:
    """RFC 9700 §2.1.1: constant nonces are detected and refused."""
    first, _ = authorize(client, portal, citizen, nonce="the-same-nonce")
    again, _ = authorize(client, portal, citizen, nonce="the-same-nonce")
    assert "code" in first
    assert again["error"] == "invalid_request"


def test_the_same_nonce_at_another_portal_is_not_a_reuse(
    app: Flask, client: FlaskClient, portal: Portal, citizen: Citizen
) -> None:
    other = register_portal(app, name="Cổng khác", first_party=True)
    assert "code" in authorize(client, portal, citizen, nonce="n-shared")[0]
    assert "code" in authorize(client, other, citizen, nonce="n-shared")[0]


def test_scopes_the_portal_is_not_allowed_are_not_granted(
    client: FlaskClient, portal: Portal, citizen: Citizen
) -> None:
    body = tokens(client, portal, citizen, scope="openid profile pin citizen_card email")
    assert body["scope"].split() == ["openid", "profile"]


@pytest.mark.parametrize("mode", ["fragment", "form_post", "query.jwt"])
def test_only_the_query_response_mode_is_accepted(
    client: FlaskClient, portal: Portal, citizen: Citizen, mode: str
) -> None:
    sign_in_directly(client, citizen)
    response = start(client, portal, response_mode=mode)
    assert is_portal_redirect(response, portal)
    assert "#" not in response.headers["Location"]
    assert query_of(response.headers["Location"])["error"] == "invalid_request"


@pytest.mark.parametrize("path", ["/authorize", "/authorize/continue"])
def test_the_authorization_endpoint_does_not_speak_cors(client: FlaskClient, portal: Portal, path: str) -> None:
    """RFC 9700 §2.6: CORS MUST NOT be supported at the authorization endpoint."""
    origin = {"Origin": "https://evil.example"}
    preflight = client.options(path, headers={**origin, "Access-Control-Request-Method": "GET"})
    simple = start(client, portal) if path == "/authorize" else client.get(path, headers=origin)
    for response in (preflight, simple, client.get(path, headers=origin)):
        assert not any(name.lower().startswith("access-control-") for name, _value in response.headers.items())


def test_max_age_must_be_a_whole_number(client: FlaskClient, portal: Portal, citizen: Citizen) -> None:
    sign_in_directly(client, citizen)
    for value in ("-1", "1.5", "١٢", "abc"):
        assert query_of(start(client, portal, max_age=value).headers["Location"])["error"] == "invalid_request"


def test_an_expired_interaction_cannot_be_resumed(client: FlaskClient) -> None:
    response = client.get("/authorize/continue?interaction=made-up")
    assert_error_page(response)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("redirect_uri", "https://evil.example/ngõ"),
        ("redirect_uri", 'https://evil.example/"quoted"'),
        ("redirect_uri", "https://evil.example/back\\slash"),
        ("response_type", 'code"'),
        ("response_type", "mã"),
        ("prompt", "đăng_nhập"),
        ("prompt", 'login"'),
        ("scope", "openid hồ_sơ"),
        ("code_challenge_method", "S256é"),
    ],
)
def test_characters_that_no_error_message_may_carry_still_get_a_clean_refusal(
    client: FlaskClient, portal: Portal, citizen: Citizen, name: str, value: str
) -> None:
    """RFC 6749 §4.1.2.1 limits error_description to printable ASCII without quotes and backslashes;
    echoing such input into a description must not turn a refusal into a server error."""
    sign_in_directly(client, citizen)
    response = start(client, portal, **{name: value})
    assert response.status_code in (302, 400), response.get_data(as_text=True)
    if response.status_code == 302:
        assert "code" not in query_of(response.headers["Location"]) or name == "scope"


def test_no_step_of_a_posted_flow_answers_307_or_308(app: Flask, client: FlaskClient, citizen: Citizen) -> None:
    """RFC 9700 §4.12: the authorization POST, the sign-in POST and the consent POST all answer 303."""
    third_party = register_portal(app, name="Cổng bên thứ ba")
    _verifier, challenge = pkce_pair()
    form = {
        "response_type": "code",
        "client_id": third_party.client_id,
        "redirect_uri": third_party.redirect_uri,
        "scope": "openid profile",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    statuses = []
    response = client.post("/authorize", data=form)
    while True:
        statuses.append(response.status_code)
        location = response.headers.get("Location", "")
        if response.status_code not in (302, 303) or location.startswith(third_party.redirect_uri):
            break
        page = client.get(location)
        statuses.append(page.status_code)
        html = page.get_data(as_text=True)
        interaction = re.search(r'name="interaction" type="hidden" value="([^"]*)"', html)
        if "/login" in location:
            data = {"pin": citizen.pin, "password": citizen.password}
            response = client.post(
                "/login", data={"csrf_token": csrf_token(html), "interaction": interaction.group(1), **data}
            )
        elif "/consent" in location:
            data = {"csrf_token": csrf_token(html), "interaction": interaction.group(1), "allow": "Allow"}
            response = client.post("/consent", data=data)
        else:
            response = page
    assert "code" in query_of(response.headers["Location"])
    assert 303 in statuses
    assert not {307, 308} & set(statuses)


def test_an_oversized_nonce_is_refused(client: FlaskClient, portal: Portal, citizen: Citizen) -> None:
    query, _ = authorize(client, portal, citizen, nonce="n" * 513)
    assert query["error"] == "invalid_request"
    assert "code" not in query
