"""``idp serve`` refuses a bad configuration before starting any worker, and picks its threads by database.

Serving itself is proved over real HTTP by tests/e2e/test_relying_party.py, and serving in spite of
clients that stall by tests/e2e/test_stalled_clients.py.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from flask.testing import FlaskCliRunner

import idp.cli
from idp.admission import READERS, THREADS_VARIABLE
from idp.cli import serve
from idp.cli.serve import HEADER_TIMEOUT_SECONDS, default_threads, local_issuer
from idp.config import load_settings


def test_a_bad_setting_is_one_sentence_and_exit_1(runner: FlaskCliRunner) -> None:
    env: dict[str, str | None] = {name: None for name in os.environ if name.startswith("IDP_")}  # the suite's own
    result = runner.invoke(idp.cli.cli, ["serve", "--port", "1"], env={**env, "IDP_NO_SUCH_SETTING": "1"})
    assert result.exit_code == 1
    assert "Unknown setting IDP_NO_SUCH_SETTING" in result.stderr
    assert "Traceback" not in result.output


def test_threads_default_to_one_on_sqlite_and_four_on_postgresql() -> None:
    assert default_threads(load_settings(environ={})) == 1  # the embedded database
    assert default_threads(load_settings(environ={"IDP_DATABASE_URL": "sqlite:////tmp/x.sqlite3"})) == 1
    assert default_threads(load_settings(environ={"IDP_DATABASE_URL": "postgresql://db/idp"})) == 4


def not_serving(calls: list[dict[str, Any]]) -> type:
    """Stands in for granian: records what it was asked to serve, and the issuer its workers would see."""

    class NotServing:
        def __init__(self, target: str, **options: Any) -> None:
            self.options = {
                "target": target,
                **options,
                "issuer": os.environ.get("IDP_ISSUER"),
                "app_threads": os.environ.get(THREADS_VARIABLE),
            }

        def serve(self) -> None:
            calls.append(self.options)

    return NotServing


def without_idp_settings() -> dict[str, str | None]:
    """The runner's environment: none of the suite's settings, and serve's own variables restored afterwards."""
    return {name: None for name in os.environ if name.startswith("IDP_")} | {"IDP_ISSUER": None, THREADS_VARIABLE: None}


def test_a_development_server_without_an_issuer_names_itself_by_its_port(
    runner: FlaskCliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(serve, "Granian", not_serving(calls))
    result = runner.invoke(idp.cli.cli, ["serve", "--port", "5077"], env=without_idp_settings())
    assert result.exit_code == 0, result.output
    assert "Serving http://127.0.0.1:5077 on http://127.0.0.1:5077" in result.stderr
    assert [(call["port"], call["issuer"]) for call in calls] == [(5077, "http://127.0.0.1:5077")]
    explicit = {**without_idp_settings(), "IDP_ISSUER": "http://localhost:9000"}
    result = runner.invoke(idp.cli.cli, ["serve", "--port", "5077"], env=explicit)
    assert "Serving http://localhost:9000 on http://127.0.0.1:5077" in result.stderr
    assert calls[-1]["issuer"] == "http://localhost:9000"


def test_the_local_issuer_of_wildcard_and_ipv6_addresses() -> None:
    assert local_issuer("0.0.0.0", 8000) == "http://127.0.0.1:8000"
    assert local_issuer("::1", 8000) == "http://[::1]:8000"
    assert local_issuer("localhost", 5000) == "http://localhost:5000"


def test_granian_runs_reading_threads_beside_the_app_threads_and_times_the_headers(
    runner: FlaskCliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(serve, "Granian", not_serving(calls))
    for arguments, app_threads in ((["serve"], 1), (["serve", "--threads", "3"], 3)):
        result = runner.invoke(idp.cli.cli, arguments, env=without_idp_settings())
        assert result.exit_code == 0, result.output
        assert calls[-1]["blocking_threads"] == app_threads + READERS
        assert calls[-1]["app_threads"] == str(app_threads)  # what the workers' admission reads
        assert calls[-1]["http1_settings"].header_read_timeout == HEADER_TIMEOUT_SECONDS * 1000
    assert THREADS_VARIABLE not in os.environ
