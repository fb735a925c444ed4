"""The key ring of one process: the keys read from the database, cached for ``cache_ttl`` seconds.

Every process (worker, host) holds one :class:`KeyRing`. Once per ``cache_ttl`` the first caller
re-reads the keys, and if a rotation, a removal or the bootstrap is due it runs it right there, in a
transaction under the maintenance lock, so the schedule needs no operator, cron job or leader. Any
other process sees the result at its own next refresh, so a rotation reaches every process within
``cache_ttl``.

Everything a request needs is precomputed per refresh and immutable: the JWKS bytes and their ETag,
the public keys by kid, the current private key of each algorithm. Requests only read the snapshot;
while one thread refreshes, the others keep using the previous one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from joserfc.jwk import Key, KeySet
from sqlalchemy.orm import Session

from identity.types import utcnow

from .errors import NoActiveKey, UnknownKid
from .generate import parse_algorithm
from .material import private_key, public_key
from .models import Algorithm, KeyState, SigningKey
from .policy import KeyPolicy
from .rotation import AUTOMATIC_ACTOR, list_keys, needs_maintenance, run_due_maintenance

_JWKS_ORDER = {KeyState.CURRENT: 0, KeyState.NEXT: 1, KeyState.RETIRED: 2}


@dataclass(frozen=True, slots=True)
class _Snapshot:
    loaded_at: dt.datetime
    signing: Mapping[Algorithm, Key]
    signing_set: KeySet
    published: Mapping[str, Key]
    jwks: bytes
    etag: str


class KeyRing:
    """Thread-safe cached view of the signing keys, refreshed at most every ``policy.cache_ttl`` seconds.

    *session_factory* opens sessions on the service database; *kek* is the 32-byte key-encryption key;
    *clock* returns the current aware UTC time (tests move it forward); *actor* is recorded in the audit
    trail for automatic rotations and removals.
    """

    def __init__(
        self,
        session_factory: Callable[[], Session],
        *,
        kek: bytes,
        policy: KeyPolicy,
        clock: Callable[[], dt.datetime] = utcnow,
        actor: str = AUTOMATIC_ACTOR,
    ) -> None:
        self.policy = policy
        self._session_factory = session_factory
        self._kek = kek
        self._clock = clock
        self._actor = actor
        self._lock = threading.Lock()
        self._snapshot: _Snapshot | None = None

    def now(self) -> dt.datetime:
        """The ring's clock; token verification judges ``exp`` and ``nbf`` by it."""
        return self._clock()

    def refresh(self) -> None:
        """Re-read the keys now (running due maintenance), regardless of the cache age."""
        with self._lock:
            self._snapshot = self._load(self._snapshot)

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

    def _view(self) -> _Snapshot:
        snapshot = self._snapshot
        if snapshot is not None and self._fresh(snapshot):
            return snapshot
        if not self._lock.acquire(blocking=snapshot is None):
            assert snapshot is not None
            return snapshot  # another thread is refreshing; this copy is at most one cache TTL old
        try:
            if self._snapshot is None or not self._fresh(self._snapshot):
                self._snapshot = self._load(self._snapshot)
            return self._snapshot
        finally:
            self._lock.release()

    def _fresh(self, snapshot: _Snapshot) -> bool:
        age = (self._clock() - snapshot.loaded_at).total_seconds()
        return 0 <= age < self.policy.cache_ttl  # a clock that went backwards also forces a refresh

    def _load(self, previous: _Snapshot | None) -> _Snapshot:
        now = self._clock()
        with self._session_factory() as session:
            keys = list_keys(session, include_removed=False)
            if needs_maintenance(keys, self.policy, now):
                run_due_maintenance(session, kek=self._kek, policy=self.policy, now=now, actor=self._actor)
                keys = list_keys(session, include_removed=False)
            snapshot = self._build(keys, now, previous)
            session.commit()
        return snapshot

    def _build(self, keys: Iterable[SigningKey], now: dt.datetime, previous: _Snapshot | None) -> _Snapshot:
        """Keys from the rows, reusing the previous snapshot's parsed keys so a refresh rarely unseals."""
        old_public = previous.published if previous else {}
        old_private = {key.kid: key for key in previous.signing.values()} if previous else {}
        live = sorted(
            (k for k in keys if k.state is not KeyState.RETIRED or (k.remove_after and k.remove_after > now)),
            key=lambda k: (k.alg.value, _JWKS_ORDER[k.state], k.kid),
        )
        published = {k.kid: old_public.get(k.kid) or public_key(k) for k in live}
        signing = {
            k.alg: old_private.get(k.kid) or private_key(self._kek, k) for k in live if k.state is KeyState.CURRENT
        }
        document = {"keys": [published[k.kid].as_dict(private=False) for k in live]}
        jwks = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
        etag = f'"{hashlib.sha256(jwks).hexdigest()[:32]}"'
        return _Snapshot(now, signing, KeySet(list(signing.values())), published, jwks, etag)
