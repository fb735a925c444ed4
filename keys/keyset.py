"""The key ring of one process: the keys read from the database, cached for ``cache_ttl`` seconds.

Every process (worker, host) holds one :class:`KeyRing`. The first use after the cache has aged
``cache_ttl`` starts a refresh; if a bootstrap, rotation or removal is due, the refresh performs it in
a transaction under the maintenance lock (``keys.rotation``), so the schedule needs no operator, cron
job or leader, and every other process sees the result at its own next refresh.

The refresh runs beside the request, never inside it (stale-while-revalidate): the request that
found the cache old goes on with the keys it has, which are at most ``cache_ttl`` plus one refresh
old — the margins in ``KeyPolicy.remove_after`` cover that. This is what keeps a request that holds
a database transaction from waiting on a refresh that waits on that very transaction: on SQLite the
refresh needs the write lock the request holds; on PostgreSQL a rotation appends to the audit chain,
whose head row the request may have locked.

Everything a request needs is precomputed per refresh (``keys.snapshot``); requests only read it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import threading
from collections.abc import Callable

from joserfc.jwk import Key, KeySet
from sqlalchemy.orm import Session

from identity.db import database_error_line, is_database_unavailable
from identity.types import utcnow

from .errors import NoActiveKey, UnknownKid
from .generate import parse_algorithm
from .policy import KeyPolicy
from .rotation import AUTOMATIC_ACTOR, list_keys, needs_maintenance, run_due_maintenance
from .snapshot import KeySnapshot, build_snapshot

log = logging.getLogger(__name__)

#: Runs a refresh; the default starts a daemon thread, tests run it inline for determinism.
Spawn = Callable[[Callable[[], None]], object]


def in_daemon_thread(work: Callable[[], None]) -> None:
    threading.Thread(target=work, name="keys-refresh", daemon=True).start()


class KeyRing:
    """Thread-safe cached view of the signing keys, refreshed at most every ``policy.cache_ttl`` seconds.

    *session_factory* opens sessions on the service database; *kek* is the 32-byte key-encryption key;
    *clock* returns the current aware UTC time (tests move it); *actor* is recorded in the audit trail
    for automatic changes; *spawn* runs background refreshes.

    Call :meth:`refresh` once when the process starts, outside any database transaction: the very
    first load has no older keys to fall back on, so it runs in the caller.
    """

    def __init__(
        self,
        session_factory: Callable[[], Session],
        *,
        kek: bytes,
        policy: KeyPolicy,
        clock: Callable[[], dt.datetime] = utcnow,
        actor: str = AUTOMATIC_ACTOR,
        spawn: Spawn = in_daemon_thread,
    ) -> None:
        self.policy = policy
        self._session_factory = session_factory
        self._kek = kek
        self._clock = clock
        self._actor = actor
        self._spawn = spawn
        self._refreshing = threading.Lock()
        self._pid = os.getpid()
        self._snapshot: KeySnapshot | None = None

    def now(self) -> dt.datetime:
        """The ring's clock; token verification judges ``exp`` and ``nbf`` by it."""
        return self._clock()

    def refresh(self) -> None:
        """Re-read the keys now, in the caller, running due maintenance; waits for a refresh in progress."""
        with self._refreshing:
            self._snapshot = self._load(self._snapshot)

    def forget(self) -> None:
        """Drop the keys held in memory; the next use reads them again (after the database was emptied or
        restored from elsewhere, say, when keys this ring holds may no longer exist)."""
        with self._refreshing:
            self._snapshot = None

    def jwks_document(self) -> tuple[bytes, str]:
        """The JWKS (RFC 7517 §5) as JSON bytes and its strong ETag, both computed once per refresh."""
        snapshot = self._view()
        return snapshot.jwks, snapshot.etag

    def current(self, alg: str) -> Key:
        """The private key that signs *alg* now (joserfc key with ``kid``, ``alg`` and ``use=sig``)."""
        algorithm = parse_algorithm(alg)
        key = self._view().signing.get(algorithm)
        if key is None:
            raise NoActiveKey(f"There is no current {algorithm.value} signing key; run `idp keys list` to create one.")
        return key

    def private_key_set(self) -> KeySet:
        """The current private key of every algorithm, for Authlib.

        joserfc picks the key whose ``alg`` matches the header and writes its kid into the header, so
        this is what ``OpenIDCode.resolve_client_private_key`` and ``JWTBearerTokenGenerator.get_jwks``
        should return. Next and retired keys are never in it: they must not sign.
        """
        return self._view().signing_set

    def public_key(self, kid: str) -> Key:
        """The published public key with this kid, or :class:`UnknownKid`."""
        key = self._view().published.get(kid)
        if key is None:
            raise UnknownKid("The token names a signing key that this provider does not publish.")
        return key

    def _view(self) -> KeySnapshot:
        if os.getpid() != self._pid:  # forked with a refresh in flight: its thread did not come along
            self._refreshing, self._pid = threading.Lock(), os.getpid()
        if self._snapshot is None:
            with self._refreshing:
                if self._snapshot is None:
                    self._snapshot = self._load(None)
        elif not self._fresh(self._snapshot) and self._refreshing.acquire(blocking=False):
            try:
                self._spawn(self._refresh_in_background)
            except RuntimeError:  # no thread could be started; keep the keys we have, retry on next use
                self._refreshing.release()
        snapshot = self._snapshot
        assert snapshot is not None
        return snapshot

    def _refresh_in_background(self) -> None:
        """Replace the snapshot; on failure keep the old keys for one more TTL. Releases ``_refreshing``."""
        try:
            self._snapshot = self._load(self._snapshot)
        except Exception as error:
            if is_database_unavailable(error):  # one line per cache_ttl for as long as it lasts, no traceback
                log.error(
                    "refreshing the signing keys failed, the database is unavailable (%s); keeping the keys "
                    "loaded before",
                    database_error_line(error),
                )
            else:
                log.exception("refreshing the signing keys failed; keeping the keys loaded before")
            if self._snapshot is not None:
                self._snapshot = dataclasses.replace(self._snapshot, loaded_at=self._clock())
        finally:
            self._refreshing.release()

    def _fresh(self, snapshot: KeySnapshot) -> bool:
        age = (self._clock() - snapshot.loaded_at).total_seconds()
        return 0 <= age < self.policy.cache_ttl  # a clock that went backwards also forces a refresh

    def _load(self, previous: KeySnapshot | None) -> KeySnapshot:
        now = self._clock()
        with self._session_factory() as session:
            keys = list_keys(session, include_removed=False)
            if needs_maintenance(keys, self.policy, now):
                report = run_due_maintenance(session, kek=self._kek, policy=self.policy, now=now, actor=self._actor)
                if report.changed:
                    log.info("signing keys changed: %s", report.as_dict())
                keys = list_keys(session, include_removed=False)  # with whatever another process just did
            snapshot = build_snapshot(keys, kek=self._kek, now=now, previous=previous)
            session.commit()
        return snapshot
