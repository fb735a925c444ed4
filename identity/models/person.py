"""A person in the population register, and the history of their PINs."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base
from ..types import UTCDateTime, created_at, reason_text, utcnow
from ..vocabulary import PersonStatus, Sex
from .columns import enum_type, id_type


class Person(Base):
    """The surrogate ``id`` is the identity; the PIN is a unique attribute that can be re-established."""

    __tablename__ = "persons"
    __table_args__ = (
        CheckConstraint("length(pin) = 12", name="pin_length"),
        CheckConstraint("length(birth_place) = 3", name="birth_place_length"),
        # Partial: half of all persons have no source_ref, and an index entry for each would cost
        # every bulk import a B-tree insert per row for nothing.
        Index(
            "uq_persons_source_ref",
            "source_ref",
            unique=True,
            sqlite_where=text("source_ref IS NOT NULL"),
            postgresql_where=text("source_ref IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(id_type, primary_key=True)
    pin: Mapped[str] = mapped_column(String(12), unique=True)
    #: Comma-separated structural problems of a legacy PIN, kept as found (never silently fixed).
    pin_problems: Mapped[str | None] = mapped_column(String(200))
    full_name: Mapped[str] = mapped_column(String(200))
    family_name: Mapped[str | None] = mapped_column(String(100))
    middle_name: Mapped[str | None] = mapped_column(String(100))
    given_name: Mapped[str | None] = mapped_column(String(100))
    #: Tone-free lower-case key for search only; never for matching identities. Not indexed: name
    #: search matches word beginnings anywhere in it, which no B-tree serves, and an index here cost
    #: every bulk import about a quarter of its time.
    name_key: Mapped[str] = mapped_column(String(200))
    birth_date: Mapped[dt.date] = mapped_column(Date)
    sex: Mapped[Sex] = mapped_column(enum_type(Sex, "sex"))
    birth_place: Mapped[str] = mapped_column(String(3))
    nationality: Mapped[str] = mapped_column(String(2), default="VN")
    place_of_origin: Mapped[str | None] = mapped_column(String(300))
    residence: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[PersonStatus] = mapped_column(enum_type(PersonStatus, "person_status"), default=PersonStatus.ACTIVE)
    status_reason: Mapped[str | None] = mapped_column(String(500))
    status_changed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    died_on: Mapped[dt.date | None] = mapped_column(Date)
    #: Content hash of the import row that created a person without a PIN, for idempotent re-imports.
    source_ref: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[created_at]
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    @property
    def flagged(self) -> bool:
        return self.pin_problems is not None


class PinChange(Base):
    """A cancelled PIN and the one that replaced it (Circular 59/2021 Art. 6). Old PINs are never reissued."""

    __tablename__ = "pin_changes"

    id: Mapped[int] = mapped_column(id_type, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    old_pin: Mapped[str] = mapped_column(String(12), unique=True)
    new_pin: Mapped[str] = mapped_column(String(12))
    reason: Mapped[reason_text]
    actor: Mapped[str] = mapped_column(String(100))
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
