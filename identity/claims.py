"""A person's values under OpenID Connect claim names; release decisions belong to the provider."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from .models import Person
from .register import current_card


def person_claim_values(session: Session, person: Person) -> dict[str, Any]:
    """Every claim value the register holds for this person; absent values are left out."""
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
    card = current_card(session, person)
    if card is not None:
        values["citizen_card"] = {
            "number": card.number,
            "issue_date": card.issued_on.isoformat(),
            "expiry_date": card.expires_on.isoformat() if card.expires_on else None,
            "issuing_authority": card.authority,
        }
    return values
