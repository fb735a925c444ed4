"""``idp db purge``: expired protocol state goes, live state and the audit trail stay."""

from __future__ import annotations

import json

from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select

from identity.models import AuditEvent
from idp.cli import cli
from idp.context import session_factory
from idp.sso.models import AuthorizationCode, Grant, RefreshToken
from tests.idp.conftest import Citizen, Clock, Portal
from tests.idp.flows import refresh, tokens


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
