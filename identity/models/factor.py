"""An account's second factor and what guards its use: the TOTP seed, recovery codes, failure counters.

Each is keyed by ``account_id`` in a table of its own, so the account row itself does not change.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base
from ..types import UTCDateTime, created_at
from .columns import id_type


class OtpFactor(Base):
    """The account's TOTP seed (RFC 6238), sealed with the key-encryption key; one row per account.

    A seed counts once the holder proved their app with one code (``confirmed_at``). Enrolling again puts
    the new seed beside the working one (``pending_seed_sealed``); it replaces it only when confirmed, so a
    half-finished replacement never locks anyone out. ``last_step`` is the time step of the last accepted
    code: a code of that step or an earlier one is refused (replay), by one conditional UPDATE, so two
    processes cannot both accept the same code.
    """

    __tablename__ = "otp_factors"

    id: Mapped[int] = mapped_column(id_type, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), unique=True)
    seed_sealed: Mapped[str | None] = mapped_column(Text)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_step: Mapped[int | None] = mapped_column(BigInteger)
    pending_seed_sealed: Mapped[str | None] = mapped_column(Text)
    pending_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[created_at]


class RecoveryCode(Base):
    """One of the account's ten recovery codes, as a SHA-256 digest (the codes carry 80 random bits)."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(id_type, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[created_at]
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class Throttle(Base):
    """Consecutive failures of one factor of one account (``password`` or ``otp``), shared by every process.

    A few failures are free; then each attempt must wait until ``retry_at``, longer after each failure;
    at the limit the factor is locked (``locked_at``) until a supervisor lifts it. A success clears it.
    """

    __tablename__ = "throttles"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    factor: Mapped[str] = mapped_column(String(20), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    retry_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    locked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class SignInAttempt(Base):
    """One attempt at one step of signing in, for the citizen's account page and the auditors.

    Never the password or code; for a PIN that names no account, no trace of the PIN either.
    """

    __tablename__ = "sign_in_attempts"
    __table_args__ = (Index("ix_sign_in_attempts_account_id_at", "account_id", "at"),)

    id: Mapped[int] = mapped_column(id_type, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    #: The portal the citizen came from, if any.
    client_id: Mapped[str | None] = mapped_column(String(64))
    #: password, otp or recovery_code.
    step: Mapped[str] = mapped_column(String(20))
    #: success or failure.
    outcome: Mapped[str] = mapped_column(String(20))
    #: Why a failure failed, as a class: wrong_secret, unknown_account, not_active, throttled, locked, replayed.
    reason: Mapped[str | None] = mapped_column(String(40))
    #: The client's address as the service sees it (through trusted proxies only).
    address: Mapped[str | None] = mapped_column(String(45))
