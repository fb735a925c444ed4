"""Seeding the demonstration data; every step is idempotent, so ``idp demo`` can run at every start.

Two citizens from ``persons.csv`` with the published demo password: one with an authenticator app
whose published secret goes into any app (or ``oathtool --totp -b SECRET``), one without (to try the
enrolment). Two first-party portals for the reference portal program (``portal``), each with its
redirect, post-logout and back-channel logout URIs on 127.0.0.1; their secrets are replaced at every
run, since a secret is shown only once and the portals must be started with it. Never in production.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import pyotp
from flask import Flask
from sqlalchemy.orm import Session

from clients import ClientSpec, list_clients, register_client, rotate_secret
from identity import ImportSummary, import_csv, otp, unit_of_work
from identity.accounts import activate_account, open_account
from identity.authn import find_account
from identity.models import Account

from .. import context

DEMO_ACTOR = "demo"
#: A password that passes the password policy; published here, like everything of the demonstration.
DEMO_PASSWORD = "lotus blooms on the quiet lake"
#: The demo citizens (from persons.csv) and the secret of the first one's authenticator app.
DEMO_PIN = "001084000123"
DEMO_PIN_WITHOUT_APP = "079195000456"
DEMO_OTP_SECRET = "JBSWY3DPEHPK3PXPDEMOVNEIDLOTUS22"
#: The two reference portals: name and port on 127.0.0.1.
DEMO_PORTALS = (("Cổng Dịch vụ công quốc gia", 5001), ("Cổng Dịch vụ công tỉnh Hải Dương", 5002))


@dataclass(frozen=True, slots=True)
class DemoCitizen:
    pin: str
    password: str
    otp_secret: str | None


@dataclass(frozen=True, slots=True)
class DemoPortal:
    name: str
    url: str
    client_id: str
    client_secret: str


@dataclass(frozen=True, slots=True)
class DemoReport:
    persons: ImportSummary
    citizens: tuple[DemoCitizen, ...]
    portals: tuple[DemoPortal, ...]


def seed(app: Flask) -> DemoReport:
    with resources.as_file(resources.files("idp") / "demo" / "persons.csv") as path:
        persons = import_csv(context.session_factory(app), path, actor=DEMO_ACTOR)
    with unit_of_work(context.session_factory(app)) as session:
        citizens = (
            _citizen(app, session, DEMO_PIN, otp_secret=DEMO_OTP_SECRET),
            _citizen(app, session, DEMO_PIN_WITHOUT_APP, otp_secret=None),
        )
        portals = tuple(_portal(app, session, name, port) for name, port in DEMO_PORTALS)
    return DemoReport(persons, citizens, portals)


def _citizen(app: Flask, session: Session, pin: str, *, otp_secret: str | None) -> DemoCitizen:
    account = find_account(session, pin)
    if account is None:
        ttl = context.settings(app).activation_code_ttl
        _account, code = open_account(session, pin, actor=DEMO_ACTOR, ttl_seconds=ttl)
        account = activate_account(
            session, pin, code, DEMO_PASSWORD, hasher=context.hasher(app), policy=context.password_policy(app)
        )
    if otp_secret is not None and not otp.has_factor(session, account.id):
        _enrol(app, session, account, otp_secret)
    return DemoCitizen(pin, DEMO_PASSWORD, otp_secret)


def _enrol(app: Flask, session: Session, account: Account, secret: str) -> None:
    """Set up the published app, confirmed with its code of this moment (that one code is then spent)."""
    settings = context.settings(app)
    kek = settings.key_encryption_key_bytes()
    otp.start_enrolment(session, account, kek=kek, issuer=settings.otp_issuer, secret=secret)
    otp.confirm_enrolment(session, account, pyotp.TOTP(secret).now(), kek=kek, actor=DEMO_ACTOR)


def _portal(app: Flask, session: Session, name: str, port: int) -> DemoPortal:
    url = f"http://127.0.0.1:{port}"
    existing = next((c for c in list_clients(session) if c.name == name), None)
    if existing is not None:
        return DemoPortal(name, url, existing.client_id, rotate_secret(session, existing.client_id, actor=DEMO_ACTOR))
    spec = ClientSpec(
        name=name,
        redirect_uris=[f"{url}/callback"],
        post_logout_redirect_uris=[f"{url}/"],
        backchannel_logout_uri=f"{url}/backchannel-logout",
        scopes=["openid", "profile", "address", "pin", "citizen_card"],
        approve_restricted=True,
        first_party=True,
    )
    allow_http = context.settings(app).allows_http_loopback_redirects
    client, secret = register_client(session, spec, actor=DEMO_ACTOR, allow_http_loopback=allow_http)
    assert secret is not None
    return DemoPortal(name, url, client.client_id, secret)
