"""``idp demo``: load demonstration data, so a fresh checkout has something to show."""

from __future__ import annotations

from importlib import resources

import click
from flask import current_app
from flask.cli import with_appcontext

from identity import import_csv

from ..db import session_factory
from . import emit, json_option


@click.command("demo", help="Load the demonstration persons (running it again changes nothing).")
@json_option
@with_appcontext
def command(as_json: bool) -> None:
    with resources.as_file(resources.files("idp") / "demo" / "persons.csv") as path:
        summary = import_csv(session_factory(current_app), path, actor="demo")
    emit(
        summary.as_dict(),
        as_json=as_json,
        text=f"Demo data: {summary.created + summary.flagged} persons added, {summary.unchanged} already present.",
    )
