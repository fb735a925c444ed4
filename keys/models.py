"""Signing-key models: the keys with their lifecycle, and the row that key maintenance locks."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import CheckConstraint, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from identity.db import Base
from identity.models.columns import enum_type
from identity.types import created_at, optional_timestamp


class Algorithm(StrEnum):
    """JWS algorithms we sign with. RS256 is the one every OpenID Connect relying party must support."""

    RS256 = "RS256"
    ES256 = "ES256"
    EDDSA = "EdDSA"


class KeyState(StrEnum):
    """next → current → retired → removed; only ``current`` signs, all but ``removed`` are published."""

    NEXT = "next"
    CURRENT = "current"
    RETIRED = "retired"
    REMOVED = "removed"


#: States whose keys appear in the JWKS and verify tokens.
PUBLISHED_STATES = (KeyState.NEXT, KeyState.CURRENT, KeyState.RETIRED)


class SigningKey(Base):
    """One key pair. The private half is sealed with the key-encryption key and wiped on removal.

    A removed key keeps its row (kid, public JWK, dates) so that the audit trail and an investigator
    can still tell which key signed an old token; only the private material is gone.
    """

    __tablename__ = "signing_keys"
    __table_args__ = (
        # At most one next and one current key per algorithm, enforced by the database on both dialects.
        Index(
            "uq_signing_keys_one_next_and_current_per_alg",
            "alg",
            "state",
            unique=True,
            sqlite_where=text("state IN ('next', 'current')"),
            postgresql_where=text("state IN ('next', 'current')"),
        ),
        CheckConstraint("(state = 'removed') = (sealed_private_key IS NULL)", name="private_key_until_removed"),
        CheckConstraint(
            "(state IN ('retired', 'removed')) = (retired_at IS NOT NULL AND remove_after IS NOT NULL)",
            name="retirement_dates",
        ),
        CheckConstraint("(state = 'removed') = (removed_at IS NOT NULL)", name="removal_date"),
    )

    #: RFC 7638 JWK thumbprint (SHA-256, base64url) of the public key: unique and derivable.
    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    alg: Mapped[Algorithm] = mapped_column(enum_type(Algorithm, "signing_alg"))
    state: Mapped[KeyState] = mapped_column(enum_type(KeyState, "signing_key_state"), index=True)
    #: The public JWK as JSON text (kty, kid, alg, use and n/e or crv/x/y): exactly what the JWKS shows.
    public_jwk: Mapped[str] = mapped_column(Text)
    #: ``identity.sealing`` envelope of the private JWK, bound to this kid; NULL once removed.
    sealed_private_key: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[created_at]
    #: When the key became current (started signing).
    activated_at: Mapped[optional_timestamp]
    #: When it stopped signing; it stays published until ``remove_after``.
    retired_at: Mapped[optional_timestamp]
    #: retired_at + the longest token lifetime + cache and clock-skew margins.
    remove_after: Mapped[optional_timestamp]
    removed_at: Mapped[optional_timestamp]


class SigningKeyLock(Base):
    """A single row that key maintenance locks, so that one process of many rotates.

    PostgreSQL: ``SELECT … FOR UPDATE`` (``SKIP LOCKED`` for the automatic path) on this row; SQLite:
    every transaction already holds the write lock (``BEGIN IMMEDIATE`` in ``identity.db``). The row
    is created on first use, so a fresh or restored database needs no seeding.
    """

    __tablename__ = "signing_key_lock"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
