"""``idp demo``: two citizens (one with an authenticator app) and two portals, idempotent, never in production."""

from __future__ import annotations

import time

import pyotp
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from clients.models import Client
from identity import otp
from identity.authn import authenticate_password, find_account
from idp import context
from idp.context import session_factory
from tests.idp.cli.commands import as_object, assert_one_sentence_error, run
from tests.idp.conftest import production_app  # noqa: F401  (fixture)


def test_the_demo_has_two_citizens_and_two_portals_and_can_run_again(app: Flask, runner: FlaskCliRunner) -> None:
    first = as_object(run(runner, "demo", "--json"))
    again = as_object(run(runner, "demo", "--json"))
    with_app, without_app = first["citizens"]
    assert with_app["otp_secret"] and without_app["otp_secret"] is None
    with session_factory(app)() as session:
        for citizen in first["citizens"]:
            hasher = context.hasher(app)
            assert authenticate_password(session, citizen["pin"], citizen["password"], hasher=hasher)
        account = find_account(session, with_app["pin"])
        kek = context.settings(app).key_encryption_key_bytes()
        totp = pyotp.TOTP(with_app["otp_secret"])  # the published secret is the app's: its next code works
        otp.verify_code(session, account.id, totp.generate_otp(totp.timecode(time.time()) + 1), kek=kek)
        assert session.scalar(select(func.count()).select_from(Client)) == 2  # the second run added nothing
        for before, after in zip(first["portals"], again["portals"], strict=True):
            assert before["client_id"] == after["client_id"]
            stored = session.scalars(select(Client).where(Client.client_id == after["client_id"])).one()
            assert stored.check_client_secret(after["client_secret"])  # a new secret at every run ...
            assert not stored.check_client_secret(before["client_secret"])  # ... the old one stops working
            assert stored.first_party and stored.backchannel_logout_uri == f"{after['url']}/backchannel-logout"


def test_the_demo_is_refused_in_production(production_app: Flask) -> None:  # noqa: F811
    result = run(production_app.test_cli_runner(), "demo")
    assert_one_sentence_error(result, "never loaded in production")
