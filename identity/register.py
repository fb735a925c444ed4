"""The register's services: issue PINs, record persons, look them up, re-establish a PIN.

Every function works inside the caller's unit of work (it flushes, never commits) and records an
audit event in that same transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import audit
from .errors import InvalidInput, UnknownPerson
from .models import CitizenCard, Person, PinChange
from .names import fold_for_search
from .person_facts import PersonFacts
from .pin import PREFIX_LENGTH, parse_pin, pin_prefix
from .pin_allocation import RandomBelow, allocate_pins
from .places import find_place
from .vocabulary import CardStatus

#: Attempts when a concurrent transaction commits the same random PIN first (PostgreSQL only).
_CONCURRENT_ATTEMPTS = 5


def subject_of(person: Person) -> str:
    return f"person:{person.id}"


def issue_person(session: Session, facts: PersonFacts, *, actor: str, randbelow: RandomBelow | None = None) -> Person:
    """Record a new person and issue a fresh PIN built from their place, sex and birth year."""
    prefix = pin_prefix(facts.birth_place, facts.birth_date, facts.sex)
    for _ in range(_CONCURRENT_ATTEMPTS):
        (pin,) = allocate_pins(session, prefix, 1, randbelow=randbelow)
        person = Person(pin=pin, name_key=fold_for_search(facts.full_name), **_columns(facts))
        try:
            with session.begin_nested():
                session.add(person)
        except IntegrityError:
            continue  # another process committed this PIN between our check and our insert
        audit.record(
            session,
            audit.Event("identity.issued", actor, subject_of(person), details={"pin": pin}),
        )
        return person
    raise InvalidInput("The register is too busy to issue a PIN right now; try again.")


def _columns(facts: PersonFacts) -> dict[str, Any]:
    return {
        "full_name": facts.full_name,
        "family_name": facts.family_name,
        "middle_name": facts.middle_name,
        "given_name": facts.given_name,
        "birth_date": facts.birth_date,
        "sex": facts.sex,
        "birth_place": facts.birth_place,
        "nationality": facts.nationality,
        "place_of_origin": facts.place_of_origin,
        "residence": facts.residence,
    }


def get_person(session: Session, pin: str, *, for_update: bool = False) -> Person:
    """The person whose current PIN this is; a cancelled PIN names its replacement."""
    pin = parse_pin(pin)
    query = select(Person).where(Person.pin == pin)
    if for_update:
        query = query.with_for_update()
    person = session.scalars(query).one_or_none()
    if person is not None:
        return person
    change = session.scalars(select(PinChange).where(PinChange.old_pin == pin)).one_or_none()
    if change is not None:
        raise UnknownPerson(f"PIN {pin} was cancelled and replaced by {change.new_pin}.")
    raise UnknownPerson(f"No person in the register has PIN {pin}.")


def reestablish_pin(session: Session, pin: str, corrected: PersonFacts, *, reason: str, actor: str) -> Person:
    """Cancel a PIN and issue a new one from corrected facts (Circular 59/2021 Art. 6)."""
    reason = require_reason(reason)
    person = get_person(session, pin, for_update=True)
    prefix = pin_prefix(corrected.birth_place, corrected.birth_date, corrected.sex)
    if prefix == person.pin[:PREFIX_LENGTH]:
        raise InvalidInput(
            f"The corrected facts give the same first six digits ({prefix}) as PIN {person.pin}; a PIN is "
            "re-established only when its place, sex or birth-year digits must change."
        )
    (new_pin,) = allocate_pins(session, prefix, 1)
    old_pin = person.pin
    session.add(PinChange(person_id=person.id, old_pin=old_pin, new_pin=new_pin, reason=reason, actor=actor))
    for column, value in _columns(corrected).items():
        setattr(person, column, value)
    person.pin, person.pin_problems = new_pin, None
    person.name_key = fold_for_search(corrected.full_name)
    session.flush()
    audit.record(
        session,
        audit.Event(
            "identity.pin_reestablished",
            actor,
            subject_of(person),
            reason,
            {"old_pin": old_pin, "new_pin": new_pin},
        ),
    )
    return person


def require_reason(reason: str | None) -> str:
    text = " ".join((reason or "").split())
    if not text:
        raise InvalidInput("A reason is required for this change.")
    if len(text) > 500:
        raise InvalidInput("The reason is longer than 500 characters.")
    return text


def current_card(session: Session, person: Person) -> CitizenCard | None:
    query = select(CitizenCard).where(CitizenCard.person_id == person.id, CitizenCard.status == CardStatus.VALID)
    return session.scalars(query).one_or_none()


def person_record(session: Session, person: Person) -> dict[str, Any]:
    """A plain description of a person and their valid card, for JSON output and pages."""
    card = current_card(session, person)
    place = find_place(person.birth_place)
    return {
        "pin": person.pin,
        "full_name": person.full_name,
        "family_name": person.family_name,
        "middle_name": person.middle_name,
        "given_name": person.given_name,
        "birth_date": person.birth_date.isoformat(),
        "sex": person.sex.value,
        "birth_place": person.birth_place,
        "birth_place_name": place.name if place else None,
        "nationality": person.nationality,
        "place_of_origin": person.place_of_origin,
        "residence": person.residence,
        "status": person.status.value,
        "status_reason": person.status_reason,
        "died_on": person.died_on.isoformat() if person.died_on else None,
        "pin_problems": person.pin_problems.split(",") if person.pin_problems else [],
        "card": card_record(card) if card else None,
    }


def card_record(card: CitizenCard) -> dict[str, Any]:
    return {
        "number": card.number,
        "legacy_number": card.legacy_number,
        "issued_on": card.issued_on.isoformat(),
        "expires_on": card.expires_on.isoformat() if card.expires_on else None,
        "authority": card.authority,
        "status": card.status.value,
    }
