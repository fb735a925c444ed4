"""Citizen cards: expiry by age milestones, binding, replacement, and what the database refuses."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from identity import CardConflict, CardStatus, IllegalTransition, InvalidInput, bind_card, card_expiry, change_status
from identity.cards import AUTHORITY_BEFORE_2024, AUTHORITY_FROM_2024
from identity.models import AuditEvent, CitizenCard
from tests import factories

D = dt.date.fromisoformat


@pytest.mark.parametrize(
    ("born", "issued", "expires"),
    [
        # A child's card runs to the 14th birthday.
        ("2015-03-01", "2021-03-01", "2029-03-01"),
        # The two-year rule at each milestone: the day before the boundary, then the boundary itself.
        ("2010-06-15", "2022-06-14", "2024-06-15"),
        ("2010-06-15", "2022-06-15", "2035-06-15"),
        ("1995-08-20", "2018-08-19", "2020-08-20"),
        ("1995-08-20", "2018-08-20", "2035-08-20"),
        ("1980-01-31", "2018-01-30", "2020-01-31"),
        ("1980-01-31", "2018-01-31", "2040-01-31"),
        ("1960-12-31", "2018-12-30", "2020-12-31"),
        # Between milestones the card runs to the next one.
        ("1990-05-10", "2016-01-01", "2030-05-10"),
        ("1975-07-07", "2021-04-01", "2035-07-07"),
        # 29 February: in a common year the birthday (and the boundary) falls on 28 February.
        ("2000-02-29", "2012-02-28", "2014-02-28"),
        ("2000-02-29", "2012-02-29", "2025-02-28"),
        ("1996-02-29", "2019-02-27", "2021-02-28"),
        ("1996-02-29", "2019-02-28", "2036-02-29"),
        ("1964-02-29", "2022-02-27", "2024-02-29"),
    ],
)
def test_expiry_is_the_first_milestone_more_than_two_years_after_issue(born: str, issued: str, expires: str) -> None:
    assert card_expiry(D(born), D(issued)) == D(expires)


@pytest.mark.parametrize(
    ("born", "issued"),
    [
        ("1960-12-31", "2018-12-31"),  # exactly two years before 60: no further milestone
        ("1964-02-29", "2022-02-28"),  # the 58th birthday of a 29 February birth, in a common year
        ("1950-01-01", "2016-01-01"),  # issued after 60
        ("1940-05-05", "2024-07-01"),
    ],
)
def test_no_expiry_after_the_last_milestone(born: str, issued: str) -> None:
    assert card_expiry(D(born), D(issued)) is None


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_binding_records_the_computed_expiry_and_the_authority_in_force(session: Session) -> None:
    person = factories.person(session, birth_date="1990-05-10")
    card, created = bind_card(session, person.pin, issued_on=D("2021-03-01"), actor="registrar:a")
    session.commit()
    assert created
    assert (card.number, card.expires_on, card.status) == (person.pin, D("2030-05-10"), CardStatus.VALID)
    assert card.authority == AUTHORITY_BEFORE_2024
    newer, _ = bind_card(session, person.pin, issued_on=D("2024-07-01"), actor="registrar:a")
    assert newer.authority == AUTHORITY_FROM_2024


def test_a_given_expiry_overrides_the_computed_one(session: Session) -> None:
    person = factories.person(session, birth_date="1990-05-10")
    card, _ = bind_card(session, person.pin, issued_on=D("2021-03-01"), expires_on=D("2031-01-01"), actor="r")
    assert card.expires_on == D("2031-01-01")
    with pytest.raises(InvalidInput, match="after the issue date"):
        bind_card(session, person.pin, issued_on=D("2022-03-01"), expires_on=D("2022-03-01"), actor="r")


def test_a_newer_card_closes_the_valid_one_with_a_reason(session: Session) -> None:
    person = factories.person(session, birth_date="1990-05-10")
    first, _ = bind_card(session, person.pin, issued_on=D("2019-01-01"), actor="r")
    second, _ = bind_card(session, person.pin, issued_on=D("2022-01-01"), replace_reason="card lost", actor="r")
    third, _ = bind_card(session, person.pin, issued_on=D("2023-01-01"), actor="r")
    session.commit()
    assert (first.status, first.close_reason) == (CardStatus.CLOSED, "card lost")
    assert first.closed_at is not None
    assert (second.status, second.close_reason) == (CardStatus.CLOSED, "replaced by the card issued 2023-01-01")
    assert third.status is CardStatus.VALID
    reasons = session.scalars(select(AuditEvent.reason).where(AuditEvent.action == "identity.card_bound")).all()
    assert reasons == [None, "card lost", "replaced by the card issued 2023-01-01"]


def test_binding_the_same_card_again_changes_nothing(session: Session) -> None:
    person = factories.person(session, birth_date="1990-05-10")
    card, _ = bind_card(session, person.pin, issued_on=D("2021-03-01"), legacy_number="012345678", actor="r")
    session.commit()
    events, cards = _count(session, AuditEvent), _count(session, CitizenCard)
    again, created = bind_card(session, person.pin, issued_on=D("2021-03-01"), legacy_number="012345678", actor="r")
    session.commit()
    assert (again.id, created) == (card.id, False)
    assert (_count(session, AuditEvent), _count(session, CitizenCard)) == (events, cards)


def test_the_same_issue_date_with_other_details_is_a_conflict(session: Session) -> None:
    person = factories.person(session, birth_date="1990-05-10")
    bind_card(session, person.pin, issued_on=D("2021-03-01"), legacy_number="012345678", actor="r")
    session.commit()
    with pytest.raises(CardConflict, match="another legacy number"):
        bind_card(session, person.pin, issued_on=D("2021-03-01"), legacy_number="999999999", actor="r")
    same_card = {"issued_on": D("2021-03-01"), "legacy_number": "012345678", "actor": "r"}
    with pytest.raises(CardConflict, match="another expiry date"):
        bind_card(session, person.pin, expires_on=D("2040-01-01"), **same_card)
    session.rollback()
    assert _count(session, CitizenCard) == 1


def test_an_older_card_cannot_replace_a_newer_one(session: Session) -> None:
    person = factories.person(session, birth_date="1990-05-10")
    newer, _ = bind_card(session, person.pin, issued_on=D("2022-01-01"), actor="r")
    session.commit()
    events = _count(session, AuditEvent)
    with pytest.raises(CardConflict, match="cannot replace it"):
        bind_card(session, person.pin, issued_on=D("2019-01-01"), actor="r")
    session.rollback()
    assert newer.status is CardStatus.VALID
    assert (_count(session, CitizenCard), _count(session, AuditEvent)) == (1, events)


@pytest.mark.parametrize("transition", ["revoke", "deceased"])
def test_revoked_and_deceased_persons_get_no_card(session: Session, transition: str) -> None:
    person = factories.person(session)
    change_status(session, person.pin, transition, reason="court order", actor="supervisor:s")
    session.commit()
    with pytest.raises(IllegalTransition, match=f"{'revoked' if transition == 'revoke' else 'deceased'} identity"):
        bind_card(session, person.pin, issued_on=D("2022-01-01"), actor="r")
    session.rollback()
    assert _count(session, CitizenCard) == 0


def test_the_database_refuses_a_second_valid_card_inserted_directly(session: Session) -> None:
    """Attack: bypass bind_card and insert a second valid card; the partial unique index stops it."""
    person = factories.person(session)
    bind_card(session, person.pin, issued_on=D("2021-01-01"), actor="r")
    session.commit()
    session.add(
        CitizenCard(
            person_id=person.id,
            number=person.pin,
            issued_on=D("2022-01-01"),
            expires_on=None,
            authority="forged",
            status=CardStatus.VALID,
        )
    )
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()
    assert _count(session, CitizenCard) == 1


def test_closed_cards_do_not_count_against_the_one_valid_card(session: Session) -> None:
    person = factories.person(session)
    bind_card(session, person.pin, issued_on=D("2021-01-01"), actor="r")
    session.commit()
    session.add(
        CitizenCard(person_id=person.id, number=person.pin, issued_on=D("2017-01-01"), authority="old", status="closed")
    )
    session.commit()
    assert _count(session, CitizenCard) == 2


@pytest.mark.parametrize(
    "legacy",
    ["12345678", "1234567890", "１２３４５６７８９", "٠١٢٣٤٥٦٧٨", "12345678a", "123 45678"],
)
def test_a_legacy_number_must_be_nine_ascii_digits(session: Session, legacy: str) -> None:
    person = factories.person(session)
    with pytest.raises(InvalidInput, match="not 9 ASCII digits"):
        bind_card(session, person.pin, issued_on=D("2021-01-01"), legacy_number=legacy, actor="r")
    session.rollback()
    assert _count(session, CitizenCard) == 0


@pytest.mark.parametrize(
    ("issued", "message"),
    [
        ("2015-12-31", "first issued in 2016"),
        ("1983-01-01", "before the holder's birth"),
        ("2099-01-01", "in the future"),
    ],
)
def test_impossible_issue_dates_are_refused(session: Session, issued: str, message: str) -> None:
    person = factories.person(session, birth_date="1984-03-12")
    with pytest.raises(InvalidInput, match=message):
        bind_card(session, person.pin, issued_on=D(issued), actor="r")
