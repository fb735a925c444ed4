"""Active clients cached in-process for a few seconds: the token endpoint's one database read, mostly gone.

Every token, revocation, introspection and authorization request starts by reading its client. On
one core that read was a large share of a client_credentials request (docs/performance.md), and a
client changes rarely, so each process keeps the active clients it has read for ``ttl`` seconds
(``IDP_CLIENT_CACHE_TTL``, 2 by default; 0 turns the cache off).

What that means for a client administrator:

* a suspension, restoration or secret rotation made in this process (the admin console, a test)
  takes effect here at once: any change to a client row flushed by this process empties its entry;
* made elsewhere (``idp clients suspend`` on another host), it takes effect on every worker within
  ``ttl`` seconds. An unknown or suspended client is never cached, so a newly registered or restored
  client is usable at once everywhere.

A client is read in the request's own session (on SQLite a second connection would wait for the
write lock that very request may hold) and, before it is shared, expunged from it: no request's
session, and no request's rollback, ever touches the shared copy; requests only read it.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, object_session

from clients import Client, find_active_client

_ALL: weakref.WeakSet[ActiveClients] = weakref.WeakSet()
_ALL_LOCK = threading.Lock()
#: ``Session.info`` key: client_ids this session changed, forgotten again when it commits.
_CHANGED = "idp.changed_client_ids"


@dataclass(frozen=True, slots=True)
class _Entry:
    client: Client
    loaded_at: float


class ActiveClients:
    """``get(client_id)``: the active client, from the cache while it is younger than ``ttl`` seconds."""

    def __init__(self, *, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        with _ALL_LOCK:
            _ALL.add(self)

    def cached(self, client_id: str) -> Client | None:
        """The active client from the cache if its entry is younger than ``ttl``; None otherwise."""
        entry = self._entries.get(client_id)
        if entry is not None and 0 <= self._clock() - entry.loaded_at < self._ttl:
            return entry.client
        return None

    def get(self, session: Session, client_id: str) -> Client | None:
        """The active client with this id (None if unknown or suspended); *session* reads it on a miss."""
        cached = self.cached(client_id)
        if cached is not None:
            return cached
        now = self._clock()
        client = find_active_client(session, client_id)
        if client is None:
            self._entries.pop(client_id, None)
        elif self._ttl > 0:
            session.expunge(client)
            self._entries[client_id] = _Entry(client, now)
        return client

    def forget(self, client_id: str) -> None:
        self._entries.pop(client_id, None)


def _forget_everywhere(client_id: str) -> None:
    with _ALL_LOCK:
        caches = list(_ALL)
    for cache in caches:
        cache.forget(client_id)


@event.listens_for(Client, "after_update")
@event.listens_for(Client, "after_delete")
def _client_changed(_mapper: Any, _connection: Any, target: Client) -> None:
    """A client row written by this process: every cache here forgets it now, and again at commit
    (a request that read the old row between this flush and the commit must not keep it)."""
    _forget_everywhere(target.client_id)
    session = object_session(target)
    if session is not None:
        session.info.setdefault(_CHANGED, set()).add(target.client_id)


@event.listens_for(Session, "after_commit")
def _changes_committed(session: Session) -> None:
    for client_id in session.info.pop(_CHANGED, ()):
        _forget_everywhere(client_id)
