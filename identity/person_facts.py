"""Validation of a person's recorded facts at the input boundary (CLI, import, API).

Every value arrives as text from somewhere; this module turns it into typed, normalised facts or
raises InvalidInput naming the field, so that nothing half-valid ever reaches the database.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .errors import InvalidInput
from .names import normalise_name, normalise_text
from .pin import FIRST_CENTURY_YEAR, parse_place_code
from .vocabulary import Sex

MAX_PLACE_TEXT = 300
_COUNTRY_CODE = re.compile(r"[A-Z]{2}", re.ASCII)
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_SEXES = {sex.value: sex for sex in Sex}


@dataclass(frozen=True, slots=True)
class PersonFacts:
    full_name: str
    birth_date: dt.date
    sex: Sex
    birth_place: str
    nationality: str = "VN"
    family_name: str | None = None
    middle_name: str | None = None
    given_name: str | None = None
    place_of_origin: str | None = None
    residence: str | None = None


def parse_date(value: str | dt.date, *, label: str) -> dt.date:
    """An ISO date (YYYY-MM-DD) with ASCII digits."""
    if isinstance(value, dt.date):
        return value
    text = value.strip()
    if not _ISO_DATE.fullmatch(text):
        raise InvalidInput(f"The {label} {value!r} is not a date written YYYY-MM-DD.")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"The {label} {value!r} is not a real calendar date.") from None


def parse_sex(value: str | Sex) -> Sex:
    sex = _SEXES.get(value.strip().lower()) if isinstance(value, str) else value
    if not isinstance(sex, Sex):
        raise InvalidInput(f"The sex {value!r} must be 'male' or 'female'.")
    return sex


def parse_nationality(value: str | None) -> str:
    """ISO 3166-1 alpha-2 code; Vietnamese by default."""
    if value is None or not value.strip():
        return "VN"
    code = value.strip().upper()
    if not _COUNTRY_CODE.fullmatch(code):
        raise InvalidInput(f"The nationality {value!r} is not a two-letter ISO 3166 country code.")
    return code


def _optional_place_text(value: str | None, *, label: str) -> str | None:
    if value is None:
        return None
    text = normalise_text(value)
    if len(text) > MAX_PLACE_TEXT:
        raise InvalidInput(f"The {label} is longer than {MAX_PLACE_TEXT} characters.")
    return text or None


def _optional_name(value: str | None, *, label: str) -> str | None:
    if value is None or not value.strip():
        return None
    return normalise_name(value, label=label)


def _birth_date(value: str | dt.date, today: dt.date) -> dt.date:
    born = parse_date(value, label="birth date")
    if born > today:
        raise InvalidInput(f"The birth date {born.isoformat()} is in the future.")
    if born.year < FIRST_CENTURY_YEAR:
        raise InvalidInput(f"The birth date {born.isoformat()} is before {FIRST_CENTURY_YEAR}.")
    return born


def _name_parts(
    name: str, family: str | None, middle: str | None, given: str | None
) -> tuple[str | None, str | None, str | None]:
    parts = (
        _optional_name(family, label="family name"),
        _optional_name(middle, label="middle name"),
        _optional_name(given, label="given name"),
    )
    if any(parts):
        if not (parts[0] and parts[2]):
            raise InvalidInput("Name parts need at least the family name and the given name.")
        spelled = " ".join(part for part in parts if part)
        if spelled != name:
            raise InvalidInput(f"The name parts spell {spelled!r}, not the full name {name!r}.")
    return parts


def person_facts(
    *,
    full_name: str,
    birth_date: str | dt.date,
    sex: str | Sex,
    birth_place: str,
    nationality: str | None = None,
    family_name: str | None = None,
    middle_name: str | None = None,
    given_name: str | None = None,
    place_of_origin: str | None = None,
    residence: str | None = None,
    today: dt.date | None = None,
) -> PersonFacts:
    """Validate and normalise; the name parts, when given, must spell the full name exactly.

    An InvalidInput names the field at fault (the import column), tracked in ``field`` rather than
    by wrapping each parser, since bulk imports call this a million times.
    """
    field = "full_name"
    try:
        name = normalise_name(full_name)
        field = "name_parts"
        family, middle, given = _name_parts(name, family_name, middle_name, given_name)
        field = "birth_date"
        born = _birth_date(birth_date, today or dt.date.today())
        field = "sex"
        parsed_sex = parse_sex(sex)
        field = "birth_place"
        place = parse_place_code(birth_place)
        field = "nationality"
        country = parse_nationality(nationality)
        field = "place_of_origin"
        origin = _optional_place_text(place_of_origin, label="place of origin")
        field = "residence"
        lives = _optional_place_text(residence, label="residence")
    except InvalidInput as error:
        raise InvalidInput(error.message, field=field) from None
    return PersonFacts(
        full_name=name,
        birth_date=born,
        sex=parsed_sex,
        birth_place=place,
        nationality=country,
        family_name=family,
        middle_name=middle,
        given_name=given,
        place_of_origin=origin,
        residence=lives,
    )
