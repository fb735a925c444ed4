"""``idp worker --once`` and ``idp logout-notices``: what an operator runs and sees of single logout."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from tests.idp.account.conftest import signed_in
from tests.idp.cli.commands import run, succeeded
from tests.idp.conftest import Citizen, csrf_token, register_portal
from tests.idp.flows import tokens
from tests.served import IDP, ROOT


def closed_port() -> int:
    """A port on 127.0.0.1 where nobody listens (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_portal_that_does_not_answer_shows_in_the_backlog(app: Flask, citizen: Citizen) -> None:
    uri = f"http://127.0.0.1:{closed_port()}/backchannel-logout"
    portal = register_portal(app, first_party=True, backchannel_logout_uri=uri)
    browser = signed_in(app, citizen)
    tokens(browser, portal, None)
    runner: FlaskCliRunner = app.test_cli_runner()
    before = succeeded(run(runner, "logout-notices", "--json"))
    assert before["pending"] == 0 and before["failures"] == []
    browser.post("/logout", data={"csrf_token": csrf_token(browser.get("/logout").get_data(as_text=True))})
    assert succeeded(run(runner, "logout-notices", "--json"))["pending"] == 1
    round_ = run(runner, "worker", "--once")
    assert round_.exit_code == 0, round_.stderr
    assert "0 delivered, 1 failed, 0 abandoned" in round_.stdout
    after = succeeded(run(runner, "logout-notices", "--json"))
    assert after["pending"] == 1 and after["failing"] == 1
    [failure] = after["failures"]
    assert failure["client_id"] == portal.client_id and failure["uri"] == uri and failure["attempts"] == 1
    assert failure["last_error"].startswith("no answer")
    text = run(runner, "logout-notices").stdout
    assert "1 waiting (1 after a failure)" in text and uri in text


def test_the_front_channel_uri_is_registered_and_shown(app: Flask) -> None:
    runner = app.test_cli_runner()
    uri = "http://127.0.0.1:8767/frontchannel-logout"
    added = succeeded(
        run(
            runner,
            "clients",
            "add",
            "--name",
            "Cổng C",
            "--redirect-uri",
            "http://127.0.0.1:8767/cb",
            "--frontchannel-logout-uri",
            uri,
            "--json",
        )
    )
    assert added["frontchannel_logout_uri"] == uri
    refused = run(
        runner,
        "clients",
        "add",
        "--name",
        "Cổng D",
        "--redirect-uri",
        "http://127.0.0.1:8768/cb",
        "--frontchannel-logout-uri",
        "http://127.0.0.1:8768/x#frag",
    )
    assert refused.exit_code == 1 and "Front-channel logout URI" in refused.stderr


@pytest.mark.slow
def test_the_worker_runs_until_it_is_told_to_stop(tmp_path: Path) -> None:
    environ = {
        **{name: value for name, value in os.environ.items() if not name.startswith("IDP_")},
        "IDP_DATABASE_URL": f"sqlite:///{tmp_path / 'worker.sqlite3'}",
        "IDP_INSTANCE_PATH": str(tmp_path),
    }
    subprocess.run([*IDP, "db", "upgrade"], env=environ, cwd=ROOT, check=True, capture_output=True)
    worker = subprocess.Popen([*IDP, "worker"], env=environ, cwd=ROOT, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.5)
        assert worker.poll() is None, worker.stderr.read() if worker.stderr else ""
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=10) == 0
        assert "Logout worker running" in (worker.stderr.read() if worker.stderr else "")
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
