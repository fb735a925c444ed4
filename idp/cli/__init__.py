"""The ``idp`` command: one Flask CLI group, one module per area, JSON output on request.

Domain errors become a sentence on stderr and exit status 1 (with ``--json`` also an error object on
stdout); usage errors exit with 2, as click does.
"""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click
from flask.cli import FlaskGroup

from identity import IdentityError

F = TypeVar("F", bound=Callable[..., Any])
_JSON_KEY = "idp.json"


def _create_app():  # type: ignore[no-untyped-def]
    from ..app import create_app

    return create_app()


class IdpGroup(FlaskGroup):
    """Maps every domain error, from any command, to one clear line and a non-zero exit."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except IdentityError as error:
            click.echo(f"Error: {error.message}", err=True)
            if ctx.meta.get(_JSON_KEY):
                click.echo(json.dumps(error.as_dict(), ensure_ascii=False))
            ctx.exit(1)


def json_option(function: F) -> F:
    """Add ``--json``; remembered on the context so errors are printed as JSON too."""

    def remember(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
        ctx.meta[_JSON_KEY] = value
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


def register_commands(group: click.Group) -> None:
    from . import accounts, audit, clients, db, demo, identity, keys, serve

    for module in (accounts, audit, clients, db, demo, identity, keys, serve):
        group.add_command(module.command)


cli = IdpGroup(
    create_app=_create_app,
    add_default_commands=False,
    add_version_option=False,
    load_dotenv=False,
    help="National e-ID register and OpenID Connect provider.",
)
register_commands(cli)


def main() -> None:
    """Entry point of the ``idp`` console script."""
    sys.exit(cli.main())
