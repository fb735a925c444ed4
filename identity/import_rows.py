"""Validating one row of a population file into the values the register will store.

The same validators as the registrar's commands apply (person_facts, parse_pin, the card rules), so
an imported person is never held to a weaker standard. A legacy PIN whose coded digits contradict
the row is kept as given, with its problems recorded: legacy data is flagged, never fixed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from .cards import card_expiry, check_issue_date, default_authority, parse_legacy_number
from .errors import IdentityError, InvalidInput
from .names import fold_for_search
from .person_facts import PersonFacts, parse_date, person_facts
from .pin import parse_pin, structural_problems

#: Columns compared when a row meets a person already in the register.
COMPARED = ("full_name", "birth_date", "sex", "birth_place", "nationality", "place_of_origin", "residence")


#: The Person columns an import row gives, in the order of ImportRow.person.
PERSON_COLUMNS = (
    "pin",
    "pin_problems",
    "full_name",
    "family_name",
    "middle_name",
    "given_name",
    "name_key",
    "birth_date",
    "sex",
    "birth_place",
    "nationality",
    "place_of_origin",
    "residence",
    "source_ref",
)
#: The CitizenCard columns an import row gives, in the order of ImportRow.card.
CARD_COLUMNS = ("issued_on", "legacy_number", "expires_on", "authority")
_AT = {column: index for index, column in enumerate(PERSON_COLUMNS)}


class ImportRow(NamedTuple):
    """A validated row as the plain column values the register stores.

    Lists and tuples of strings and dates, so that a batch passes cheaply from the parsing process
    to the writing one. The PIN is None until the writer issues one.
    """

    line: int
    #: Values in PERSON_COLUMNS order.
    person: list[Any]
    #: Values in CARD_COLUMNS order, when the row records a card.
    card: tuple[dt.date, str | None, dt.date | None, str] | None

    def get(self, column: str) -> Any:
        return self.person[_AT[column]]

    @property
    def pin(self) -> str | None:
        pin: str | None = self.person[0]
        return pin

    def set_pin(self, pin: str) -> None:
        self.person[0] = pin

    @property
    def card_key(self) -> tuple[dt.date, str | None] | None:
        """What identifies the row's card: its issue date and legacy number."""
        return (self.card[0], self.card[1]) if self.card else None

    def as_mapping(self) -> dict[str, Any]:
        return dict(zip(PERSON_COLUMNS, self.person, strict=True))

    def differences(self, other: Mapping[str, Any]) -> list[str]:
        """The compared columns in which ``other`` (a registered person's or an earlier row's) differs."""
        return [column for column in COMPARED if self.person[_AT[column]] != other[column]]


def has_pin(fields: dict[str, str]) -> bool:
    return bool(fields["pin"].strip())


def parse_row(line: int, fields: dict[str, str], today: dt.date) -> ImportRow:
    """Validate one row; InvalidInput names the column at fault."""
    facts = person_facts(
        full_name=fields["full_name"],
        birth_date=fields["birth_date"],
        sex=fields["sex"],
        birth_place=fields["birth_place"],
        nationality=fields["nationality"],
        place_of_origin=fields["place_of_origin"],
        residence=fields["residence"],
        today=today,
    )
    card_issued = _column("card_issued", _optional_date, fields["card_issued"])
    if card_issued:
        _column("card_issued", lambda d: check_issue_date(facts.birth_date, d, today), card_issued)
    legacy = _column("legacy_id_number", parse_legacy_number, fields["legacy_id_number"])
    if legacy and not card_issued:
        raise InvalidInput("A legacy number is recorded on a card: give card_issued too.", field="card_issued")
    card = None
    if card_issued:
        card = (card_issued, legacy, card_expiry(facts.birth_date, card_issued), default_authority(card_issued))
    pin, problems, source_ref = None, None, None
    if has_pin(fields):
        pin = _column("pin", parse_pin, fields["pin"])
        found = structural_problems(pin, birth_date=facts.birth_date, sex=facts.sex, birth_place=facts.birth_place)
        problems = ",".join(p.code for p in found) or None
    else:
        source_ref = _source_ref(facts, card_issued, legacy)
    person = [
        pin,
        problems,
        facts.full_name,
        facts.family_name,
        facts.middle_name,
        facts.given_name,
        fold_for_search(facts.full_name),
        facts.birth_date,
        facts.sex.value,
        facts.birth_place,
        facts.nationality,
        facts.place_of_origin,
        facts.residence,
        source_ref,
    ]
    return ImportRow(line, person, card)


def _source_ref(facts: PersonFacts, card_issued: dt.date | None, legacy: str | None) -> str:
    """Content hash of a PIN-less row: importing the same row again finds the person it created."""
    f = facts
    content = (
        f"{f.full_name}\x1f{f.birth_date}\x1f{f.sex}\x1f{f.birth_place}\x1f{f.nationality}\x1f{f.place_of_origin}"
        f"\x1f{f.residence}\x1f{f.family_name}\x1f{f.given_name}\x1f{card_issued}\x1f{legacy}"
    )
    return hashlib.sha256(content.encode()).hexdigest()


def _optional_date(value: str) -> dt.date | None:
    return parse_date(value, label="card issue date") if value.strip() else None


def _column(name: str, parse: Callable[[Any], Any], value: Any) -> Any:
    try:
        return parse(value)
    except IdentityError as error:
        raise InvalidInput(error.message, field=name) from None
