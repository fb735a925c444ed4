"""``idp db``: schema migrations."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from identity import unit_of_work

from ..context import session_factory
from ..migrate import current_revision, upgrade_database
from ..sso.housekeeping import purge_expired
from .options import emit, json_option


@click.group("db", help="Database schema.")
def command() -> None:
    pass


@command.command("upgrade", help="Apply every pending migration.")
@with_appcontext
def upgrade() -> None:
    upgrade_database(current_app)
    click.echo(f"Database is at revision {current_revision(current_app)}.")


@command.command("purge", help="Delete expired protocol state (codes, token families, sessions); run daily.")
@json_option
@with_appcontext
def purge(as_json: bool) -> None:
    with unit_of_work(session_factory()) as session:
        counts = purge_expired(session)
    emit(counts, as_json=as_json, text=", ".join(f"{n} {table}" for table, n in counts.items()) + " deleted.")
