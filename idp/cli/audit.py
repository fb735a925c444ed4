"""``idp audit``: verify the hash-chained audit trail."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from identity import audit, unit_of_work

from ..context import session_factory
from .options import emit, json_option


@click.group("audit", help="The tamper-evident audit trail.")
def command() -> None:
    pass


@command.command("verify", help="Recompute the chain; exit 1 naming the first broken event.")
@json_option
@with_appcontext
def verify(as_json: bool) -> None:
    with unit_of_work(session_factory()) as session:
        report = audit.verify_chain(session)
    data = {"ok": report.ok, "checked": report.checked, "broken_event": report.broken_seq, "problem": report.problem}
    if report.ok:
        emit(data, as_json=as_json, text=f"The audit trail verifies: {report.checked} events, chain intact.")
        return
    if as_json:
        emit(data, as_json=True, text="")
    click.echo(f"The audit trail is broken: {report.problem}.", err=True)
    sys.exit(1)
