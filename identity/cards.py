"""Citizen identity cards: expiry by the Law on Identification 2023, binding and replacement."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy.orm import Session

from . import audit
from .errors import CardConflict, IllegalTransition, InvalidInput
from .models import CitizenCard
from .register import current_card, get_person, require_reason, subject_of
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
MAX_AUTHORITY_LENGTH = 200


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
    given_reason = require_reason(replace_reason) if (replace_reason or "").strip() else None
    expiry = expires_on if expires_on is not None else card_expiry(person.birth_date, issued_on)
    if expiry is not None and expiry <= issued_on:
        raise InvalidInput("The expiry date must be after the issue date.")
    issuer = parse_authority(authority, issued_on)
    old = current_card(session, person)
    if old is not None and old.issued_on == issued_on:
        _check_same_card(old, legacy, expiry, issuer)
        return old, False
    if old is not None and issued_on < old.issued_on:
        raise CardConflict(
            f"The valid card was issued on {old.issued_on.isoformat()}; "
            f"a card issued earlier ({issued_on.isoformat()}) cannot replace it."
        )
    reason = None
    if old is not None:
        reason = given_reason or f"replaced by the card issued {issued_on.isoformat()}"
        close_card(session, old, reason)
    card = CitizenCard(
        person_id=person.id,
        number=person.pin,
        legacy_number=legacy,
        issued_on=issued_on,
        expires_on=expiry,
        authority=issuer,
    )
    session.add(card)
    session.flush()
    audit.record(
        session,
        audit.Event(
            "identity.card_bound",
            actor,
            subject_of(person),
            reason,
            {"number": card.number, "issued_on": issued_on, "replaced": old is not None},
        ),
    )
    return card, True


def parse_authority(value: str | None, issued_on: dt.date) -> str:
    """The issuing authority as given, or the one in force on the issue date."""
    text = " ".join((value or "").split())
    if len(text) > MAX_AUTHORITY_LENGTH:
        raise InvalidInput(f"The issuing authority is longer than {MAX_AUTHORITY_LENGTH} characters.")
    return text or default_authority(issued_on)


_CARD_DETAILS = ("legacy number", "expiry date", "issuing authority")


def _check_same_card(card: CitizenCard, legacy: str | None, expiry: dt.date | None, issuer: str) -> None:
    """Binding the valid card again changes nothing; the same issue date with other details is a conflict."""
    recorded = (card.legacy_number, card.expires_on, card.authority)
    for label, value, new in zip(_CARD_DETAILS, recorded, (legacy, expiry, issuer), strict=True):
        if new != value:
            raise CardConflict(
                f"The valid card issued on {card.issued_on.isoformat()} has another {label} ({value or 'none'}); "
                "a card record is never changed by binding it again."
            )


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
