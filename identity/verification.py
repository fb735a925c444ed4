"""Identity level 2: a registrar verifies the account holder in person against their citizen card."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from . import audit
from .accounts import get_account
from .errors import CardConflict, IllegalTransition, InvalidInput
from .models import Account, AccountStatus
from .pin import is_pin_shaped
from .register import current_card, subject_of
from .types import utcnow
from .vocabulary import PersonStatus


def verify_in_person(
    session: Session, pin: str, *, card_number: str, actor: str, today: dt.date | None = None
) -> Account:
    """Identity level 2: a registrar checked the person against their valid, unexpired citizen card."""
    number = card_number.strip()
    if not is_pin_shaped(number):
        raise InvalidInput("A citizen identity card number is 12 ASCII digits.", field="card_number")
    account = get_account(session, pin, for_update=True)
    if account.status not in (AccountStatus.PENDING_ACTIVATION, AccountStatus.ACTIVE):
        raise IllegalTransition(f"Cannot verify an e-ID account that is {account.status.value}.")
    person = account.person
    if person.status is not PersonStatus.ACTIVE:
        raise IllegalTransition(f"Cannot verify an identity that is {person.status.value} in the register.")
    card = current_card(session, person)
    if card is None:
        raise CardConflict(f"PIN {person.pin} has no valid citizen card in the register; bind the card first.")
    if card.number != number:
        raise CardConflict(f"Card {number} is not the valid card of PIN {person.pin}; check the card in hand.")
    if card.expires_on is not None and card.expires_on <= (today or dt.date.today()):
        raise CardConflict(f"The card expired on {card.expires_on.isoformat()}; a new card is needed first.")
    account.identity_level, account.verified_by, account.verified_at = 2, actor, utcnow()
    account.verified_card_id = card.id
    session.flush()
    audit.record(
        session,
        audit.Event(
            "account.verified_in_person",
            actor,
            subject_of(person),
            None,
            {"pin": person.pin, "card_number": card.number, "card_issued_on": card.issued_on, "identity_level": 2},
        ),
    )
    return account
