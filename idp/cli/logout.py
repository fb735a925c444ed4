"""``idp worker`` and ``idp logout-notices``: the logout worker on its own, and what operators see of it.

``idp serve`` runs the worker in every server process by default (``--no-logout-worker`` leaves it to
``idp worker``, for deployments that run it apart). Any number may run at once (``idp.sso.logout_worker``).
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

import click
from flask.cli import with_appcontext

from identity import unit_of_work

from .. import context
from ..sso.logout_notices import backlog
from ..sso.logout_worker import LogoutWorker
from .options import emit, json_option


@click.command(
    "worker",
    help="End sessions past their limits and deliver back-channel logout tokens, until stopped (SIGINT, SIGTERM).",
)
@click.option("--once", is_flag=True, help="Run one round, print what it did, and exit.")
@with_appcontext
def worker(once: bool) -> None:
    logout_worker = LogoutWorker(context.session_factory(), context.keyring(), context.settings())
    if once:
        done = logout_worker.run_round()
        click.echo(
            f"{done.sessions_ended} session(s) ended; logout notices: {done.delivery.delivered} delivered, "
            f"{done.delivery.failed} failed, {done.delivery.abandoned} abandoned."
        )
        return
    stop = threading.Event()

    def _stop(_signal: int, _frame: FrameType | None) -> None:
        stop.set()

    for stopping in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stopping, _stop)
    click.echo("Logout worker running; Ctrl-C stops it.", err=True)
    logout_worker.run(stop)


@click.command("logout-notices", help="The back-channel logout backlog: waiting, failing and abandoned notices.")
@json_option
@with_appcontext
def notices(as_json: bool) -> None:
    with unit_of_work(context.session_factory()) as session:
        found = backlog(session)
    data = {
        "pending": found.pending,
        "failing": found.failing,
        "abandoned": found.abandoned,
        "delivered_last_day": found.delivered_last_day,
        "oldest_pending_at": found.oldest_pending_at.isoformat() if found.oldest_pending_at else None,
        "failures": found.failures,
    }
    lines = [
        f"{found.pending} waiting ({found.failing} after a failure), {found.abandoned} abandoned, "
        f"{found.delivered_last_day} delivered in the last day."
    ]
    lines += [
        f"  #{row['id']} {row['client_id']} {row['uri']}: {row['attempts']} attempt(s), {row['last_error']}; "
        f"next at {row['next_attempt_at']}"
        for row in found.failures
    ]
    emit(data, as_json=as_json, text="\n".join(lines))

