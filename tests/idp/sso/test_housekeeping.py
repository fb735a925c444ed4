"""``idp db purge``: expired protocol state, sign-ins left under way and sign-in attempts past their
history go; live state, recent attempts and the audit trail stay."""

from __future__ import annotations

import json

from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select

from identity.models import AuditEvent, SignInAttempt
from idp.cli import cli
from idp.context import session_factory
from idp.sso.models import AuthorizationCode, Grant, PendingSignIn, RefreshToken
from tests.idp.conftest import Citizen, Clock, Portal
from tests.idp.flows import refresh, sign_in_directly, tokens


def _count(app: Flask, model: type) -> int:
    with session_factory(app)() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_purge_keeps_live_families_and_deletes_dead_ones(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner, portal: Portal, citizen: Citizen, settings, clock: Clock
) -> None:
    old = tokens(client, portal, citizen)
    clock.advance(settings.refresh_token_absolute_ttl + 2 * 24 * 3600)
    live = tokens(client, portal, citizen, prompt="login")
    audit_before = _count(app, AuditEvent)

    result = runner.invoke(cli, ["db", "purge", "--json"])

    assert result.exit_code == 0, result.output
    counts = json.loads(result.stdout)
    assert counts["grants"] == 1
    assert counts["refresh_tokens"] == 1
    assert counts["authorization_codes"] == 1
    assert _count(app, Grant) == 1
    assert _count(app, RefreshToken) == 1
    assert _count(app, AuthorizationCode) == 1
    assert _count(app, AuditEvent) == audit_before
    assert refresh(client, portal, live["refresh_token"]).status_code == 200
    assert refresh(client, portal, old["refresh_token"]).get_json()["error"] == "invalid_grant"


def test_purge_forgets_old_sign_in_attempts_and_abandoned_sign_ins(
    app: Flask, runner: FlaskCliRunner, settings, citizen_with_app: Citizen, clock: Clock
) -> None:
    """Each password step records an attempt and, the code still to come, leaves a sign-in under way."""
    day, history = 24 * 3600, settings.sign_in_history_days * 24 * 3600
    for wait in (0, history - day, 2 * day - 12 * 3600, 12 * 3600):
        clock.advance(wait)
        assert sign_in_directly(app.test_client(), citizen_with_app).status_code == 303
    # Now: the first attempt is older than the history; the first two sign-ins under way expired more than
    # a day ago, the third only 12 hours ago, and the last is live.
    assert (_count(app, SignInAttempt), _count(app, PendingSignIn)) == (4, 4)

    counts = json.loads(runner.invoke(cli, ["db", "purge", "--json"]).stdout)

    assert (counts["sign_in_attempts"], counts["pending_sign_ins"]) == (1, 2)
    assert (_count(app, SignInAttempt), _count(app, PendingSignIn)) == (3, 2)
    text = runner.invoke(cli, ["db", "purge"]).stdout
    assert "0 sign_in_attempts" in text and "0 pending_sign_ins" in text
