"""The loop that ends forgotten sessions and delivers logout notices: inside ``idp serve`` or ``idp worker``.

Each round first ends the sessions past their limits that no browser came back to (so their portals are
owed notices too), then delivers what is due. Nothing is kept between rounds but the database, so any
number of workers in any number of processes may run, and a restart loses nothing.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from identity.db import database_error_line

from ..config import Settings
from .logout_delivery import Deliverer, Round
from .sessions import end_expired_sessions

log = logging.getLogger("idp.logout")

#: How ``idp serve`` asks its server processes (``idp.wsgi``) to run a worker (outside ``IDP_*``: not a setting).
RUN_IN_SERVER = "_IDP_RUN_LOGOUT_WORKER"


@dataclass(frozen=True, slots=True)
class WorkerRound:
    sessions_ended: int
    delivery: Round


class LogoutWorker:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        keyring: Any,
        settings: Settings,
        *,
        deliverer: Deliverer | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.deliverer = deliverer or Deliverer(session_factory, keyring, settings)
        self.settings = settings

    def run_round(self) -> WorkerRound:
        with self.session_factory() as session, session.begin():
            ended = end_expired_sessions(session, self.settings)
        if ended:
            log.info("%d session(s) over their limits ended", ended)
        return WorkerRound(ended, self.deliverer.deliver_due())

    def run(self, stop: threading.Event) -> None:
        """Rounds every ``logout_worker_interval`` seconds until *stop* is set; a failed round is logged and
        the next one tries again."""
        while not stop.is_set():
            try:
                self.run_round()
            except DBAPIError as error:  # down, or not migrated yet: one line per round, not a traceback
                log.warning("logout worker round failed, the database refused: %s", database_error_line(error))
            except Exception:
                log.exception("logout worker round failed")
            stop.wait(self.settings.logout_worker_interval)

    def start(self) -> threading.Event:
        """Run in a daemon thread of this process; set the returned event to stop it."""
        stop = threading.Event()
        threading.Thread(target=self.run, args=(stop,), name="logout-worker", daemon=True).start()
        return stop
