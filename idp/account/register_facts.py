"""What the register holds about the citizen, as their account page shows it.

The PIN and the card number (equal to the PIN on a citizen identity card) show only their last four
digits, as everywhere others may look over a shoulder (``identity.pin.mask_pin``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from identity.models import Account, CitizenCard
from identity.pin import mask_pin
from identity.register import current_card
from identity.types import utcnow


@dataclass(frozen=True, slots=True)
class CardFacts:
    number: str
    issued_on: dt.date
    #: None: the card does not expire (issued at or after the last age milestone).
    expires_on: dt.date | None
    expired: bool


@dataclass(frozen=True, slots=True)
class RegisterFacts:
    full_name: str
    pin: str
    card: CardFacts | None
    identity_level: int
    verified_at: dt.datetime | None


def register_facts(session: Session, account: Account) -> RegisterFacts:
    person = account.person
    card = current_card(session, person)
    return RegisterFacts(
        full_name=person.full_name,
        pin=mask_pin(person.pin),
        card=_card(card) if card else None,
        identity_level=account.identity_level,
        verified_at=account.verified_at,
    )


def _card(card: CitizenCard) -> CardFacts:
    expired = card.expires_on is not None and card.expires_on < utcnow().date()
    return CardFacts(mask_pin(card.number), card.issued_on, card.expires_on, expired)
