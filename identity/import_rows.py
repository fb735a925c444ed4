"""Validating one row of a population file into the values the register will store.

The same validators as the registrar's commands apply (person_facts, parse_pin, the card rules), so
an imported person is never held to a weaker standard. A legacy PIN whose coded digits contradict
the row is kept as given, with its problems recorded: legacy data is flagged, never fixed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .cards import card_expiry, check_issue_date, default_authority, parse_legacy_number
from .errors import IdentityError, InvalidInput
from .names import fold_for_search
from .person_facts import PersonFacts, parse_date, person_facts
from .pin import parse_pin, structural_problems

#: Columns compared when a row meets a person already in the register.
COMPARED = ("full_name", "birth_date", "sex", "birth_place", "nationality", "place_of_origin", "residence")


@dataclass(slots=True)
class ImportRow:
    """A validated row waiting for its batch to be written."""

    line: int
    facts: PersonFacts
    pin: str | None
    problems: str | None
    source_ref: str | None
    card_issued: dt.date | None
    legacy_number: str | None

    def person_values(self) -> dict[str, Any]:
        facts = self.facts
        return {
            "pin": self.pin,
            "pin_problems": self.problems,
            "full_name": facts.full_name,
            "family_name": facts.family_name,
            "middle_name": facts.middle_name,
            "given_name": facts.given_name,
            "name_key": fold_for_search(facts.full_name),
            "birth_date": facts.birth_date,
            "sex": facts.sex,
            "birth_place": facts.birth_place,
            "nationality": facts.nationality,
            "place_of_origin": facts.place_of_origin,
            "residence": facts.residence,
            "source_ref": self.source_ref,
        }

    def card_values(self, person_id: int) -> dict[str, Any]:
        assert self.card_issued is not None
        return {
            "person_id": person_id,
            "number": self.pin,
            "legacy_number": self.legacy_number,
            "issued_on": self.card_issued,
            "expires_on": card_expiry(self.facts.birth_date, self.card_issued),
            "authority": default_authority(self.card_issued),
        }

    def differences(self, other: Any) -> list[str]:
        """The compared columns in which ``other`` (a Person or another row's facts) differs."""
        return [column for column in COMPARED if getattr(self.facts, column) != getattr(other, column)]


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
    if has_pin(fields):
        pin = _column("pin", parse_pin, fields["pin"])
        found = structural_problems(pin, birth_date=facts.birth_date, sex=facts.sex, birth_place=facts.birth_place)
        problems = ",".join(p.code for p in found) or None
        return ImportRow(line, facts, pin, problems, None, card_issued, legacy)
    return ImportRow(line, facts, None, None, _source_ref(facts, card_issued, legacy), card_issued, legacy)


def _source_ref(facts: PersonFacts, card_issued: dt.date | None, legacy: str | None) -> str:
    """Content hash of a PIN-less row: importing the same row again finds the person it created."""
    content = "\x1f".join(str(getattr(facts, c)) for c in (*COMPARED, "family_name", "given_name"))
    return hashlib.sha256(f"{content}\x1f{card_issued}\x1f{legacy}".encode()).hexdigest()


def _optional_date(value: str) -> dt.date | None:
    return parse_date(value, label="card issue date") if value.strip() else None


def _column(name: str, parse: Callable[[Any], Any], value: Any) -> Any:
    try:
        return parse(value)
    except IdentityError as error:
        raise InvalidInput(error.message, field=name) from None
