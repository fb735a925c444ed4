"""``idp db``: schema migrations."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from ..migrate import current_revision, upgrade_database


@click.group("db", help="Database schema.")
def command() -> None:
    pass


@command.command("upgrade", help="Apply every pending migration.")
@with_appcontext
def upgrade() -> None:
    upgrade_database(current_app)
    click.echo(f"Database is at revision {current_revision(current_app)}.")
