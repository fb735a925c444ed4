"""The ``idp`` command: one Flask CLI group, one module per area, JSON output on request.

Domain errors become a sentence on stderr and exit status 1; usage errors (a missing or malformed
option) exit with 2, as click does. With ``--json`` both also print an error object on stdout.
"""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click
from flask.cli import FlaskGroup
from sqlalchemy.exc import DBAPIError

from identity import IdentityError

from ..config import ConfigError

F = TypeVar("F", bound=Callable[..., Any])
_JSON_KEY = "idp.json"


def _create_app():  # type: ignore[no-untyped-def]
    from ..app import create_app

    return create_app()


class IdpGroup(FlaskGroup):
    """Maps every domain error, configuration error and database failure, from any command, to one clear
    line and a non-zero exit."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # Known before any option is parsed, so that an unknown option is reported as JSON too.
        ctx.meta[_JSON_KEY] = "--json" in args
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except IdentityError as error:
            _report(ctx, error.as_dict())
            ctx.exit(1)
        except ConfigError as error:
            _report(ctx, {"error": "configuration", "message": str(error)})
            ctx.exit(1)
        except DBAPIError as error:
            detail = str(error.orig).strip().splitlines()[0] if error.orig else type(error).__name__
            message = f"The database refused the command ({detail}); check that it is reachable and upgraded."
            _report(ctx, {"error": "database_unavailable", "message": message})
            ctx.exit(1)
        except click.UsageError as error:
            if ctx.meta.get(_JSON_KEY):
                click.echo(json.dumps({"error": "usage", "message": error.format_message()}, ensure_ascii=False))
            raise


def _report(ctx: click.Context, error: dict[str, str]) -> None:
    """One sentence on stderr; with ``--json`` also the error object on stdout."""
    click.echo(f"Error: {error['message']}", err=True)
    if ctx.meta.get(_JSON_KEY):
        click.echo(json.dumps(error, ensure_ascii=False))


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
