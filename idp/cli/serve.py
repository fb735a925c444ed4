"""``idp serve``: run the service under granian's WSGI interface.

granian was chosen by measurement (see docs/performance.md): on one core it serves the token,
discovery and JWKS endpoints markedly faster than gunicorn's threaded worker.
"""

from __future__ import annotations

import click
from granian import Granian
from granian.constants import Interfaces


@click.command("serve", help="Serve HTTP with granian (WSGI).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Processes.")
@click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 256), help="Threads per process.")
def command(host: str, port: int, workers: int, threads: int) -> None:
    server = Granian(
        "idp.wsgi:app",
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=workers,
        blocking_threads=threads,
        log_access=False,
    )
    click.echo(f"Serving on http://{host}:{port} with {workers} worker(s).", err=True)
    server.serve()
