"""Fixtures for the provider's protocol tests: a registered portal, an activated citizen, and a browser."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from clients import ClientSpec, register_client
from identity.accounts import activate_account, open_account
from idp.db import session_factory
from tests import factories

REDIRECT_URI = "http://127.0.0.1:8765/callback"
PASSWORD = "correct horse battery staple"


@dataclass
class Portal:
    client_id: str
    secret: str | None
    redirect_uri: str = REDIRECT_URI

    def basic_auth(self) -> dict[str, str]:
        raw = f"{self.client_id}:{self.secret}".encode()
        return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


@dataclass
class Citizen:
    pin: str
    password: str
    person_id: int


def register_portal(app: Flask, **overrides: Any) -> Portal:
    values: dict[str, Any] = {
        "name": "Cổng dịch vụ công Hà Nội",
        "redirect_uris": [REDIRECT_URI],
        "scopes": ["openid", "profile", "address"],
    }
    values.update(overrides)
    with session_factory(app)() as session:
        client, secret = register_client(session, ClientSpec(**values), actor="test", allow_http_loopback=True)
        session.commit()
        return Portal(client.client_id, secret, values["redirect_uris"][0])


@pytest.fixture
def portal(app: Flask) -> Portal:
    return register_portal(app, first_party=True)


def make_citizen(app: Flask, **person: Any) -> Citizen:
    """A person in the register with an activated account and a known password."""
    values = {"full_name": "Nguyễn Thị Mai", "birth_date": "1990-04-05", "sex": "female", **person}
    with session_factory(app)() as session:
        created = factories.person(session, **values)
        _account, code = open_account(session, created.pin, actor="test", ttl_seconds=3600)
        activate_account(
            session,
            created.pin,
            code,
            PASSWORD,
            hasher=app.extensions["idp.hasher"],
            policy=app.extensions["idp.password_policy"],
        )
        session.commit()
        return Citizen(created.pin, PASSWORD, created.id)


@pytest.fixture
def citizen(app: Flask) -> Citizen:
    return make_citizen(app)


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorization_params(portal: Portal, challenge: str, **extra: str) -> dict[str, str]:
    params = {
        "response_type": "code",
        "client_id": portal.client_id,
        "redirect_uri": portal.redirect_uri,
        "scope": "openid profile",
        "state": secrets.token_urlsafe(8),
        "nonce": secrets.token_urlsafe(8),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    params.update(extra)
    return params


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', html
    )
    assert match, "the form carries a CSRF token"
    return match.group(1)


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def sign_in(browser: FlaskClient, location: str, citizen: Citizen) -> str:
    """Follow the provider's pages from a redirect to /login until it redirects to the portal."""
    page = browser.get(location)
    html = page.get_data(as_text=True)
    interaction = re.search(r'name="interaction" type="hidden" value="([^"]*)"', html).group(1)
    response = browser.post(
        "/login",
        data={
            "csrf_token": csrf_token(html),
            "interaction": interaction,
            "pin": citizen.pin,
            "password": citizen.password,
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.headers["Location"]


def authorize(
    browser: FlaskClient, portal: Portal, citizen: Citizen | None, **extra: str
) -> tuple[dict[str, str], str]:
    """Run the browser part of the code flow; returns the redirect's query and the PKCE verifier."""
    verifier, challenge = pkce_pair()
    response = browser.get("/authorize?" + urlencode(authorization_params(portal, challenge, **extra)))
    while response.status_code in (302, 303) and not response.headers["Location"].startswith(portal.redirect_uri):
        location = response.headers["Location"]
        if "/login" in location and citizen is not None:
            location = sign_in(browser, location, citizen)
        response = browser.get(location)
    assert response.status_code in (302, 303), response.get_data(as_text=True)
    return query_of(response.headers["Location"]), verifier


def exchange(client: FlaskClient, portal: Portal, code: str, verifier: str, **extra: str):  # type: ignore[no-untyped-def]
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": portal.redirect_uri,
        "code_verifier": verifier,
        **extra,
    }
    return client.post("/token", data=data, headers=portal.basic_auth())
