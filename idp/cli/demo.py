"""``idp demo``: load demonstration data, so a fresh checkout has something to show."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from identity import InvalidInput

from ..context import settings
from ..demo.seed import DEMO_PASSWORD, DEMO_PIN, seed
from .options import emit, json_option


@click.command("demo", help="Load demonstration data (running it again changes nothing). Not in production.")
@json_option
@with_appcontext
def command(as_json: bool) -> None:
    if settings().is_production:
        raise InvalidInput("Demonstration data (with a published password) is never loaded in production.")
    report = seed(current_app)
    persons = report.persons
    data = {
        **persons.as_dict(),
        "citizen": {"pin": DEMO_PIN, "password": DEMO_PASSWORD},
        "client_id": report.client_id,
        "client_secret": report.client_secret,
    }
    lines = [
        f"Demo persons: {persons.created + persons.flagged} added, {persons.unchanged} already present.",
        f"Demo citizen: PIN {DEMO_PIN}, password {DEMO_PASSWORD!r} — sign in at {settings().issuer}/login",
        f"Demo portal client_id: {report.client_id}",
    ]
    if report.client_secret:
        lines.append(f"Demo portal client_secret (shown once): {report.client_secret}")
    emit(data, as_json=as_json, text="\n".join(lines))
