"""The append-only, hash-chained audit trail."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base
from ..types import UTCDateTime


class AuditEvent(Base):
    """One event. ``hash`` = SHA-256 over the previous event's hash and this event's canonical content."""

    __tablename__ = "audit_events"

    #: Position in the chain, assigned under the head lock: 1, 2, 3 … without gaps.
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(100), index=True)
    #: What the event is about, e.g. ``person:42`` or ``client:portal-hanoi``.
    subject: Mapped[str | None] = mapped_column(String(100), index=True)
    reason: Mapped[str | None] = mapped_column(String(500))
    #: Canonical JSON text, stored as text so that no database re-orders or re-spaces it.
    details: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Base):
    """The single row naming the last event, so that deleting the newest events is detected too.

    Appending takes this row's lock, which orders concurrent writers into one chain.
    """

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
