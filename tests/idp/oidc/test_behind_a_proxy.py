"""Served behind a TLS-terminating reverse proxy (``IDP_TRUSTED_PROXIES``): the forwarded scheme, host
and client address are believed from that many proxies and from nobody else, and a request that
really is plain http is a clean refusal, never a server error."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from idp import context, create_app
from idp.config import ConfigError, load_settings
from idp.published_documents import DISCOVERY_PATH, JWKS_PATH, install
from tests.conftest import make_settings
from tests.idp.conftest import Citizen, Portal, make_citizen, register_portal
from tests.idp.flows import introspect, login_form, post_as, refresh, revoke, tokens, userinfo

PUBLIC = "https://id.example.vn"
#: Where the proxy sends what it received for PUBLIC: plain http, the public Host kept.
UPSTREAM = "http://id.example.vn"
CLIENT_ADDRESS = "203.0.113.7"
SPOOFED_ADDRESS = "198.51.100.66"
#: What the proxy adds to every request it passes on.
FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-For": CLIENT_ADDRESS}


class ThroughTheProxy(FlaskClient):
    """Requests as a proxy terminating TLS for PUBLIC hands them to the service."""

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:
        kwargs.setdefault("base_url", UPSTREAM)
        kwargs["headers"] = {**FORWARDED, **dict(kwargs.get("headers") or {})}
        return super().open(*args, **kwargs)


@pytest.fixture
def proxied(app: Flask, database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The service configured for one proxy in front, on the suite's database (``app`` migrates and empties it)."""
    application = create_app(make_settings(database_url, tmp_path, issuer=PUBLIC, trusted_proxies=1))
    application.test_client_class = ThroughTheProxy
    yield application
    context.engine(application).dispose()


def refused_sign_in_address(
    browser: FlaskClient, citizen: Citizen, caplog: pytest.LogCaptureFixture, **headers: str
) -> str:
    """The client address the service logs for a refused sign-in (ASVS 16.3.1)."""
    _html, token, _ = login_form(browser)
    with caplog.at_level(logging.WARNING, logger="idp.security"):
        response = browser.post(
            "/login", data={"csrf_token": token, "pin": citizen.pin, "password": "wrong password"}, headers=headers
        )
    assert response.status_code == 401
    record = next(r for r in caplog.records if r.name == "idp.security" and "sign-in refused" in r.getMessage())
    return str(record.args[-1])  # type: ignore[index]


# -- the setting --------------------------------------------------------------------------------------


def test_the_number_of_proxies_is_read_from_the_environment() -> None:
    assert load_settings({}).trusted_proxies == 0
    assert load_settings({"IDP_TRUSTED_PROXIES": "2"}).trusted_proxies == 2


@pytest.mark.parametrize("value", ["-1", "6"])
def test_an_implausible_number_of_proxies_is_refused(value: str) -> None:
    with pytest.raises(ConfigError, match="IDP_TRUSTED_PROXIES must be"):
        load_settings({"IDP_TRUSTED_PROXIES": value})


# -- behind one trusted proxy ---------------------------------------------------------------------------


def test_the_code_flow_works_end_to_end_through_the_proxy(proxied: Flask) -> None:
    portal = register_portal(proxied, first_party=True, scopes=["openid", "profile"])
    citizen = make_citizen(proxied)
    browser = proxied.test_client()
    body = tokens(browser, portal, citizen)
    assert userinfo(browser, body["access_token"]).status_code == 200
    assert introspect(browser, portal, body["access_token"])["iss"] == PUBLIC
    rotated = refresh(browser, portal, body["refresh_token"])
    assert rotated.status_code == 200, rotated.get_json()
    assert revoke(browser, portal, rotated.get_json()["refresh_token"]).status_code == 200


def test_private_key_jwt_is_addressed_to_the_public_token_endpoint(proxied: Flask) -> None:
    signer = register_portal(
        proxied,
        name="Cổng ký khóa",
        first_party=True,
        grant_types=["client_credentials"],
        token_endpoint_auth_method="private_key_jwt",
    )
    response = post_as(proxied.test_client(), signer, "/token", grant_type="client_credentials")
    assert response.status_code == 200, response.get_json()


def test_the_forwarded_client_address_is_the_one_logged(proxied: Flask, caplog: pytest.LogCaptureFixture) -> None:
    citizen = make_citizen(proxied)
    assert refused_sign_in_address(proxied.test_client(), citizen, caplog) == CLIENT_ADDRESS


def test_an_address_the_client_put_before_the_proxys_is_not_believed(
    proxied: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    """Only the last value, the one the trusted proxy wrote, is read; anything before it is the client's."""
    citizen = make_citizen(proxied)
    forwarded_for = f"{SPOOFED_ADDRESS}, {CLIENT_ADDRESS}"
    address = refused_sign_in_address(proxied.test_client(), citizen, caplog, **{"X-Forwarded-For": forwarded_for})
    assert address == CLIENT_ADDRESS


def test_a_request_the_proxy_received_over_http_is_refused_cleanly(proxied: Flask) -> None:
    portal = register_portal(proxied, first_party=True, grant_types=["client_credentials"])
    headers = {**portal.basic_auth(), "X-Forwarded-Proto": "http"}
    response = proxied.test_client().post("/token", data={"grant_type": "client_credentials"}, headers=headers)
    assert_refused_cleanly(response)


def test_the_published_documents_are_served_through_the_proxy(proxied: Flask) -> None:
    """As ``idp.wsgi`` serves it: the replaying middleware in front of the proxy fix, the token endpoint behind."""
    install(proxied)
    browser = proxied.test_client()
    for _ in range(2):  # the first goes through Flask, the second is replayed
        discovery = browser.get(DISCOVERY_PATH)
        assert discovery.status_code == 200
        assert discovery.get_json()["issuer"] == PUBLIC
        assert discovery.get_json()["token_endpoint"] == PUBLIC + "/token"
        assert browser.get(JWKS_PATH).get_json()["keys"]
    portal = register_portal(proxied, first_party=True, grant_types=["client_credentials"])
    assert post_as(browser, portal, "/token", grant_type="client_credentials").status_code == 200


# -- without a trusted proxy (the default) ------------------------------------------------------------------


def assert_refused_cleanly(response: TestResponse) -> None:
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    assert response.get_json()["error"]
    assert "access_token" not in response.get_json()


@pytest.mark.parametrize("endpoint", ["/token", "/revoke", "/introspect", "/par"])
def test_plain_http_to_a_public_host_is_a_clean_refusal(client: FlaskClient, portal: Portal, endpoint: str) -> None:
    """OAuth needs TLS (RFC 6749 §3.2): without a trusted proxy, http to a non-loopback host is refused."""
    auth, headers = portal.credentials(endpoint)
    form = {**auth, "grant_type": "client_credentials", "token": "x", "client_id": portal.client_id}
    assert_refused_cleanly(client.post(endpoint, data=form, headers=headers, base_url=UPSTREAM))


def test_a_forwarded_scheme_is_not_believed_without_a_trusted_proxy(client: FlaskClient, portal: Portal) -> None:
    auth, headers = portal.credentials()
    response = client.post(
        "/token",
        data={**auth, "grant_type": "client_credentials"},
        headers={**headers, "X-Forwarded-Proto": "https"},
        base_url=UPSTREAM,
    )
    assert_refused_cleanly(response)


def test_a_forwarded_address_is_not_believed_without_a_trusted_proxy(
    client: FlaskClient, citizen: Citizen, caplog: pytest.LogCaptureFixture
) -> None:
    address = refused_sign_in_address(client, citizen, caplog, **{"X-Forwarded-For": SPOOFED_ADDRESS})
    assert address == "127.0.0.1"


def test_a_forwarded_host_changes_nothing_without_a_trusted_proxy(
    client: FlaskClient, portal: Portal, settings
) -> None:
    forged = {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"}
    discovery = client.get(DISCOVERY_PATH, headers=forged).get_json()
    assert discovery["issuer"] == settings.issuer
    assert "evil.example" not in str(discovery)
    response = client.get(
        "/authorize",
        query_string={"client_id": portal.client_id, "response_type": "code", "redirect_uri": portal.redirect_uri},
        headers=forged,
    )
    assert "evil.example" not in response.headers.get("Location", "")
