"""Seeding the demonstration data; every step is idempotent, so ``idp demo`` can run at every start."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from flask import Flask
from sqlalchemy.orm import Session

from clients import ClientSpec, list_clients, register_client
from identity import ImportSummary, import_csv, unit_of_work
from identity.accounts import activate_account, open_account
from identity.authn import find_account

from .. import context

DEMO_ACTOR = "demo"
#: The demo citizen (from persons.csv) and a password that passes the password policy.
DEMO_PIN = "001084000123"
DEMO_PASSWORD = "lotus blooms on the quiet lake"
DEMO_PORTAL_NAME = "Cổng Dịch vụ công (demo)"
DEMO_REDIRECT_URI = "http://127.0.0.1:5001/callback"


@dataclass(frozen=True, slots=True)
class DemoReport:
    persons: ImportSummary
    account_created: bool
    client_id: str
    client_secret: str | None


def seed(app: Flask) -> DemoReport:
    with resources.as_file(resources.files("idp") / "demo" / "persons.csv") as path:
        persons = import_csv(context.session_factory(app), path, actor=DEMO_ACTOR)
    with unit_of_work(context.session_factory(app)) as session:
        account_created = _demo_account(app, session)
        client_id, secret = _demo_portal(app, session)
    return DemoReport(persons, account_created, client_id, secret)


def _demo_account(app: Flask, session: Session) -> bool:
    if find_account(session, DEMO_PIN) is not None:
        return False
    ttl = context.settings(app).activation_code_ttl
    _account, code = open_account(session, DEMO_PIN, actor=DEMO_ACTOR, ttl_seconds=ttl)
    activate_account(
        session,
        DEMO_PIN,
        code,
        DEMO_PASSWORD,
        hasher=context.hasher(app),
        policy=context.password_policy(app),
    )
    return True


def _demo_portal(app: Flask, session: Session) -> tuple[str, str | None]:
    existing = next((c for c in list_clients(session) if c.name == DEMO_PORTAL_NAME), None)
    if existing is not None:
        return existing.client_id, None
    spec = ClientSpec(
        name=DEMO_PORTAL_NAME,
        redirect_uris=[DEMO_REDIRECT_URI],
        scopes=["openid", "profile", "address", "pin", "citizen_card"],
        approve_restricted=True,
        first_party=True,
    )
    client, secret = register_client(
        session, spec, actor=DEMO_ACTOR, allow_http_loopback=context.settings(app).allows_http_loopback_redirects
    )
    return client.client_id, secret
