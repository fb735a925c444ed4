"""Issuing PINs, looking persons up, re-establishing a PIN."""

from __future__ import annotations

import unicodedata

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from identity import InvalidInput, InvalidPin, UnknownPerson, bind_card, find_people, get_person, reestablish_pin
from identity.models import AuditEvent, Person
from tests import factories


def test_issued_pin_encodes_place_sex_and_birth_year(session: Session) -> None:
    person = factories.person(session, birth_place="079", sex="female", birth_date="2003-06-30")
    assert person.pin.startswith("079303")
    assert len(person.pin) == 12 and person.pin.isascii() and person.pin.isdigit()
    assert person.pin_problems is None


def test_issuing_is_audited_in_the_same_transaction(session: Session) -> None:
    person = factories.person(session)
    event = session.scalars(select(AuditEvent)).one()
    assert (event.action, event.subject) == ("identity.issued", f"person:{person.id}")


def test_a_refused_issue_writes_nothing(session: Session) -> None:
    with pytest.raises(InvalidInput):
        factories.person(session, birth_date="2999-01-01")
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Person)) == 0
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_nfd_input_is_stored_nfc_and_found_without_diacritics(session: Session) -> None:
    factories.person(session, full_name=unicodedata.normalize("NFD", "Đặng Thị Thủy"))
    stored = session.scalars(select(Person)).one()
    assert stored.full_name == "Đặng Thị Thủy"
    assert [p.full_name for p in find_people(session, "dang thuy")] == ["Đặng Thị Thủy"]
    assert [p.full_name for p in find_people(session, "ĐẶNG")] == ["Đặng Thị Thủy"]


def test_name_search_matches_word_beginnings_only(session: Session) -> None:
    factories.person(session, full_name="Nguyễn Văn An")
    factories.person(session, full_name="Trần Văn Toàn")
    assert [p.full_name for p in find_people(session, "an")] == ["Nguyễn Văn An"]
    assert find_people(session, "guyen") == []
    assert find_people(session, "100%_") == []


def test_search_by_pin_card_number_and_legacy_number(session: Session) -> None:
    person = factories.person(session)
    bind_card(session, person.pin, issued_on=person.birth_date.replace(year=2021), legacy_number="012345678", actor="t")
    session.commit()
    assert find_people(session, person.pin) == [person]
    assert find_people(session, "012345678") == [person]
    with pytest.raises(InvalidInput):
        find_people(session, " ")


def test_lookup_by_a_pin_in_fullwidth_digits_is_refused(session: Session) -> None:
    person = factories.person(session)
    fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in person.pin)
    with pytest.raises(InvalidPin, match="FULLWIDTH"):
        get_person(session, fullwidth)
    with pytest.raises(InvalidPin, match="FULLWIDTH"):
        find_people(session, fullwidth)


def test_reestablished_pin_keeps_history_and_the_old_pin_points_to_the_new(session: Session) -> None:
    person = factories.person(session, sex="male", birth_date="1990-01-01")
    old_pin = person.pin
    corrected = factories.facts(sex="female", birth_date="1990-01-01")
    reestablish_pin(session, old_pin, corrected, reason="sex re-determination", actor="registrar:x")
    session.commit()
    assert person.pin != old_pin and person.pin.startswith("001190")
    with pytest.raises(UnknownPerson, match=f"replaced by {person.pin}"):
        get_person(session, old_pin)
    assert find_people(session, old_pin) == [person]


def test_reestablishing_needs_a_reason(session: Session) -> None:
    person = factories.person(session)
    with pytest.raises(InvalidInput, match="reason"):
        reestablish_pin(session, person.pin, factories.facts(), reason="  ", actor="x")
