"""A person's values under OpenID Connect claim names; release decisions belong to the provider."""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from sqlalchemy.orm import Session

from .models import Person
from .register import current_card
from .vocabulary import Sex


class PersonFacts(Protocol):
    """What the claims are made of: a :class:`Person`, or a row selected with the same column names."""

    @property
    def full_name(self) -> str: ...
    @property
    def family_name(self) -> str | None: ...
    @property
    def middle_name(self) -> str | None: ...
    @property
    def given_name(self) -> str | None: ...
    @property
    def birth_date(self) -> dt.date: ...
    @property
    def sex(self) -> Sex: ...
    @property
    def pin(self) -> str: ...
    @property
    def nationality(self) -> str: ...
    @property
    def residence(self) -> str | None: ...
    @property
    def updated_at(self) -> dt.datetime: ...


class CardFacts(Protocol):
    """The valid citizen card's part of the claims: a :class:`CitizenCard` or an equivalent row."""

    @property
    def number(self) -> str: ...
    @property
    def issued_on(self) -> dt.date: ...
    @property
    def expires_on(self) -> dt.date | None: ...
    @property
    def authority(self) -> str: ...


def person_claim_values(session: Session, person: Person) -> dict[str, Any]:
    """Every claim value the register holds for this person; absent values are left out."""
    return claim_values(person, current_card(session, person))


def claim_values(person: PersonFacts, card: CardFacts | None) -> dict[str, Any]:
    """The same from values already read (the provider's UserInfo reads person and card in one query)."""
    values: dict[str, Any] = {
        "name": person.full_name,
        "birthdate": person.birth_date.isoformat(),
        "gender": person.sex.value,
        "pin": person.pin,
        "nationality": person.nationality,
        "updated_at": int(person.updated_at.timestamp()),
    }
    for claim, value in (
        ("family_name", person.family_name),
        ("middle_name", person.middle_name),
        ("given_name", person.given_name),
    ):
        if value:
            values[claim] = value
    if person.residence:
        values["address"] = {"formatted": person.residence, "country": person.nationality}
    if card is not None:
        values["citizen_card"] = {
            "number": card.number,
            "issue_date": card.issued_on.isoformat(),
            "expiry_date": card.expires_on.isoformat() if card.expires_on else None,
            "issuing_authority": card.authority,
        }
    return values
