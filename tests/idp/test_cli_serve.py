"""``idp serve`` refuses a bad configuration before starting any worker, and picks its threads by database.

Serving itself is proved over real HTTP by tests/e2e/test_relying_party.py.
"""

from __future__ import annotations

import os

from flask.testing import FlaskCliRunner

import idp.cli
from idp.cli.serve import default_threads
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
