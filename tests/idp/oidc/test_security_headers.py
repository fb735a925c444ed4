"""Browser protections on every response: CSP with frame-ancestors 'none' and no inline script, no
third-party resources, Referrer-Policy no-referrer, nosniff, no caching of pages, HSTS in production
(RFC 9700 §4.16 R21, §4.2.4 R5; ASVS 3.4.1-3.4.6, 4.1.4; SECURITY.md R20/R21 browser pitfalls)."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.idp.conftest import Citizen, Portal, register_portal
from tests.idp.flows import post_as, refresh, sign_in_directly, start, tokens, userinfo


def responses(client: FlaskClient, portal: Portal, third_party: Portal, citizen: Citizen) -> dict[str, TestResponse]:
    """One response of every kind the provider serves, pages and API alike."""
    found = {
        "login page": client.get("/login"),
        "activation page": client.get("/activate"),
        "error page": start(client, portal, redirect_uri="https://evil.example/cb"),
        "expired request page": client.get("/authorize/continue?interaction=none"),
        "discovery": client.get("/.well-known/openid-configuration"),
        "jwks": client.get("/jwks.json"),
        "token error": client.post("/token", data={"grant_type": "authorization_code"}),
        "userinfo error": client.get("/userinfo"),
        "introspection": post_as(client, portal, "/introspect", token="x"),
        "revocation": post_as(client, portal, "/revoke", token="x"),
        "not found": client.get("/no-such-page"),
        "authorization redirect": start(client, portal),
    }
    sign_in_directly(client, citizen)
    found["home page"] = client.get("/")
    found["consent page"] = client.get(start(client, third_party).headers["Location"])
    return found


@pytest.fixture
def every_response(app: Flask, client: FlaskClient, portal: Portal, citizen: Citizen) -> dict[str, TestResponse]:
    third_party = register_portal(app, name="Cổng bên thứ ba")
    return responses(client, portal, third_party, citizen)


def directives(response: TestResponse) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part.strip() for part in policy.split(";") if part.strip()}


def test_every_response_forbids_framing_and_inline_code(every_response: dict[str, TestResponse]) -> None:
    """ASVS 3.4.3, 3.4.6 and RFC 9700 §4.16: on every response, error pages and redirects included."""
    for name, response in every_response.items():
        csp = directives(response)
        assert csp["frame-ancestors"] == "frame-ancestors 'none'", name
        assert csp["default-src"] == "default-src 'none'", name
        assert csp["object-src"] == "object-src 'none'", name
        assert csp["base-uri"] == "base-uri 'none'", name
        assert "unsafe-inline" not in response.headers["Content-Security-Policy"], name
        assert "unsafe-eval" not in response.headers["Content-Security-Policy"], name
        assert "script-src" not in csp, name  # default-src 'none' covers scripts: none at all
        assert "form-action" not in csp, name  # SECURITY.md R21 pitfall: it would block the 303 to the portal
        assert response.headers["X-Frame-Options"] == "DENY", name
        assert response.headers["X-Content-Type-Options"] == "nosniff", name
        assert response.headers["Referrer-Policy"] == "no-referrer", name


def test_pages_have_no_script_no_inline_style_and_no_third_party_resources(
    every_response: dict[str, TestResponse],
) -> None:
    """RFC 9700 §4.2.4: no third-party resources or external links on the authorization pages."""
    pages = {name: r for name, r in every_response.items() if r.mimetype == "text/html"}
    assert {"login page", "consent page", "error page", "activation page", "home page"} <= set(pages)
    for name, response in pages.items():
        html = response.get_data(as_text=True)
        assert "<script" not in html.lower(), name
        assert not re.search(r"\son[a-z]+\s*=", html, re.IGNORECASE), name
        assert not re.search(r"\sstyle\s*=", html, re.IGNORECASE), name
        assert "<iframe" not in html.lower(), name
        for url in re.findall(r'(?:href|src|action)="([^"]*)"', html):
            assert not re.match(r"^(?:[a-z][a-z0-9+.-]*:)?//", url, re.IGNORECASE), (name, url)
        assert response.headers["Cache-Control"] == "no-store", name


def test_html_and_token_answers_are_never_cached(every_response: dict[str, TestResponse]) -> None:
    for name in ("token error", "userinfo error", "introspection", "revocation"):
        assert every_response[name].headers["Cache-Control"] == "no-store", name


def test_the_authorization_endpoint_gets_no_cors_header(every_response: dict[str, TestResponse]) -> None:
    for name in ("authorization redirect", "error page", "login page", "consent page"):
        assert "Access-Control-Allow-Origin" not in every_response[name].headers, name


def test_errors_reveal_no_internals(every_response: dict[str, TestResponse]) -> None:
    """ASVS 16.5.1: generic messages, no stack traces."""
    for response in every_response.values():
        body = response.get_data(as_text=True)
        assert "Traceback" not in body
        assert "sqlalchemy" not in body.lower()


@pytest.mark.parametrize(
    ("method", "path"),
    [("put", "/authorize"), ("delete", "/token"), ("get", "/token"), ("put", "/userinfo"), ("get", "/introspect")],
)
def test_unused_methods_are_refused(client: FlaskClient, method: str, path: str) -> None:
    """ASVS 4.1.4."""
    assert getattr(client, method)(path).status_code == 405


def test_production_sends_hsts_for_a_year_with_subdomains(production_app: Flask) -> None:
    """ASVS 3.4.1."""
    response = production_app.test_client().get("/login", base_url="https://id.example.vn")
    hsts = response.headers["Strict-Transport-Security"]
    assert int(re.search(r"max-age=(\d+)", hsts).group(1)) >= 31536000
    assert "includeSubDomains" in hsts


def test_the_debugger_is_never_on(app: Flask, production_app: Flask) -> None:
    """ASVS 13.4.2."""
    assert not app.debug
    assert not production_app.debug


def test_api_answers_set_no_cookie(app: Flask, client: FlaskClient, portal: Portal, citizen: Citizen) -> None:
    """Portals' back-ends get no flow cookie and no ``Vary: Cookie`` from the token, userinfo,
    introspection and revocation endpoints; the sign-in pages still set theirs."""
    body = tokens(client, portal, citizen)
    api = app.test_client()
    answers = {
        "refresh": refresh(api, portal, body["refresh_token"]),
        "userinfo": userinfo(api, body["access_token"]),
        "introspection": post_as(api, portal, "/introspect", token=body["access_token"]),
        "revocation": post_as(api, portal, "/revoke", token=body["access_token"]),
        "token error": api.post("/token", data={"grant_type": "authorization_code"}),
    }
    for name, response in answers.items():
        assert response.status_code in {200, 401}, name
        assert "Set-Cookie" not in response.headers, name
        assert "Cookie" not in response.headers.get("Vary", ""), name
    assert "Set-Cookie" in app.test_client().get("/login").headers
