"""Running the one Alembic history from code (the CLI, ``scripts/serve`` and the tests)."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from flask import Flask

from . import context


def alembic_config(app: Flask) -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files("idp") / "migrations"))
    config.attributes["engine"] = context.engine(app)
    return config


def upgrade_database(app: Flask, revision: str = "head") -> None:
    command.upgrade(alembic_config(app), revision)


def current_revision(app: Flask) -> str | None:
    with context.engine(app).connect() as connection:
        heads = MigrationContext.configure(connection).get_current_heads()
    return ",".join(sorted(heads)) or None
