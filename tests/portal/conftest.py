"""Fixtures for the reference portal: keys made here, a stand-in provider over HTTP, a portal app."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from joserfc.jwk import ECKey, RSAKey
from werkzeug.test import TestResponse

from portal import create_app
from portal.config import Settings, load_settings
from tests.portal.fake_provider import CLIENT_ID, CLIENT_SECRET, FakeProvider, serving
from tests.served import provider_app, server  # noqa: F401  (fixtures of the test against the real provider)

SECRET_KEY = "portal-tests-secret-key-of-enough-length"


@pytest.fixture(scope="session")
def rsa_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "rsa-1", "use": "sig"})


@pytest.fixture(scope="session")
def ec_key() -> ECKey:
    return ECKey.generate_key("P-256", parameters={"kid": "ec-1", "use": "sig"})


@pytest.fixture
def fake(rsa_key: RSAKey, ec_key: ECKey) -> Iterator[FakeProvider]:
    with serving([rsa_key, ec_key]) as provider:
        yield provider


def portal_settings(issuer: str, store: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "name": "Cổng thử nghiệm",
        "issuer": issuer,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "secret_key": SECRET_KEY,
        "port": 5999,
        "store": str(store),
        **overrides,
    }
    return load_settings(environ={}, **values)


@pytest.fixture
def portal_app(fake: FakeProvider, tmp_path: Path) -> Flask:
    return create_app(portal_settings(fake.issuer, tmp_path / "portal.sqlite3"))


@pytest.fixture
def portal(portal_app: Flask) -> FlaskClient:
    return portal_app.test_client()


def query(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def sign_in(portal: FlaskClient, fake: FakeProvider, *, start: str = "/login", **claims: object) -> TestResponse:
    """Start a sign-in at the portal, let the stand-in provider answer it with *claims* in the ID token, and
    bring the answer back to the redirect URI; the portal's response to it."""
    authorization = query(portal.get(start).headers["Location"])
    fake.answer_code(authorization["nonce"], **claims)
    return portal.get(f"/callback?code=the-code&state={authorization['state']}&iss={fake.issuer}")
