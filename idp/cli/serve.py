"""``idp serve``: run the service under granian's WSGI interface.

granian was chosen by measurement (see docs/performance.md): on one core it serves the token,
discovery and JWKS endpoints markedly faster than gunicorn's threaded worker.

The configuration is loaded and validated here, in the main process, before any worker starts: a
bad ``IDP_*`` variable is one sentence and exit status 1, not a traceback per worker. Workers build
the app from the same environment (``idp.wsgi``).

Threads per worker, by measurement (docs/performance.md): on PostgreSQL a request mostly waits for
the database, and 4 threads served the token endpoint and userinfo best (8 did worse). On SQLite every
transaction takes the one write lock, so a second thread only queues behind it: one thread served
about twice the requests of two or four, with a p99 of 0.2 s instead of 1 s. The price of one thread
is that a request waits behind a sign-in's argon2 (about 0.2 s); use ``--threads`` to choose.

Those are the threads that run the app. granian gets ``READERS`` more, on which requests read their
bodies before they take an app thread (``idp.admission``): granian does not time a body's read, so a
client that never sends its body holds a reading thread, never an app thread. Request headers must
arrive within ``HEADER_TIMEOUT_SECONDS``, which also closes a keep-alive connection idle that long
after a response. docs/deployment.md has the whole picture.
"""

from __future__ import annotations

import os
from typing import Any

import click
from granian import Granian
from granian.constants import Interfaces
from granian.http import HTTP1Settings

from ..admission import READERS, THREADS_VARIABLE, default_threads
from ..config import ConfigError, load_settings
from ..sso.logout_worker import RUN_IN_SERVER

#: granian's own default is 30 s. Partial headers hold a connection, never a thread.
HEADER_TIMEOUT_SECONDS = 5


def local_issuer(host: str, port: int) -> str:
    """The issuer of a development server: where it listens (127.0.0.1 for a wildcard address)."""
    if host in ("", "0.0.0.0", "::"):  # noqa: S104 - compared with, not bound to
        host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def log_config(level: str) -> dict[str, Any]:
    """granian's logging plus a root handler, so the service's own loggers (``idp``, ``keys``) reach stdout."""
    return {"root": {"handlers": ["console"], "level": level.upper()}}


@click.command("serve", help="Serve HTTP with granian (WSGI).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Processes.")
@click.option(
    "--logout-worker/--no-logout-worker",
    default=True,
    show_default=True,
    help="Run the logout worker in every server process (off when idp worker runs apart).",
)
@click.option(
    "--threads",
    type=click.IntRange(1, 256),
    help="Threads per process (default: 1 on SQLite, 4 on PostgreSQL).",
)
def command(host: str, port: int, workers: int, logout_worker: bool, threads: int | None) -> None:
    try:
        settings = load_settings()
        if "IDP_ISSUER" not in os.environ and not settings.is_production:
            # Without an explicit issuer a development server names itself by where it listens, so that
            # another --port still gives a consistent discovery document. The workers inherit it.
            os.environ["IDP_ISSUER"] = local_issuer(host, port)
            settings = load_settings()
    except ConfigError as error:
        raise click.ClickException(str(error)) from None
    threads = threads or default_threads(settings)
    os.environ[THREADS_VARIABLE] = str(threads)  # the workers' admission (idp.wsgi) reads it
    os.environ[RUN_IN_SERVER] = "1" if logout_worker else "0"
    server = Granian(
        "idp.wsgi:app",
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=workers,
        blocking_threads=threads + READERS,
        http1_settings=HTTP1Settings(header_read_timeout=HEADER_TIMEOUT_SECONDS * 1000),
        log_access=False,
        log_dictconfig=log_config(settings.log_level),
    )
    click.echo(
        f"Serving {settings.issuer} on http://{host}:{port} with {workers} worker(s) of {threads} thread(s)"
        f" and {READERS} more that read request bodies.",
        err=True,
    )
    server.serve()
