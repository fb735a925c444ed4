"""Running ``idp`` commands in tests, and reading what they print."""

from __future__ import annotations

import json
from typing import Any

from click.testing import Result
from flask.testing import FlaskCliRunner

from idp import cli


def run(runner: FlaskCliRunner, *args: str) -> Result:
    return runner.invoke(cli.cli, list(args))


def as_object(result: Result) -> dict[str, Any]:
    """The one JSON object a --json command prints on stdout."""
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, result.stdout
    data: dict[str, Any] = json.loads(lines[0])
    return data


def succeeded(result: Result) -> dict[str, Any]:
    """The JSON object of a command that exited 0."""
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return as_object(result)


def assert_one_sentence_error(result: Result, *fragments: str) -> None:
    assert result.exit_code == 1, (result.stdout, result.stderr)
    message = result.stderr.strip()
    assert message.startswith("Error: ") and "\n" not in message
    for fragment in fragments:
        assert fragment in message
