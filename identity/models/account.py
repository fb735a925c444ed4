"""E-ID accounts: one per person, with its state, identity level and password, and its activation code.

Whether an account may sign in is derived at sign-in time from both its own state and its person's
register status; the person's status is never copied here. The second factor and its guards have
tables of their own keyed by ``account_id`` (``factor.py``), so they do not change this one.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base
from ..types import UTCDateTime, created_at
from .card import CitizenCard
from .columns import enum_type, id_type
from .person import Person


class AccountStatus(StrEnum):
    PENDING_ACTIVATION = "pending_activation"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"


class Account(Base):
    """A person's e-ID account. ``identity_level`` 1: opened from the register and activated online;
    2: the person was verified in person by a registrar against their valid citizen card."""

    __tablename__ = "accounts"
    __table_args__ = (CheckConstraint("identity_level IN (1, 2)", name="identity_level"),)

    id: Mapped[int] = mapped_column(id_type, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), unique=True)
    person: Mapped[Person] = relationship(lazy="joined", innerjoin=True)
    status: Mapped[AccountStatus] = mapped_column(
        enum_type(AccountStatus, "account_status"), default=AccountStatus.PENDING_ACTIVATION
    )
    status_reason: Mapped[str | None] = mapped_column(String(500))
    status_changed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    identity_level: Mapped[int] = mapped_column(Integer, default=1)
    #: Level 2 evidence: which registrar, when, and which card they checked.
    verified_by: Mapped[str | None] = mapped_column(String(100))
    verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    verified_card_id: Mapped[int | None] = mapped_column(ForeignKey("citizen_cards.id"))
    verified_card: Mapped[CitizenCard | None] = relationship()
    #: argon2id PHC string; it records its own parameters, so they can be raised with rehash-on-login.
    password_hash: Mapped[str | None] = mapped_column(String(200))
    password_changed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[created_at]
    activated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    activation_code: Mapped[ActivationCode | None] = relationship(back_populates="account")


class ActivationCode(Base):
    """The account's current one-time activation code, as a SHA-256 digest only.

    One row per account: issuing a new code overwrites the digest and clears the counters, which is
    what invalidates the old code. ``used_at`` is set by a conditional UPDATE, so a code is used once.
    """

    __tablename__ = "activation_codes"

    id: Mapped[int] = mapped_column(id_type, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), unique=True)
    account: Mapped[Account] = relationship(back_populates="activation_code")
    code_hash: Mapped[str] = mapped_column(String(64))
    issued_by: Mapped[str] = mapped_column(String(100))
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    #: Wrong codes tried since this code was issued; at the limit the code is dead until a new one is issued.
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
