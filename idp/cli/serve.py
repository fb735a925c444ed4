"""``idp serve``: run the service under granian's WSGI interface.

granian was chosen by measurement (see docs/performance.md): on one core it serves the token,
discovery and JWKS endpoints markedly faster than gunicorn's threaded worker.

The configuration is loaded and validated here, in the main process, before any worker starts: a
bad ``IDP_*`` variable is one sentence and exit status 1, not a traceback per worker. Workers build
the app from the same environment (``idp.wsgi``).
"""

from __future__ import annotations

from typing import Any

import click
from granian import Granian
from granian.constants import Interfaces

from ..config import ConfigError, load_settings


def log_config(level: str) -> dict[str, Any]:
    """granian's logging plus a root handler, so the service's own loggers (``idp``, ``keys``) reach stdout."""
    return {"root": {"handlers": ["console"], "level": level.upper()}}


@click.command("serve", help="Serve HTTP with granian (WSGI).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Processes.")
@click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 256), help="Threads per process.")
def command(host: str, port: int, workers: int, threads: int) -> None:
    try:
        settings = load_settings()
    except ConfigError as error:
        raise click.ClickException(str(error)) from None
    server = Granian(
        "idp.wsgi:app",
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=workers,
        blocking_threads=threads,
        log_access=False,
        log_dictconfig=log_config(settings.log_level),
    )
    click.echo(f"Serving {settings.issuer} on http://{host}:{port} with {workers} worker(s).", err=True)
    server.serve()
