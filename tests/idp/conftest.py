"""Fixtures for the provider's protocol tests: a registered portal, an activated citizen, and a browser."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy import select

from identity import otp
from identity.accounts import activate_account, open_account
from identity.models import Account
from idp import context, create_app
from idp.context import session_factory
from idp.migrate import upgrade_database
from tests import factories
from tests.conftest import make_settings

REDIRECT_URI = "http://127.0.0.1:8765/callback"
PASSWORD = "correct horse battery staple"


@dataclass
class Portal:
    client_id: str
    secret: str | None
    redirect_uri: str = REDIRECT_URI
    auth_method: str = "client_secret_basic"
    #: The private key of a private_key_jwt portal, and the issuer its assertions are addressed to.
    key: RSAKey | None = field(default=None, repr=False)
    issuer: str = ""

    def basic_auth(self) -> dict[str, str]:
        raw = f"{self.client_id}:{self.secret}".encode()
        return {"Authorization": "Basic " + base64.b64encode(raw).decode()}

    def credentials(self, endpoint: str = "/token") -> tuple[dict[str, str], dict[str, str]]:
        """Form fields and headers that authenticate this portal at *endpoint*, by its registered method."""
        if self.auth_method == "client_secret_basic":
            return {}, self.basic_auth()
        if self.auth_method == "client_secret_post":
            return {"client_id": self.client_id, "client_secret": str(self.secret)}, {}
        if self.auth_method == "private_key_jwt":
            return {
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": self.assertion(audience=self.issuer.rstrip("/") + endpoint),
            }, {}
        return {"client_id": self.client_id}, {}

    def assertion(self, *, audience: str, alg: str = "RS256", **claims: Any) -> str:
        """A fresh RFC 7523 client assertion signed with the portal's key; *claims* override the defaults
        (None leaves a claim out)."""
        assert self.key is not None, "only private_key_jwt portals sign assertions"
        now = int(time.time())
        values = {"iss": self.client_id, "sub": self.client_id, "aud": audience, "jti": secrets.token_urlsafe(16)}
        values.update({"iat": now, "exp": now + 60, **claims})
        present = {name: value for name, value in values.items() if value is not None}
        return jwt.encode({"alg": alg, "kid": self.key.kid}, present, self.key)


@dataclass
class Citizen:
    pin: str
    password: str
    person_id: int
    #: The seed of the citizen's authenticator app, when they enrolled one.
    otp_secret: str | None = None
    #: The time step of the last code this citizen's app gave (the provider accepts each step once).
    last_step: int = 0
    recovery_codes: list[str] = field(default_factory=list)

    def wrong_code(self) -> str:
        """Six digits that are not the code of this moment nor of the next step."""
        totp = pyotp.TOTP(self.otp_secret or "")
        now = totp.timecode(time.time())
        taken = {totp.generate_otp(step) for step in (now - 1, now, now + 1, self.last_step + 1)}
        return next(f"{n:06d}" for n in range(10**6) if f"{n:06d}" not in taken)

    def code(self) -> str:
        """What the app shows: the code of the current step, or of the next one (30 s of drift are
        allowed) when the current step's code was already used."""
        assert self.otp_secret, "this citizen has no authenticator app"
        totp = pyotp.TOTP(self.otp_secret)
        step = max(totp.timecode(time.time()), self.last_step + 1)
        self.last_step = step
        return totp.generate_otp(step)


def register_portal(app: Flask, **overrides: Any) -> Portal:
    values: dict[str, Any] = {
        "name": "Cổng dịch vụ công Hà Nội",
        "redirect_uris": [REDIRECT_URI],
        "scopes": ["openid", "profile", "address"],
    }
    values.update(overrides)
    key = None
    if values.get("token_endpoint_auth_method") == "private_key_jwt" and "jwks" not in values:
        key = factories.rsa_key()
        values["jwks"] = factories.public_jwks(key)
    with session_factory(app)() as session:
        client, secret = factories.registered_client(session, actor="test", allow_http_loopback=True, **values)
        return Portal(
            client.client_id,
            secret,
            values["redirect_uris"][0] if values["redirect_uris"] else "",
            auth_method=client.token_endpoint_auth_method.value,
            key=key,
            issuer=context.settings(app).issuer,
        )


class Clock:
    """Moves the process's clock (time.time and datetime.now) forward, so lifetimes are tested without sleeping.

    Every expiry the provider enforces is computed from its own clock, never the database's."""

    def __init__(self, machine: Any) -> None:
        self._machine = machine
        self._started = False

    def advance(self, seconds: float) -> None:
        if not self._started:
            self._machine.move_to(dt.datetime.now(dt.UTC), tick=True)
            self._started = True
        self._machine.shift(seconds)


@pytest.fixture
def clock(time_machine: Any) -> Clock:
    return Clock(time_machine)


@pytest.fixture(scope="module")
def production_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The service as deployed (``IDP_ENV=production``) for the cookie and header rules only production
    turns on. It has its own SQLite database: its key-encryption key cannot open the test app's keys."""
    folder = tmp_path_factory.mktemp("production")
    settings = make_settings(
        f"sqlite:///{folder / 'production.sqlite3'}",
        folder,
        env="production",
        issuer="https://id.example.vn",
        secret_key=secrets.token_urlsafe(32),
        pairwise_salt=secrets.token_urlsafe(32),
        key_encryption_key=base64.b64encode(secrets.token_bytes(32)).decode(),
        argon2_memory_cost=19 * 1024,
        argon2_time_cost=2,
    )
    application = create_app(settings)
    upgrade_database(application)
    yield application
    context.engine(application).dispose()


@pytest.fixture
def portal(app: Flask) -> Portal:
    return register_portal(app, first_party=True)


def make_citizen(app: Flask, *, with_app: bool = False, **person: Any) -> Citizen:
    """A person in the register with an activated account and a known password (and an authenticator app)."""
    values = {"full_name": "Nguyễn Thị Mai", "birth_date": "1990-04-05", "sex": "female", **person}
    with session_factory(app)() as session:
        created = factories.person(session, **values)
        _account, code = open_account(session, created.pin, actor="test", ttl_seconds=3600)
        activate_account(
            session,
            created.pin,
            code,
            PASSWORD,
            hasher=context.hasher(app),
            policy=context.password_policy(app),
        )
        citizen = Citizen(created.pin, PASSWORD, created.id)
        session.commit()
    if with_app:
        enrol_app(app, citizen)
    return citizen


def enrol_app(app: Flask, citizen: Citizen) -> None:
    """The citizen enrols an authenticator app (through the domain API, as the enrolment page would)."""
    with session_factory(app)() as session:
        account = session.scalars(select(Account).where(Account.person_id == citizen.person_id)).one()
        settings = context.settings(app)
        kek = settings.key_encryption_key_bytes()
        enrolment = otp.start_enrolment(session, account, kek=kek, issuer=settings.otp_issuer)
        citizen.otp_secret = enrolment.secret
        citizen.recovery_codes = otp.confirm_enrolment(session, account, citizen.code(), kek=kek, actor="test")
        session.commit()


@pytest.fixture
def citizen_with_app(app: Flask) -> Citizen:
    return make_citizen(app, with_app=True, full_name="Trần Văn Bình", birth_date="1988-08-08", sex="male")


@pytest.fixture
def citizen(app: Flask) -> Citizen:
    return make_citizen(app)


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorization_params(portal: Portal, challenge: str, **extra: str | None) -> dict[str, str]:
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
    return {name: value for name, value in params.items() if value is not None}


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


def answer_code(browser: FlaskClient, location: str, citizen: Citizen) -> str:
    """Type the app's code on the code page the provider redirected to; returns where the POST redirects."""
    html = browser.get(location).get_data(as_text=True)
    interaction = re.search(r'name="interaction" type="hidden" value="([^"]*)"', html).group(1)
    form = {"csrf_token": csrf_token(html), "interaction": interaction, "code": citizen.code()}
    response = browser.post("/login/code", data=form)
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.headers["Location"]


def answer_consent(browser: FlaskClient, location: str, *, allow: bool = True) -> str:
    """Allow (or deny) on the consent page the provider redirected to; returns where the POST redirects."""
    html = browser.get(location).get_data(as_text=True)
    interaction = re.search(r'name="interaction" type="hidden" value="([^"]*)"', html).group(1)
    choice = {"allow": "Allow"} if allow else {"deny": "Deny"}
    response = browser.post("/consent", data={"csrf_token": csrf_token(html), "interaction": interaction, **choice})
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.headers["Location"]


def authorize(
    browser: FlaskClient, portal: Portal, citizen: Citizen | None, **extra: str | None
) -> tuple[dict[str, str], str]:
    """Run the browser part of the code flow; returns the redirect's query and the PKCE verifier.

    The citizen signs in when asked and allows on the consent page; a parameter given as None is left out.
    """
    verifier, challenge = pkce_pair()
    response = browser.get("/authorize?" + urlencode(authorization_params(portal, challenge, **extra)))
    assert response.status_code in (302, 303), response.get_data(as_text=True)
    location = response.headers["Location"]
    while not location.startswith(portal.redirect_uri):
        step = urlsplit(location).path
        if step == "/login" and citizen is not None:
            location = sign_in(browser, location, citizen)
        elif step == "/login/code" and citizen is not None and citizen.otp_secret:
            location = answer_code(browser, location, citizen)
        elif step == "/consent":
            location = answer_consent(browser, location)
        else:
            response = browser.get(location)
            assert response.status_code in (302, 303), response.get_data(as_text=True)
            location = response.headers["Location"]
    return query_of(location), verifier


def exchange(client: FlaskClient, portal: Portal, code: str, verifier: str, **extra: str):  # type: ignore[no-untyped-def]
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": portal.redirect_uri,
        "code_verifier": verifier,
        **extra,
    }
    auth, headers = portal.credentials()
    return client.post("/token", data={**auth, **data}, headers=headers)
