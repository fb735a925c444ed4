"""Our side of scripts/bench_oidc.py: a seeded database, genuine codes and refresh tokens in bulk, the login profile.

Everything runs in-process through the app factory and the public modules, against the database the
server under test uses:

* ``seed``: a first-party portal (code + refresh, RS256 ID tokens), a back-end client allowed
  ``client_credentials``, and a citizen whose account is opened and activated with the default
  argon2 parameters of ``Settings``. Then one real flow through Flask's test client: GET /authorize,
  POST /login, the redirect with a code, and its exchange at /token. That yields a genuine
  authorization code row, grant and access token (the one userinfo is measured with).
* ``mint_codes`` / ``mint_refresh_tokens``: copies of that genuine code row (or grant and refresh token
  rows), each with its own fresh secret stored as ``idp.sso.opaque.digest`` — exactly what the
  grants store — inserted in one transaction. The server cannot tell them from codes issued by
  /authorize, and they are made in seconds instead of one authorization request each.
* ``login_argon2_share``: the CPU time of POST /login with a valid PIN and password, and the share of it
  spent in argon2: timed around the password hasher's calls, and as cProfile attributes it.
"""

from __future__ import annotations

import base64
import cProfile
import datetime as dt
import hashlib
import os
import pstats
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from flask import Flask
from sqlalchemy import insert, select

from clients import ClientSpec, register_client
from identity import issue_person, person_facts
from identity.accounts import activate_account, open_account
from identity.types import utcnow
from idp import context, create_app
from idp.config import Settings
from idp.context import session_factory
from idp.migrate import upgrade_database
from idp.sso.models import AuthorizationCode, Grant, RefreshToken
from idp.sso.opaque import digest, new_secret

PASSWORD = "correct horse battery staple"
REDIRECT_URI = "http://127.0.0.1:8765/callback"
#: One PKCE pair for every minted code: the server hashes the verifier per request all the same.
CODE_VERIFIER = secrets.token_urlsafe(48)
CODE_CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(CODE_VERIFIER.encode()).digest()).rstrip(b"=").decode()
PROFILE = {"name": "Trần Văn Bình", "birthdate": "1979-11-02", "gender": "male"}


@dataclass
class Seeded:
    portal_id: str
    portal_secret: str
    backend_id: str
    backend_secret: str
    pin: str
    code_hash: str
    access_token: str


def prepare(settings: Settings) -> Flask:
    app = create_app(settings)
    upgrade_database(app)
    return app


def seed(app: Flask) -> Seeded:
    with session_factory(app)() as session:
        portal, portal_secret = register_client(
            session,
            ClientSpec(name="Portal", redirect_uris=[REDIRECT_URI], scopes=["openid", "profile"], first_party=True),
            actor="bench",
            allow_http_loopback=True,
        )
        backend, backend_secret = register_client(
            session,
            ClientSpec(name="Back end", grant_types=["client_credentials"], scopes=["profile"]),
            actor="bench",
            allow_http_loopback=True,
        )
        facts = person_facts(full_name=PROFILE["name"], birth_date=PROFILE["birthdate"], sex="male", birth_place="001")
        person = issue_person(session, facts, actor="bench")
        _account, code = open_account(session, person.pin, actor="bench", ttl_seconds=3600)
        activate_account(
            session,
            person.pin,
            code,
            PASSWORD,
            hasher=context.hasher(app),
            policy=context.password_policy(app),
        )
        session.commit()
        portal_id, backend_id, pin = portal.client_id, backend.client_id, person.pin
    assert portal_secret is not None
    assert backend_secret is not None
    code_hash, access_token = _real_flow(app, portal_id, portal_secret, pin)
    return Seeded(portal_id, portal_secret, backend_id, backend_secret, pin, code_hash, access_token)


def _real_flow(app: Flask, client_id: str, secret: str, pin: str) -> tuple[str, str]:
    """Sign in and authorize through the test client; returns the code's hash and an access token."""
    browser = app.test_client()
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": "openid profile",
        "state": "bench",
        "nonce": secrets.token_urlsafe(8),
        "code_challenge": CODE_CHALLENGE,
        "code_challenge_method": "S256",
    }
    response = browser.get("/authorize?" + urlencode(params))
    for _ in range(6):
        location = response.headers["Location"]
        if location.startswith(REDIRECT_URI):
            break
        if "/login" in location:
            page = browser.get(location).get_data(as_text=True)
            response = browser.post("/login", data={**_hidden_fields(page), "pin": pin, "password": PASSWORD})
        else:
            response = browser.get(location)
    code = parse_qs(urlsplit(response.headers["Location"]).query)["code"][0]
    code_hash = digest(code)
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    token = browser.post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": CODE_VERIFIER,
        },
        headers={"Authorization": f"Basic {basic}"},
    )
    assert token.status_code == 200, token.get_data(as_text=True)
    return code_hash, token.get_json()["access_token"]


def _hidden_fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*type="hidden"[^>]*value="([^"]*)"', html))


def _columns(row: Any, *, skip: tuple[str, ...]) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in row.__table__.columns if c.key not in skip}


def mint_codes(app: Flask, seeded: Seeded, count: int) -> list[str]:
    """*count* fresh codes like the genuine one, valid for the configured code lifetime."""
    settings: Settings = context.settings(app)
    codes = [new_secret() for _ in range(count)]
    with session_factory(app)() as session:
        model = session.scalars(select(AuthorizationCode).where(AuthorizationCode.code_hash == seeded.code_hash)).one()
        template = _columns(model, skip=("id", "code_hash", "nonce", "used_at", "grant_id", "expires_at"))
        expires = utcnow() + dt.timedelta(seconds=settings.authorization_code_ttl)
        rows = [
            {**template, "code_hash": digest(code), "nonce": secrets.token_urlsafe(12), "expires_at": expires}
            for code in codes
        ]
        session.execute(insert(AuthorizationCode), rows)
        session.commit()
    return codes


def mint_refresh_tokens(app: Flask, seeded: Seeded, count: int) -> list[str]:
    """*count* refresh tokens, each in its own grant (token family) like the genuine one."""
    tokens = [new_secret() for _ in range(count)]
    with session_factory(app)() as session:
        model_grant = session.scalars(select(Grant).order_by(Grant.id).limit(1)).one()
        grant_template = _columns(model_grant, skip=("id", "key", "created_at", "revoked_at", "revoke_reason"))
        keys = [secrets.token_urlsafe(16) for _ in tokens]
        session.execute(insert(Grant), [{**grant_template, "key": key} for key in keys])
        ids = dict(session.execute(select(Grant.key, Grant.id).where(Grant.key.in_(keys))).tuples().all())
        model_token = session.scalars(select(RefreshToken).where(RefreshToken.grant_id == model_grant.id)).first()
        assert model_token is not None
        session.execute(
            insert(RefreshToken),
            [
                {
                    "token_hash": digest(token),
                    "grant_id": ids[key],
                    "issued_at": model_token.issued_at,
                    "expires_at": model_token.expires_at,
                }
                for token, key in zip(tokens, keys, strict=True)
            ],
        )
        session.commit()
    return tokens


@dataclass
class LoginShare:
    """One password sign-in: its CPU time and the share spent in argon2, measured two ways."""

    cpu_seconds: float
    #: CPU time inside the password hasher's calls during the request / CPU time of the request.
    timed_share: float
    #: The same from cProfile, whose per-call overhead inflates the Python part: a lower bound.
    profiled_share: float


class _TimedHasher:
    """Stands in for the app's password hasher and adds up the CPU time of every call into it."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.cpu = inner, 0.0

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.inner, name)
        if not callable(attribute):
            return attribute

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.process_time()
            try:
                return attribute(*args, **kwargs)
            finally:
                self.cpu += time.process_time() - start

        return timed


def login_argon2_share(app: Flask, pin: str, rounds: int) -> LoginShare:
    """Median over *rounds* sign-ins (POST /login with a valid PIN and password) of each figure."""
    hasher = context.hasher(app)
    measured = []
    try:
        for _ in range(rounds):
            timed = context.install(app, "hasher", _TimedHasher(hasher))
            start = time.process_time()
            _sign_in(app, pin)
            cpu = time.process_time() - start
            context.install(app, "hasher", hasher)
            profile = cProfile.Profile(time.process_time)
            profile.runcall(_sign_in, app, pin)
            stats = pstats.Stats(profile)
            measured.append((cpu, timed.cpu / cpu, _argon2_seconds(stats) / stats.total_tt))  # type: ignore[attr-defined]
    finally:
        context.install(app, "hasher", hasher)
    middle = len(measured) // 2
    return LoginShare(*(sorted(column)[middle] for column in zip(*measured, strict=True)))


def _sign_in(app: Flask, pin: str) -> None:
    browser = app.test_client()
    fields = _hidden_fields(browser.get("/login").get_data(as_text=True))
    response = browser.post("/login", data={**fields, "pin": pin, "password": PASSWORD})
    assert response.status_code == 303, response.get_data(as_text=True)


def _argon2_seconds(stats: pstats.Stats) -> float:
    """Cumulative CPU time of the outermost calls into the argon2 package (verify, and hash on rehash)."""
    marker = f"{os.sep}argon2{os.sep}"
    entries = stats.stats  # type: ignore[attr-defined]
    inside = {func for func in entries if marker in func[0]}
    return sum(entries[func][3] for func in inside if not any(caller in inside for caller in entries[func][4]))
