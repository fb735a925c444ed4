"""Fixtures: one migrated database per run (SQLite or PostgreSQL), emptied after every test.

The backend comes from ``IDP_TEST_DATABASE_URL`` (``scripts/test`` runs the suite once per backend);
without it the suite uses a temporary SQLite file. Tests commit for real, exactly like the service,
so that multi-process and over-HTTP tests see the same data.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import text
from sqlalchemy.orm import Session

from identity.audit import GENESIS_HASH
from identity.db import Base, normalise_url
from idp import context, create_app
from idp.config import Settings, load_settings
from idp.context import session_factory
from idp.migrate import upgrade_database
from idp.rate_limit import form_limiter

#: Fast argon2 parameters for tests; production values are enforced by config validation.
TEST_ARGON2 = {"argon2_time_cost": 1, "argon2_memory_cost": 1024, "argon2_parallelism": 1}
#: Tests sign in hundreds of times from 127.0.0.1; the per-address limit's own tests set a low one.
TEST_FORM_RATE_LIMIT = "100000 per hour"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("IDP_TEST_DATABASE_URL", "")
    if not url or url == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    url = normalise_url(url)
    if url.startswith("postgresql"):
        _reset_postgres_schema(url)
    return url


def _reset_postgres_schema(url: str) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def make_settings(database_url: str, instance_path: Path, **overrides: object) -> Settings:
    values = {
        "env": "test",
        "database_url": database_url,
        "instance_path": str(instance_path),
        "form_rate_limit": TEST_FORM_RATE_LIMIT,
        **TEST_ARGON2,
    }
    values.update(overrides)
    return load_settings(environ={}, **values)


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(database_url, tmp_path_factory.mktemp("instance"))


@pytest.fixture(scope="session")
def app(settings: Settings) -> Iterator[Flask]:
    application = create_app(settings)
    upgrade_database(application)
    yield application
    context.engine(application).dispose()


@pytest.fixture(autouse=True)
def _empty_database(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test starts from an empty, migrated database, and with no signing key of another test in memory."""
    yield
    if "app" not in request.fixturenames:
        return
    application = request.getfixturevalue("app")
    engine = context.engine(application)
    tables = [t.name for t in reversed(Base.metadata.sorted_tables) if t.name != "audit_head"]
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(text(f"DELETE FROM {table}"))
        connection.execute(text(f"UPDATE audit_head SET seq = 0, hash = '{GENESIS_HASH}'"))
    context.keyring(application).forget()


@pytest.fixture(autouse=True)
def _fresh_rate_limits(request: pytest.FixtureRequest) -> Iterator[None]:
    """No test inherits another's per-address counts in the shared app."""
    yield
    if "app" in request.fixturenames:
        form_limiter(request.getfixturevalue("app")).reset()


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    with session_factory(app)() as db_session:
        yield db_session


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def client(app: Flask):  # type: ignore[no-untyped-def]
    return app.test_client()
