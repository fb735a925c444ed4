"""The identity lifecycle as data: which change is legal from which state.

Every change needs a reason and an actor; a change the table does not allow is refused with
IllegalTransition and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from . import audit
from .cards import close_card
from .errors import IllegalTransition, InvalidInput
from .models import Person
from .register import current_card, get_person, require_reason, subject_of
from .types import utcnow
from .vocabulary import PersonStatus


@dataclass(frozen=True, slots=True)
class Transition:
    name: str
    sources: frozenset[PersonStatus]
    target: PersonStatus
    #: Whether the person's valid card stops being valid (revoked or dead holders have none).
    closes_card: bool = False
    #: Whether the person's sign-in sessions (and the portals' tokens under them) end with the change.
    ends_sessions: bool = False


_ACTIVE, _SUSPENDED = PersonStatus.ACTIVE, PersonStatus.SUSPENDED
TRANSITIONS = {
    t.name: t
    for t in (
        Transition("suspend", frozenset({_ACTIVE}), PersonStatus.SUSPENDED, ends_sessions=True),
        Transition("restore", frozenset({_SUSPENDED}), PersonStatus.ACTIVE),
        Transition(
            "revoke", frozenset({_ACTIVE, _SUSPENDED}), PersonStatus.REVOKED, closes_card=True, ends_sessions=True
        ),
        Transition(
            "deceased",
            frozenset({_ACTIVE, _SUSPENDED, PersonStatus.REVOKED}),
            PersonStatus.DECEASED,
            closes_card=True,
            ends_sessions=True,
        ),
    )
}


def change_status(
    session: Session,
    pin: str,
    transition: str,
    *,
    reason: str,
    actor: str,
    died_on: dt.date | None = None,
    today: dt.date | None = None,
) -> Person:
    """Apply one lifecycle transition by name ("suspend", "restore", "revoke", "deceased")."""
    rule = TRANSITIONS.get(transition)
    if rule is None:
        raise InvalidInput(f"Unknown lifecycle change {transition!r}.")
    reason = require_reason(reason)
    person = get_person(session, pin, for_update=True)
    if person.status not in rule.sources:
        allowed = ", ".join(sorted(s.value for s in rule.sources))
        raise IllegalTransition(
            f"Cannot {transition} an identity that is {person.status.value}; "
            f"this change applies only to identities that are {allowed}."
        )
    if died_on is not None:
        check_date_of_death(died_on, rule.target, person.birth_date, today or dt.date.today())
    previous = person.status
    person.status, person.status_reason, person.status_changed_at = rule.target, reason, utcnow()
    if died_on is not None:
        person.died_on = died_on
    card = current_card(session, person) if rule.closes_card else None
    if card is not None:
        close_card(session, card, f"identity {rule.target.value}: {reason}")
    session.flush()
    audit.record(
        session,
        audit.Event(
            f"identity.{transition}",
            actor,
            subject_of(person),
            reason,
            {"from": previous.value, "to": rule.target.value, "pin": person.pin},
        ),
    )
    return person


def check_date_of_death(died_on: dt.date, target: PersonStatus, birth_date: dt.date, today: dt.date) -> None:
    """A date of death goes only with marking deceased, and lies between the birth and today."""
    if target is not PersonStatus.DECEASED:
        raise InvalidInput("A date of death is given only when marking a person deceased.")
    if died_on < birth_date:
        raise InvalidInput(f"The date of death {died_on.isoformat()} is before the birth on {birth_date.isoformat()}.")
    if died_on > today:
        raise InvalidInput(f"The date of death {died_on.isoformat()} is in the future.")
