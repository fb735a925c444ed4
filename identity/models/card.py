"""Citizen identity card records bound to a person."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base
from ..types import UTCDateTime, created_at
from ..vocabulary import CardStatus
from .columns import enum_type, id_type


class CitizenCard(Base):
    """One issued card. At most one card per person is valid; replacing it closes the old one."""

    __tablename__ = "citizen_cards"
    __table_args__ = (
        # The database itself enforces "at most one valid card per person", on both dialects.
        Index(
            "uq_citizen_cards_one_valid_per_person",
            "person_id",
            unique=True,
            sqlite_where=text("status = 'valid'"),
            postgresql_where=text("status = 'valid'"),
        ),
    )

    id: Mapped[int] = mapped_column(id_type, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    #: Equal to the holder's PIN for citizen identity cards (Law 2014 Art. 19(2)).
    number: Mapped[str] = mapped_column(String(12), index=True)
    #: The old 9-digit identity-card (CMND) number, unrelated to the PIN.
    legacy_number: Mapped[str | None] = mapped_column(String(9), index=True)
    issued_on: Mapped[dt.date] = mapped_column(Date)
    #: None when the card never expires (issued within two years of the last age milestone or later).
    expires_on: Mapped[dt.date | None] = mapped_column(Date)
    authority: Mapped[str] = mapped_column(String(200))
    status: Mapped[CardStatus] = mapped_column(enum_type(CardStatus, "card_status"), default=CardStatus.VALID)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    close_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[created_at]
