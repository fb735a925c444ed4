"""``idp keys list`` and ``idp keys rotate``, through the real ``idp`` command group."""

from __future__ import annotations

import json

from flask.testing import FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

import idp.cli
from identity.models import AuditEvent


def _list(runner: FlaskCliRunner) -> list[dict]:  # type: ignore[type-arg]
    result = runner.invoke(idp.cli.cli, ["keys", "list", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["keys"]


def test_list_creates_the_first_keys_once_and_prints_json(runner: FlaskCliRunner) -> None:
    first = runner.invoke(idp.cli.cli, ["keys", "list", "--json", "--actor", "cli:ops"])
    assert first.exit_code == 0, first.output
    data = json.loads(first.stdout)
    assert len(data["created"]) == 6
    assert sorted((k["alg"], k["state"]) for k in data["keys"]) == sorted(
        (alg, state) for alg in ("RS256", "ES256", "EdDSA") for state in ("current", "next")
    )
    assert all("sealed_private_key" not in key and "public_jwk" not in key for key in data["keys"])
    again = json.loads(runner.invoke(idp.cli.cli, ["keys", "list", "--json"]).stdout)
    assert again["created"] == []


def test_list_prints_a_table_for_people(runner: FlaskCliRunner) -> None:
    result = runner.invoke(idp.cli.cli, ["keys", "list"])
    assert result.exit_code == 0
    assert "RS256  current" in result.stdout
    assert "Created 6 key(s)" in result.stdout


def test_rotate_one_algorithm(runner: FlaskCliRunner, session: Session) -> None:
    before = {(k["alg"], k["state"]): k["kid"] for k in _list(runner)}
    rotate = ["keys", "rotate", "--alg", "ES256", "--reason", "drill", "--actor", "cli:ops", "--json"]
    refused = runner.invoke(idp.cli.cli, rotate)  # the next key was published a moment ago
    assert refused.exit_code == 1
    assert json.loads(refused.stdout)["error"] == "next_key_not_published"
    assert before["ES256", "next"] in refused.stderr and "force" in refused.stderr
    assert {(k["alg"], k["state"]): k["kid"] for k in _list(runner)} == before
    result = runner.invoke(idp.cli.cli, [*rotate, "--force"])
    assert result.exit_code == 0, result.output
    (rotation,) = json.loads(result.stdout)["rotations"]
    assert rotation["retired"] == before["ES256", "current"]
    assert rotation["promoted"] == before["ES256", "next"]
    after = {(k["alg"], k["state"]): k["kid"] for k in _list(runner)}
    assert after["ES256", "current"] == before["ES256", "next"]
    assert after["ES256", "retired"] == before["ES256", "current"]
    assert after["RS256", "current"] == before["RS256", "current"]
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "signing_key.rotated")).one()
    assert (event.actor, event.reason) == ("cli:ops", "drill")


def test_rotate_without_alg_rotates_every_algorithm(runner: FlaskCliRunner) -> None:
    _list(runner)
    result = runner.invoke(idp.cli.cli, ["keys", "rotate", "--force"])
    assert result.exit_code == 0, result.output
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == ["RS256", "ES256", "EdDSA"]
    data = json.loads(runner.invoke(idp.cli.cli, ["keys", "rotate", "--json", "--force"]).stdout)
    assert {r["alg"] for r in data["rotations"]} == {"RS256", "ES256", "EdDSA"}
    states = [k["state"] for k in _list(runner)]
    assert states.count("retired") == 6


def test_an_unknown_algorithm_is_a_usage_error_and_changes_nothing(runner: FlaskCliRunner) -> None:
    result = runner.invoke(idp.cli.cli, ["keys", "rotate", "--alg", "HS256"])
    assert result.exit_code == 2
    assert "HS256" in result.stderr
    listed = json.loads(runner.invoke(idp.cli.cli, ["keys", "list", "--json"]).stdout)
    assert len(listed["created"]) == 6  # the refused rotation had not even bootstrapped
