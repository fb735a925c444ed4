"""``idp db``: schema migrations, and the daily purge of what no longer needs keeping."""

from __future__ import annotations

import datetime as dt

import click
from flask import current_app
from flask.cli import with_appcontext

from identity import unit_of_work
from identity.sign_in_log import purge_attempts

from ..context import session_factory, settings
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


@command.command(
    "purge",
    help="Delete expired protocol state (codes, token families, sessions, sign-ins under way) and sign-in "
    "attempts older than IDP_SIGN_IN_HISTORY_DAYS; run daily.",
)
@json_option
@with_appcontext
def purge(as_json: bool) -> None:
    history = dt.timedelta(days=settings().sign_in_history_days)
    with unit_of_work(session_factory()) as session:
        counts = purge_expired(session)
        counts["sign_in_attempts"] = purge_attempts(session, keep=history)
    emit(counts, as_json=as_json, text=", ".join(f"{n} {table}" for table, n in counts.items()) + " deleted.")
