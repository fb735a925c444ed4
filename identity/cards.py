"""Citizen identity cards: expiry by the Law on Identification 2023, binding and replacement."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy.orm import Session

from . import audit
from .errors import CardConflict, IllegalTransition, InvalidInput
from .models import CitizenCard
from .register import current_card, get_person, subject_of
from .types import utcnow
from .vocabulary import CardStatus, PersonStatus

#: Ages at which a card must be replaced (Law on Identification 2023, Art. 21).
AGE_MILESTONES = (14, 25, 40, 60)
#: A card issued within this many years before a milestone stays valid until the next one.
GRACE_YEARS = 2
FIRST_CARD_DATE = dt.date(2016, 1, 1)
LAW_2023_IN_FORCE = dt.date(2024, 7, 1)
AUTHORITY_BEFORE_2024 = "Cục Cảnh sát quản lý hành chính về trật tự xã hội"
AUTHORITY_FROM_2024 = "Bộ Công an"


def anniversary(birth_date: dt.date, years: int) -> dt.date:
    """The birthday at an age; 29 February falls on 28 February in common years."""
    try:
        return birth_date.replace(year=birth_date.year + years)
    except ValueError:
        return birth_date.replace(year=birth_date.year + years, day=28)


def card_expiry(birth_date: dt.date, issued_on: dt.date) -> dt.date | None:
    """The birthday of the first milestone more than two years after issue; None when there is none."""
    for age in AGE_MILESTONES:
        milestone = anniversary(birth_date, age)
        if issued_on < anniversary(birth_date, age - GRACE_YEARS):
            return milestone
    return None


def default_authority(issued_on: dt.date) -> str:
    return AUTHORITY_FROM_2024 if issued_on >= LAW_2023_IN_FORCE else AUTHORITY_BEFORE_2024


def parse_legacy_number(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    text = value.strip()
    if not re.fullmatch(r"[0-9]{9}", text, re.ASCII):
        raise InvalidInput(f"The legacy identity-card number {value!r} is not 9 ASCII digits.")
    return text


def bind_card(
    session: Session,
    pin: str,
    *,
    issued_on: dt.date,
    actor: str,
    legacy_number: str | None = None,
    expires_on: dt.date | None = None,
    authority: str | None = None,
    replace_reason: str | None = None,
    today: dt.date | None = None,
) -> tuple[CitizenCard, bool]:
    """Bind a card record; returns the card and whether it is new (binding it again changes nothing)."""
    person = get_person(session, pin, for_update=True)
    if person.status in (PersonStatus.REVOKED, PersonStatus.DECEASED):
        raise IllegalTransition(f"No card can be bound to a {person.status.value} identity.")
    check_issue_date(person.birth_date, issued_on, today or dt.date.today())
    legacy = parse_legacy_number(legacy_number)
    expiry = expires_on if expires_on is not None else card_expiry(person.birth_date, issued_on)
    if expiry is not None and expiry <= issued_on:
        raise InvalidInput("The expiry date must be after the issue date.")
    old = current_card(session, person)
    if old is not None and (old.issued_on, old.legacy_number) == (issued_on, legacy):
        return old, False
    if old is not None and issued_on < old.issued_on:
        raise CardConflict(
            f"The valid card was issued on {old.issued_on.isoformat()}; "
            f"a card issued earlier ({issued_on.isoformat()}) cannot replace it."
        )
    if old is not None:
        close_card(session, old, replace_reason or f"replaced by the card issued {issued_on.isoformat()}")
    card = CitizenCard(
        person_id=person.id,
        number=person.pin,
        legacy_number=legacy,
        issued_on=issued_on,
        expires_on=expiry,
        authority=(authority or default_authority(issued_on)).strip(),
    )
    session.add(card)
    session.flush()
    audit.record(
        session,
        audit.Event(
            "identity.card_bound",
            actor,
            subject_of(person),
            replace_reason if old is not None else None,
            {"number": card.number, "issued_on": issued_on, "replaced": old is not None},
        ),
    )
    return card, True


def check_issue_date(birth_date: dt.date, issued_on: dt.date, today: dt.date) -> None:
    """A card cannot be issued in the future, before its holder's birth, or before CCCDs existed."""
    if issued_on > today:
        raise InvalidInput(f"The issue date {issued_on.isoformat()} is in the future.")
    if issued_on < birth_date:
        raise InvalidInput("The issue date is before the holder's birth date.")
    if issued_on < FIRST_CARD_DATE:
        raise InvalidInput("Citizen identity cards were first issued in 2016.")


def close_card(session: Session, card: CitizenCard, reason: str) -> None:
    """End a card's validity; the row stays as history."""
    card.status, card.closed_at, card.close_reason = CardStatus.CLOSED, utcnow(), reason
    session.flush()
