"""``idp clients``: register, list, show, suspend, restore, rotate-secret; JSON and error conventions."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clients import Client, get_client
from identity.models import AuditEvent
from idp import context, create_app
from idp.config import Settings
from tests.factories import PORTAL_CALLBACK, public_jwks, rsa_key
from tests.idp.cli.commands import as_object, assert_one_sentence_error, run

ADD = ["clients", "add", "--name", "Cổng Dịch vụ công", "--redirect-uri", PORTAL_CALLBACK]





def writes(session: Session) -> tuple[int, int]:
    """How many clients and audit events are stored; ends the read so that the next command can write."""
    session.expire_all()
    clients = session.scalar(select(func.count()).select_from(Client)) or 0
    events = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
    session.commit()
    return clients, events


def stored(session: Session, client_id: str) -> Client:
    """The client as stored now; ends the read so that the next command can write."""
    session.expire_all()
    client = get_client(session, client_id)
    session.commit()
    return client


def add(runner: FlaskCliRunner, *extra: str) -> dict[str, Any]:
    result = run(runner, *ADD, *extra, "--json")
    assert result.exit_code == 0, result.stderr
    return as_object(result)


def test_add_prints_the_client_id_and_the_secret_once_with_a_warning(runner: FlaskCliRunner, session: Session) -> None:
    result = run(runner, *ADD, "--scope", "openid profile", "--scope", "email", "--actor", "admin:lan")
    assert result.exit_code == 0, result.stderr
    client_id = result.stdout.split("client_id:")[1].split()[0]
    secret = result.stdout.split("client_secret:")[1].split()[0]
    assert "Store this client secret now: it is shown only this once" in result.stdout
    client = stored(session, client_id)
    assert client.check_client_secret(secret) and client.scopes == ["openid", "profile", "email"]
    shown = run(runner, "clients", "show", client_id)
    assert secret not in shown.stdout and client.secret_hash not in shown.stdout  # type: ignore[operator]
    assert "client_secret_basic (has a secret)" in shown.stdout


def test_add_json_is_one_object_and_the_warning_goes_to_stderr(runner: FlaskCliRunner, session: Session) -> None:
    result = run(runner, *ADD, "--json")
    data = as_object(result)
    assert stored(session, data["client_id"]).check_client_secret(data["client_secret"])
    assert "Store this client secret now" in result.stderr
    assert data["status"] == "active" and data["redirect_uris"] == [PORTAL_CALLBACK]
    assert "secret_hash" not in data


def test_a_public_client_gets_no_secret(runner: FlaskCliRunner) -> None:
    result = run(runner, *ADD, "--auth-method", "none")
    assert result.exit_code == 0 and "no secret: it authenticates with none" in result.stdout
    assert "client_secret:" not in result.stdout
    assert add(runner, "--auth-method", "none")["client_secret"] is None


@pytest.mark.parametrize(
    ("extra", "fragments"),
    [
        (["--redirect-uri", "https://user@evil.example/cb"], ["Redirect URI", "user information"]),
        (["--redirect-uri", "javascript:alert(1)"], ["absolute URI"]),
        (["--redirect-uri", "https://dichvucong.gov.vn/a/..;/admin"], ["dot segments"]),
        (["--scope", "openid", "--scope", "pin"], ["restricted scope(s) pin", "--approve-restricted"]),
        (
            ["--auth-method", "none", "--grant-type", "client_credentials"],
            ["public client cannot use client_credentials"],
        ),
        (["--auth-method", "none", "--no-pkce"], ["PKCE may be switched off only for a confidential client"]),
        (["--auth-method", "client_secret_jwt"], ["token_endpoint_auth_method 'client_secret_jwt' is not supported"]),
        (["--grant-type", "password"], ["not offered"]),
        (["--id-token-alg", "none"], ["id_token_signed_response_alg 'none'"]),
        (["--redirect-uri", "https://m.dichvucong.gov.vn/cb"], ["span several hosts"]),
        (["--auth-method", "private_key_jwt", "--jwks", "/nonexistent/keys.json"], ["cannot be read"]),
        (["--auth-method", "private_key_jwt", "--jwks", '{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}'], ["oct"]),
    ],
)
def test_bad_input_is_one_sentence_exit_1_and_changes_nothing(
    runner: FlaskCliRunner, session: Session, extra: list[str], fragments: list[str]
) -> None:
    result = run(runner, *ADD, *extra)
    assert_one_sentence_error(result, *fragments)
    assert result.stdout == ""
    assert writes(session) == (0, 0)
    as_json = run(runner, *ADD, *extra, "--json")
    assert as_json.exit_code == 1
    error = as_object(as_json)
    assert error["error"] == "invalid_client_metadata" and error["field"] and error["message"]


def test_restricted_scopes_with_approval_record_the_actor(runner: FlaskCliRunner) -> None:
    data = add(runner, "--scope", "openid", "--scope", "pin", "--approve-restricted", "--actor", "admin:lan")
    assert data["scopes"] == ["openid", "pin"] and data["restricted_scopes_approved_by"] == "admin:lan"
    assert "approved by admin:lan" in run(runner, "clients", "show", data["client_id"]).stdout


def test_jwks_from_a_file_or_as_json_text(runner: FlaskCliRunner, tmp_path: Path) -> None:
    jwks = public_jwks(rsa_key("rp-1"))
    path = tmp_path / "keys.json"
    path.write_text(json.dumps(jwks), encoding="utf-8")
    from_file = add(runner, "--auth-method", "private_key_jwt", "--jwks", str(path))
    from_text = add(runner, "--auth-method", "private_key_jwt", "--jwks", json.dumps(jwks))
    assert from_file["jwks"] == from_text["jwks"] == jwks
    assert from_file["client_secret"] is None and from_file["has_secret"] is False


def test_http_loopback_is_accepted_in_tests_and_refused_in_production(
    app: Flask, settings: Settings, session: Session, tmp_path: Path
) -> None:
    loopback = ["--redirect-uri", "http://127.0.0.1:5001/cb", "--sector", "dichvucong.gov.vn"]
    assert run(app.test_cli_runner(), *ADD, *loopback).exit_code == 0
    with production_app(settings, tmp_path) as production:
        result = run(production.test_cli_runner(), *ADD, *loopback)
    assert_one_sentence_error(result, "http is allowed only for loopback hosts in development; use https")
    assert writes(session)[0] == 1


@contextmanager
def production_app(settings: Settings, instance_path: Path) -> Iterator[Flask]:
    """A second app on the same database whose settings say production (http redirect URIs refused)."""
    production = create_app(dataclasses.replace(settings, env="production", instance_path=str(instance_path)))
    try:
        yield production
    finally:
        context.engine(production).dispose()


def test_list_and_show_make_a_suspended_client_visible(runner: FlaskCliRunner) -> None:
    first = add(runner)
    second = add(
        runner, "--name", "Zalo mini app", "--redirect-uri", "https://zalo.gov.vn/cb", "--sector", "zalo.gov.vn"
    )
    suspended = run(
        runner, "clients", "suspend", second["client_id"], "--reason", "security review", "--actor", "admin:lan"
    )
    assert suspended.exit_code == 0 and "is now suspended" in suspended.stdout
    listing = run(runner, "clients", "list")
    assert f"{second['client_id']}  suspended" in listing.stdout and f"{first['client_id']}  active" in listing.stdout
    listed = as_object(run(runner, "clients", "list", "--json"))["clients"]
    assert {c["client_id"]: c["status"] for c in listed} == {
        first["client_id"]: "active",
        second["client_id"]: "suspended",
    }
    assert all("secret_hash" not in c and "client_secret" not in c for c in listed)
    shown = run(runner, "clients", "show", second["client_id"])
    assert "status: suspended (security review)" in shown.stdout
    assert (
        as_object(run(runner, "clients", "show", second["client_id"], "--json"))["status_reason"] == "security review"
    )


def test_suspend_and_restore_require_a_reason_and_are_audited(runner: FlaskCliRunner, session: Session) -> None:
    client_id = add(runner)["client_id"]
    assert_one_sentence_error(run(runner, "clients", "suspend", client_id), "reason is required")
    assert_one_sentence_error(run(runner, "clients", "suspend", client_id, "--reason", "  "), "reason is required")
    assert writes(session) == (1, 1)
    assert run(runner, "clients", "suspend", client_id, "--reason", "leak", "--actor", "admin:lan").exit_code == 0
    assert_one_sentence_error(run(runner, "clients", "suspend", client_id, "--reason", "again"), "already suspended")
    restored = run(runner, "clients", "restore", client_id, "--reason", "rotated", "--actor", "admin:minh", "--json")
    assert as_object(restored)["status"] == "active"
    query = select(AuditEvent).order_by(AuditEvent.seq)
    actions = [(e.action, e.actor, e.reason) for e in session.scalars(query)]
    assert actions[1:] == [("client.suspended", "admin:lan", "leak"), ("client.restored", "admin:minh", "rotated")]


def test_rotate_secret_prints_the_new_secret_once_and_the_old_one_stops_working(
    runner: FlaskCliRunner, session: Session
) -> None:
    data = add(runner)
    result = run(runner, "clients", "rotate-secret", data["client_id"], "--json")
    rotated = as_object(result)
    assert set(rotated) == {"client_id", "client_secret"} and "Store this client secret now" in result.stderr
    client = stored(session, data["client_id"])
    assert client.check_client_secret(rotated["client_secret"]) and not client.check_client_secret(
        data["client_secret"]
    )
    text = run(runner, "clients", "rotate-secret", data["client_id"])
    assert "the old one no longer works" in text.stdout and "Store this client secret now" in text.stdout


def test_rotating_a_public_client_or_an_unknown_one_is_refused(runner: FlaskCliRunner, session: Session) -> None:
    public = add(runner, "--auth-method", "none")
    assert_one_sentence_error(run(runner, "clients", "rotate-secret", public["client_id"]), "has no secret")
    for command in (["show", "nope"], ["rotate-secret", "nope"], ["suspend", "nope", "--reason", "x"]):
        assert_one_sentence_error(run(runner, "clients", *command), "No client is registered with client_id 'nope'")
    unknown = as_object(run(runner, "clients", "show", "nope", "--json"))
    assert unknown["error"] == "unknown_client"
    assert writes(session) == (1, 1)
