"""What every ``idp`` command shares: ``--json``, ``--actor``, ``--reason``, and how results and errors print."""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])
#: ``click.Context.meta`` key: whether this invocation prints JSON (errors included).
JSON_KEY = "idp.json"


def report(ctx: click.Context, error: dict[str, str]) -> None:
    """One sentence on stderr; with ``--json`` also the error object on stdout."""
    click.echo(f"Error: {error['message']}", err=True)
    if ctx.meta.get(JSON_KEY):
        click.echo(json.dumps(error, ensure_ascii=False))


def json_option(function: F) -> F:
    """Add ``--json``; remembered on the context so errors are printed as JSON too."""

    def remember(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
        ctx.meta[JSON_KEY] = value
        return value

    return click.option(
        "--json", "as_json", is_flag=True, callback=remember, is_eager=True, help="Print one JSON object on stdout."
    )(function)


def actor_option(function: F) -> F:
    return click.option(
        "--actor",
        default=lambda: f"cli:{getpass.getuser()}",
        show_default="cli:<login name>",
        help="Who is acting, as recorded in the audit trail.",
    )(function)


def reason_option(function: F) -> F:
    """``--reason``, required by the domain rather than by click, so that a missing one is refused like
    any other bad input: one sentence on stderr, and an error object with ``--json``."""
    return click.option("--reason", default="", help="Why (required); recorded in the audit trail.")(function)


def emit(data: dict[str, Any], *, as_json: bool, text: str) -> None:
    """Print the result: one JSON object, or a sentence for a person."""
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, default=str))
    else:
        click.echo(text)
