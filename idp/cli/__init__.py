"""The ``idp`` command: one Flask CLI group, one module per area, JSON output on request.

Domain errors become a sentence on stderr and exit status 1; usage errors (a missing or malformed
option) exit with 2, as click does. With ``--json`` both also print an error object on stdout.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click
from flask.cli import FlaskGroup
from sqlalchemy.exc import DBAPIError

from identity import IdentityError

from ..config import ConfigError
from . import accounts, audit, clients, db, demo, identity, keys, logout, serve
from .options import JSON_KEY, report


def _create_app():  # type: ignore[no-untyped-def]
    from ..app import create_app

    return create_app()


class IdpGroup(FlaskGroup):
    """Maps every domain error, configuration error and database failure, from any command, to one clear
    line and a non-zero exit."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # Known before any option is parsed, so that an unknown option is reported as JSON too.
        ctx.meta[JSON_KEY] = "--json" in args
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except IdentityError as error:
            report(ctx, error.as_dict())
            ctx.exit(1)
        except ConfigError as error:
            report(ctx, {"error": "configuration", "message": str(error)})
            ctx.exit(1)
        except DBAPIError as error:
            detail = str(error.orig).strip().splitlines()[0] if error.orig else type(error).__name__
            message = f"The database refused the command ({detail}); check that it is reachable and upgraded."
            report(ctx, {"error": "database_unavailable", "message": message})
            ctx.exit(1)
        except click.UsageError as error:
            if ctx.meta.get(JSON_KEY):
                click.echo(json.dumps({"error": "usage", "message": error.format_message()}, ensure_ascii=False))
            raise


cli = IdpGroup(
    create_app=_create_app,
    add_default_commands=False,
    add_version_option=False,
    load_dotenv=False,
    help="National e-ID register and OpenID Connect provider.",
)
for area in (accounts, audit, clients, db, demo, identity, keys, serve):
    cli.add_command(area.command)
cli.add_command(logout.worker)
cli.add_command(logout.notices)


def main() -> None:
    """Entry point of the ``idp`` console script."""
    sys.exit(cli.main())
