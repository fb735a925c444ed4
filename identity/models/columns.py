"""Column helpers shared by the register's models."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import BigInteger, Enum, Integer

#: 64-bit keys on PostgreSQL; SQLite only auto-increments a column declared INTEGER.
id_type = BigInteger().with_variant(Integer(), "sqlite")


def enum_type(enum: type[StrEnum], name: str) -> Enum:
    """Store an enum by value in a VARCHAR with a named CHECK constraint, the same on every database."""
    return Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(member.value) for member in enum),
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )
