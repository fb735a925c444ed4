"""``idp demo``: load demonstration data, so a fresh checkout has something to show."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from identity import InvalidInput

from ..context import settings
from ..demo.seed import seed
from .options import emit, json_option


@click.command(
    "demo",
    help="Load demonstration data: two citizens and two portals (running it again adds nothing, but gives the "
    "portals new secrets). Not in production.",
)
@json_option
@with_appcontext
def command(as_json: bool) -> None:
    if settings().is_production:
        raise InvalidInput("Demonstration data (with a published password) is never loaded in production.")
    report = seed(current_app)
    persons = report.persons
    data = {
        **persons.as_dict(),
        "citizens": [
            {"pin": c.pin, "password": c.password, "otp_secret": c.otp_secret} for c in report.citizens
        ],
        "portals": [
            {"name": p.name, "url": p.url, "client_id": p.client_id, "client_secret": p.client_secret}
            for p in report.portals
        ],
    }
    lines = [f"Demo persons: {persons.created + persons.flagged} added, {persons.unchanged} already present."]
    for citizen in report.citizens:
        app = f", authenticator app secret {citizen.otp_secret}" if citizen.otp_secret else ", no authenticator app"
        lines.append(f"Demo citizen: PIN {citizen.pin}, password {citizen.password!r}{app}")
    for portal in report.portals:
        lines.append(f"Demo portal {portal.name}: {portal.url}/ client_id {portal.client_id} (new secret issued)")
    lines.append(f"Sign in at {settings().issuer}/login")
    emit(data, as_json=as_json, text="\n".join(lines))
