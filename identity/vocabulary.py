"""The small closed vocabularies of the register, stored by value."""

from __future__ import annotations

from enum import StrEnum


class Sex(StrEnum):
    MALE = "male"
    FEMALE = "female"


class PersonStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    DECEASED = "deceased"


class CardStatus(StrEnum):
    VALID = "valid"
    CLOSED = "closed"
