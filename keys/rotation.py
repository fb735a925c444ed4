"""The key lifecycle next → current → retired → removed, changed in one locked, audited transaction.

Order of a rotation, per algorithm: the current key retires (it stays published until
``remove_after``), the next key — published since the previous rotation — becomes current, and a new
next key is created and published. So every key is in the JWKS before it signs and after its last
token expires.

Concurrency: every change first takes the :class:`~keys.models.SigningKeyLock` row and then re-reads
the keys, so two processes that both decided "rotation is due" rotate once. The automatic path
(:func:`run_due_maintenance`) skips when another process holds the lock; the operator's path waits.
Like every domain service, these functions flush and never commit.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from identity import audit
from identity.db import is_postgresql

from .errors import NextKeyNotPublished
from .generate import generate_key
from .material import seal_private_key
from .models import Algorithm, KeyState, SigningKey, SigningKeyLock
from .policy import KeyPolicy

#: Actor recorded in the audit trail for changes that no person asked for.
AUTOMATIC_ACTOR = "system:key-rotation"
_LOCK_ID = 1
_STATE_ORDER = {KeyState.CURRENT: 0, KeyState.NEXT: 1, KeyState.RETIRED: 2, KeyState.REMOVED: 3}


@dataclass(frozen=True, slots=True)
class Rotation:
    """One algorithm's rotation: which kid stopped signing (published until *remove_after*), which signs
    now, which is published to sign next."""

    alg: Algorithm
    retired: str
    promoted: str
    next: str
    remove_after: dt.datetime

    def as_dict(self) -> dict[str, str]:
        return {
            "alg": self.alg.value,
            "retired": self.retired,
            "promoted": self.promoted,
            "next": self.next,
            "remove_after": self.remove_after.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class MaintenanceReport:
    """What one maintenance transaction changed (kids); empty when nothing was due or the lock was busy."""

    created: tuple[str, ...] = ()
    rotations: tuple[Rotation, ...] = ()
    removed: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.created or self.rotations or self.removed)

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": list(self.created),
            "rotations": [rotation.as_dict() for rotation in self.rotations],
            "removed": list(self.removed),
        }


def list_keys(session: Session, *, include_removed: bool = True) -> list[SigningKey]:
    """Keys by algorithm, then current, next, retired, removed, newest first within a state."""
    query = select(SigningKey)
    if not include_removed:
        query = query.where(SigningKey.state != KeyState.REMOVED)
    keys = list(session.scalars(query))
    keys.sort(key=lambda k: k.created_at, reverse=True)
    keys.sort(key=lambda k: (k.alg.value, _STATE_ORDER[k.state]))
    return keys


def needs_maintenance(keys: Iterable[SigningKey], policy: KeyPolicy, now: dt.datetime) -> bool:
    """Whether *keys* (the live ones) call for bootstrap, rotation or removal at *now*; no database access."""
    keys = list(keys)
    slots = _slots(keys)
    for alg in Algorithm:
        current, next_key = slots.get((alg, KeyState.CURRENT)), slots.get((alg, KeyState.NEXT))
        if current is None or next_key is None or policy.rotation_due(current, next_key, now):
            return True
    return bool(_expired(keys, now))


def ensure_keys(session: Session, *, kek: bytes, actor: str, now: dt.datetime) -> tuple[str, ...]:
    """Create a current and a next key for every algorithm that lacks one; returns the new kids."""
    _lock(session, wait=True)
    return _ensure(session, kek=kek, actor=actor, now=now)


def rotate_keys(
    session: Session,
    *,
    kek: bytes,
    policy: KeyPolicy,
    actor: str,
    now: dt.datetime,
    algorithms: Sequence[Algorithm] = tuple(Algorithm),
    reason: str | None = None,
    force: bool = False,
) -> MaintenanceReport:
    """The operator's rotation of *algorithms*, now, whatever the current keys' age; waits for a concurrent
    rotator. Refused (NextKeyNotPublished, nothing changed) while a next key has been published for less
    than the policy's lead, unless *force*: relying parties could not verify what it signs yet."""
    _lock(session, wait=True)
    created = _ensure(session, kek=kek, actor=actor, now=now)
    slots = _slots(_live(session))
    if not force:
        _refuse_unpublished(slots, algorithms, policy, now)
    rotations = tuple(
        _rotate(session, slots, alg, kek=kek, policy=policy, actor=actor, now=now, reason=reason)
        for alg in dict.fromkeys(algorithms)
    )
    return MaintenanceReport(created, rotations, _remove_expired(session, actor=actor, now=now))


def run_due_maintenance(
    session: Session, *, kek: bytes, policy: KeyPolicy, now: dt.datetime, actor: str = AUTOMATIC_ACTOR
) -> MaintenanceReport:
    """Bootstrap, rotate and remove whatever is due at *now*; does nothing if another process is at it."""
    if not _lock(session, wait=False):
        return MaintenanceReport()
    created = _ensure(session, kek=kek, actor=actor, now=now)
    slots = _slots(_live(session))
    reason = f"scheduled: the current key is older than {policy.rotation_interval} s"
    rotations = tuple(
        _rotate(session, slots, alg, kek=kek, policy=policy, actor=actor, now=now, reason=reason)
        for alg in Algorithm
        if policy.rotation_due(slots[alg, KeyState.CURRENT], slots[alg, KeyState.NEXT], now)
    )
    return MaintenanceReport(created, rotations, _remove_expired(session, actor=actor, now=now))


def _refuse_unpublished(
    slots: dict[tuple[Algorithm, KeyState], SigningKey],
    algorithms: Sequence[Algorithm],
    policy: KeyPolicy,
    now: dt.datetime,
) -> None:
    for alg in algorithms:
        next_key = slots[alg, KeyState.NEXT]
        ready = policy.may_sign_from(next_key)
        if ready > now:
            age = int((now - next_key.created_at).total_seconds())
            raise NextKeyNotPublished(
                f"The next {alg.value} key {next_key.kid} was published {age} s ago; relying parties may not "
                f"see it until {ready.isoformat(timespec='seconds')}. Rotate then, or now with force (for a "
                "compromised key) if some relying parties may fail to verify new tokens until they refetch the JWKS."
            )


def _lock(session: Session, *, wait: bool) -> bool:
    """Take the maintenance lock row; False only when *wait* is off and another transaction holds it."""
    locked = select(SigningKeyLock.id).where(SigningKeyLock.id == _LOCK_ID).with_for_update(skip_locked=not wait)
    if session.execute(locked).first() is not None:
        return True
    if session.execute(select(SigningKeyLock.id).where(SigningKeyLock.id == _LOCK_ID)).first() is not None:
        return False  # the row exists, so SKIP LOCKED skipped it: another process is maintaining the keys
    insert = (postgresql.insert if is_postgresql(session) else sqlite.insert)(SigningKeyLock)
    session.execute(insert.values(id=_LOCK_ID).on_conflict_do_nothing())
    return session.execute(locked).first() is not None


def _live(session: Session) -> list[SigningKey]:
    query = select(SigningKey).where(SigningKey.state != KeyState.REMOVED).execution_options(populate_existing=True)
    return list(session.scalars(query))


def _slots(keys: Iterable[SigningKey]) -> dict[tuple[Algorithm, KeyState], SigningKey]:
    return {(k.alg, k.state): k for k in keys if k.state in (KeyState.NEXT, KeyState.CURRENT)}


def _expired(keys: Iterable[SigningKey], now: dt.datetime) -> list[SigningKey]:
    return [k for k in keys if k.state is KeyState.RETIRED and k.remove_after is not None and k.remove_after <= now]


def _ensure(session: Session, *, kek: bytes, actor: str, now: dt.datetime) -> tuple[str, ...]:
    slots = _slots(_live(session))
    created = [
        _create(session, alg, state, kek=kek, actor=actor, now=now)
        for alg in Algorithm
        for state in (KeyState.CURRENT, KeyState.NEXT)
        if (alg, state) not in slots
    ]
    return tuple(key.kid for key in created)


def _create(
    session: Session, alg: Algorithm, state: KeyState, *, kek: bytes, actor: str, now: dt.datetime
) -> SigningKey:
    new = generate_key(alg)
    key = SigningKey(
        kid=new.kid,
        alg=alg,
        state=state,
        public_jwk=json.dumps(new.public_jwk, sort_keys=True, separators=(",", ":")),
        sealed_private_key=seal_private_key(kek, new),
        created_at=now,
        activated_at=now if state is KeyState.CURRENT else None,
    )
    session.add(key)
    session.flush()
    _audit(session, "signing_key.created", actor, key, details={"alg": alg.value, "state": state.value})
    return key


def _rotate(
    session: Session,
    slots: dict[tuple[Algorithm, KeyState], SigningKey],
    alg: Algorithm,
    *,
    kek: bytes,
    policy: KeyPolicy,
    actor: str,
    now: dt.datetime,
    reason: str | None,
) -> Rotation:
    current, next_key = slots[alg, KeyState.CURRENT], slots[alg, KeyState.NEXT]
    # One flush per step: the unique index allows one current and one next per algorithm at every moment.
    current.state, current.retired_at, current.remove_after = KeyState.RETIRED, now, policy.remove_after(now)
    session.flush()
    next_key.state, next_key.activated_at = KeyState.CURRENT, now
    session.flush()
    new_next = _create(session, alg, KeyState.NEXT, kek=kek, actor=actor, now=now)
    rotation = Rotation(alg, current.kid, next_key.kid, new_next.kid, policy.remove_after(now))
    _audit(session, "signing_key.rotated", actor, next_key, reason=reason, details=rotation.as_dict())
    return rotation


def _remove_expired(session: Session, *, actor: str, now: dt.datetime) -> tuple[str, ...]:
    """Retired keys whose tokens have all expired leave the JWKS; their private material is wiped."""
    removed = _expired(_live(session), now)
    for key in removed:
        key.state, key.sealed_private_key, key.removed_at = KeyState.REMOVED, None, now
        session.flush()
        _audit(
            session,
            "signing_key.removed",
            actor,
            key,
            reason="every token it signed has expired",
            details={"alg": key.alg.value, "retired_at": key.retired_at},
        )
    return tuple(key.kid for key in removed)


def _audit(
    session: Session,
    action: str,
    actor: str,
    key: SigningKey,
    *,
    reason: str | None = None,
    details: dict[str, Any],
) -> None:
    audit.record(session, audit.Event(action, actor, f"signing_key:{key.kid}", reason, details))
