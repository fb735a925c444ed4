"""The identity lifecycle: every legal change, every illegal one refused without a trace."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from identity import (
    TRANSITIONS,
    CardStatus,
    IllegalTransition,
    InvalidInput,
    PersonStatus,
    UnknownPerson,
    bind_card,
    change_status,
)
from identity.models import AuditEvent, CitizenCard, Person
from identity.register import current_card
from tests import factories

STATES = ("active", "suspended", "revoked", "deceased")
#: The rule under test, written out independently of identity.lifecycle.TRANSITIONS.
LEGAL = {
    ("active", "suspend"): "suspended",
    ("suspended", "restore"): "active",
    ("active", "revoke"): "revoked",
    ("suspended", "revoke"): "revoked",
    ("active", "deceased"): "deceased",
    ("suspended", "deceased"): "deceased",
    ("revoked", "deceased"): "deceased",
}
ILLEGAL = [(state, name) for state in STATES for name in TRANSITIONS if (state, name) not in LEGAL]
#: How a fresh (active) person is brought into each state.
PATH = {"active": [], "suspended": ["suspend"], "revoked": ["revoke"], "deceased": ["deceased"]}


def _person_in(session: Session, state: str) -> Person:
    """A person with a card, then moved to ``state``."""
    person = factories.person(session, birth_date="1984-03-12")
    bind_card(session, person.pin, issued_on=dt.date(2021, 5, 5), actor="registrar:r")
    for name in PATH[state]:
        change_status(session, person.pin, name, reason="setting up", actor="supervisor:s")
    session.commit()
    assert person.status.value == state
    return person


def _snapshot(session: Session, person: Person) -> tuple[object, ...]:
    session.expire_all()
    cards = session.execute(
        select(CitizenCard.id, CitizenCard.status, CitizenCard.close_reason).where(CitizenCard.person_id == person.id)
    ).all()
    events = session.scalar(select(func.count()).select_from(AuditEvent))
    fresh = session.get(Person, person.id)
    assert fresh is not None
    return fresh.status, fresh.status_reason, fresh.died_on, events, sorted(cards)


def test_the_table_has_exactly_the_four_changes() -> None:
    assert set(TRANSITIONS) == {"suspend", "restore", "revoke", "deceased"}
    assert len(ILLEGAL) == 16 - len(LEGAL)


@pytest.mark.parametrize(("state", "name"), sorted(LEGAL))
def test_every_legal_change_is_applied_and_audited(session: Session, state: str, name: str) -> None:
    person = _person_in(session, state)
    before = session.scalar(select(func.count()).select_from(AuditEvent))
    change_status(session, person.pin, name, reason="decision 12/QĐ", actor="supervisor:s")
    session.commit()
    assert person.status == PersonStatus(LEGAL[(state, name)])
    assert person.status_reason == "decision 12/QĐ"
    assert person.status_changed_at is not None
    events = session.scalars(select(AuditEvent).order_by(AuditEvent.seq).offset(before)).all()
    assert [(e.action, e.actor, e.reason) for e in events] == [(f"identity.{name}", "supervisor:s", "decision 12/QĐ")]
    assert json.loads(events[0].details) == {"from": state, "to": LEGAL[(state, name)], "pin": person.pin}


@pytest.mark.parametrize(("state", "name"), ILLEGAL)
def test_every_illegal_change_is_refused_and_changes_nothing(session: Session, state: str, name: str) -> None:
    person = _person_in(session, state)
    before = _snapshot(session, person)
    with pytest.raises(IllegalTransition, match=f"Cannot {name} an identity that is {state}"):
        change_status(session, person.pin, name, reason="try anyway", actor="supervisor:s")
    session.rollback()
    assert _snapshot(session, person) == before


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
def test_a_reason_is_mandatory(session: Session, reason: str) -> None:
    person = _person_in(session, "active")
    before = _snapshot(session, person)
    with pytest.raises(InvalidInput, match="reason is required"):
        change_status(session, person.pin, "suspend", reason=reason, actor="supervisor:s")
    session.rollback()
    assert _snapshot(session, person) == before


def test_an_overlong_reason_is_refused(session: Session) -> None:
    person = _person_in(session, "active")
    with pytest.raises(InvalidInput, match="longer than 500"):
        change_status(session, person.pin, "suspend", reason="x" * 501, actor="supervisor:s")


def test_unknown_changes_and_unknown_persons_are_refused(session: Session) -> None:
    person = _person_in(session, "active")
    with pytest.raises(InvalidInput, match="Unknown lifecycle change"):
        change_status(session, person.pin, "delete", reason="r", actor="s")
    with pytest.raises(UnknownPerson):
        change_status(session, "001084999999", "suspend", reason="r", actor="s")


@pytest.mark.parametrize(("name", "closes"), [("suspend", False), ("revoke", True), ("deceased", True)])
def test_revoke_and_deceased_close_the_valid_card(session: Session, name: str, closes: bool) -> None:
    person = _person_in(session, "active")
    card = current_card(session, person)
    assert card is not None
    change_status(session, person.pin, name, reason="order 7", actor="supervisor:s")
    session.commit()
    session.refresh(card)
    if closes:
        target = "revoked" if name == "revoke" else "deceased"
        assert (card.status, card.close_reason) == (CardStatus.CLOSED, f"identity {target}: order 7")
        assert current_card(session, person) is None
    else:
        assert card.status is CardStatus.VALID


def test_a_date_of_death_is_recorded_when_marking_deceased(session: Session) -> None:
    person = _person_in(session, "suspended")
    change_status(session, person.pin, "deceased", reason="death certificate", actor="s", died_on=dt.date(2024, 2, 29))
    session.commit()
    assert person.died_on == dt.date(2024, 2, 29)


@pytest.mark.parametrize(
    ("name", "died_on", "message"),
    [
        ("suspend", dt.date(2024, 1, 1), "only when marking a person deceased"),
        ("revoke", dt.date(2024, 1, 1), "only when marking a person deceased"),
        ("deceased", dt.date(1984, 3, 11), "before the birth"),
        ("deceased", dt.date(2025, 6, 2), "in the future"),
    ],
)
def test_impossible_dates_of_death_are_refused(session: Session, name: str, died_on: dt.date, message: str) -> None:
    person = _person_in(session, "active")
    before = _snapshot(session, person)
    with pytest.raises(InvalidInput, match=message):
        change_status(session, person.pin, name, reason="r", actor="s", died_on=died_on, today=dt.date(2025, 6, 1))
    session.rollback()
    assert _snapshot(session, person) == before


def test_death_on_the_day_of_birth_or_today_is_accepted(session: Session) -> None:
    person = _person_in(session, "active")
    change_status(session, person.pin, "deceased", reason="r", actor="s", died_on=dt.date(1984, 3, 12))
    other = factories.person(session, full_name="Trần Thị Bình")
    change_status(session, other.pin, "deceased", reason="r", actor="s", died_on=dt.date.today())
    session.commit()
    assert (person.died_on, other.died_on) == (dt.date(1984, 3, 12), dt.date.today())
