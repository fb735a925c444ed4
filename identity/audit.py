"""The audit trail: append-only events chained by SHA-256, written in the caller's transaction.

Audit is an explicit call inside the same unit of work as the change it records, never a signal
handler, so an event exists if and only if its change was committed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from .db import is_postgresql
from .errors import AuditChainBroken
from .models import AuditEvent, AuditHead
from .types import utcnow

GENESIS_HASH = "0" * 64
_HEAD_ID = 1


@dataclass(frozen=True, slots=True)
class Event:
    """What happened, who did it, to what, why; ``details`` must be JSON-serialisable."""

    action: str
    actor: str
    subject: str | None = None
    reason: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ChainReport:
    """Outcome of a verification: how many events checked, and the first broken one if any."""

    checked: int
    broken_seq: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken_seq is None and self.problem is None


def canonical_details(details: Mapping[str, Any]) -> str:
    return json.dumps(details, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def chain_hash(
    prev_hash: str,
    *,
    seq: int,
    occurred_at: dt.datetime,
    actor: str,
    action: str,
    subject: str | None,
    reason: str | None,
    details: str,
) -> str:
    """SHA-256 of the previous hash and every stored field of the event, in a fixed order."""
    content = json.dumps(
        [seq, occurred_at.isoformat(timespec="microseconds"), actor, action, subject, reason, details],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(f"{prev_hash}\n{content}".encode()).hexdigest()


def record(session: Session, event: Event) -> None:
    """Append one event in the caller's transaction."""
    record_many(session, [event])


def record_many(session: Session, events: Iterable[Event]) -> int:
    """Append events in order under one head lock; returns how many were written."""
    head = _lock_head(session)
    seq, prev_hash = head.seq, head.hash
    rows: list[dict[str, Any]] = []
    now = utcnow()
    for event in events:
        seq += 1
        details = canonical_details(event.details)
        digest = chain_hash(
            prev_hash,
            seq=seq,
            occurred_at=now,
            actor=event.actor,
            action=event.action,
            subject=event.subject,
            reason=event.reason,
            details=details,
        )
        rows.append(
            {
                "seq": seq,
                "occurred_at": now,
                "actor": event.actor,
                "action": event.action,
                "subject": event.subject,
                "reason": event.reason,
                "details": details,
                "prev_hash": prev_hash,
                "hash": digest,
            }
        )
        prev_hash = digest
    if rows:
        session.execute(insert(AuditEvent), rows)
        head.seq, head.hash = seq, prev_hash
        session.flush()
    return len(rows)


def _lock_head(session: Session) -> AuditHead:
    """Lock the head row (PostgreSQL row lock; SQLite transactions already hold the write lock)."""
    query = (
        select(AuditHead).where(AuditHead.id == _HEAD_ID).with_for_update().execution_options(populate_existing=True)
    )
    head = session.execute(query).scalar_one_or_none()
    if head is None:
        raise AuditChainBroken("The audit head row is missing; the trail cannot be extended until it is restored.")
    return head


def events_about(session: Session, subjects: Iterable[str], *, limit: int = 30) -> Sequence[AuditEvent]:
    """The newest events whose subject is one of *subjects* (a person and their account, say), newest first."""
    query = select(AuditEvent).where(AuditEvent.subject.in_(list(subjects))).order_by(AuditEvent.seq.desc())
    return session.scalars(query.limit(limit)).all()


def iter_events(session: Session, *, batch: int = 5000) -> Iterator[AuditEvent]:
    """All events in chain order, streamed."""
    query = select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=batch)
    yield from session.scalars(query)


def verify_chain(session: Session) -> ChainReport:
    """Recompute the chain; report the first event that was edited, removed or inserted out of order.

    Call it on a session with no transaction yet: on PostgreSQL it then reads the events and the head
    in one REPEATABLE READ snapshot, so events appended meanwhile by the live service are not mistaken
    for tampering (on SQLite the transaction already holds the write lock).
    """
    if is_postgresql(session) and not session.in_transaction():
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    prev_hash, checked = GENESIS_HASH, 0
    for event in iter_events(session):
        problem = _event_problem(event, checked + 1, prev_hash)
        if problem is not None:
            return ChainReport(checked, checked + 1, problem)
        prev_hash, checked = event.hash, checked + 1
        session.expunge(event)
    return _check_head(session.get(AuditHead, _HEAD_ID), checked, prev_hash)


def _event_problem(event: AuditEvent, expected_seq: int, prev_hash: str) -> str | None:
    """Why this event breaks the chain at position ``expected_seq``, or None when it is intact."""
    if event.seq != expected_seq:
        return (
            f"event {expected_seq} is missing (the next stored event is {event.seq}): "
            "it was deleted or the events were renumbered"
        )
    if event.prev_hash != prev_hash:
        return f"event {event.seq} does not link to the event before it"
    recomputed = chain_hash(
        prev_hash,
        seq=event.seq,
        occurred_at=event.occurred_at,
        actor=event.actor,
        action=event.action,
        subject=event.subject,
        reason=event.reason,
        details=event.details,
    )
    if recomputed != event.hash:
        return f"event {event.seq} was edited after it was written"
    return None


def _check_head(head: AuditHead | None, last_seq: int, last_hash: str) -> ChainReport:
    """The head names the newest event: it catches the newest events deleted, or events appended behind its back."""
    if head is None:
        return ChainReport(last_seq, None, "the audit head row is missing") if last_seq else ChainReport(0)
    if head.seq > last_seq:
        return ChainReport(
            last_seq,
            last_seq + 1,
            f"the trail ends at event {last_seq} but the head records event {head.seq}: the newest events were deleted",
        )
    if head.seq < last_seq:
        return ChainReport(
            last_seq,
            head.seq + 1,
            f"the head records event {head.seq} but the trail goes on to event {last_seq}: "
            f"event {head.seq + 1} and later were added outside the register",
        )
    if head.hash != last_hash:
        return ChainReport(last_seq, last_seq, f"event {last_seq} does not match the hash recorded in the head")
    return ChainReport(last_seq)
