"""The 12-digit personal identification number (PIN), Decree 137/2015 Art. 13.

Layout: digits 1-3 the place of birth registration (province, or country when registered abroad),
digit 4 century of birth and sex (even = male), digits 5-6 the last two digits of the birth year,
digits 7-12 a random serial. There is no check digit, so a typo in the serial cannot be detected.

Everything here is pure: no database, no clock.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from .errors import InvalidInput, InvalidPin
from .places import find_place
from .vocabulary import Sex

PIN_LENGTH = 12
PREFIX_LENGTH = 6
#: How many serials one prefix (place + century/sex + year) holds.
SERIAL_SPACE = 10 ** (PIN_LENGTH - PREFIX_LENGTH)
FIRST_CENTURY_YEAR = 1900
LAST_CENTURY_YEAR = 2399

_ASCII_DIGITS = re.compile(r"[0-9]+", re.ASCII)


@dataclass(frozen=True, slots=True)
class Problem:
    """One structural inconsistency of a PIN, with a stable code and a sentence."""

    code: str
    message: str


def parse_pin(value: str) -> str:
    """Return the PIN if it is exactly 12 ASCII digits, else raise InvalidPin saying what is wrong.

    ``str.isdigit``, ``int()`` and ``\\d`` all accept full-width and other Unicode digits; a PIN
    must not, so that one person cannot have two spellings of the same number.
    """
    text = value.strip()
    if is_pin_shaped(text):
        return text
    for position, char in enumerate(text, start=1):
        if "0" <= char <= "9":
            continue
        if unicodedata.decimal(char, None) is not None:
            name = unicodedata.name(char, "unnamed digit")
            raise InvalidPin(
                f"The PIN contains {char!r} (U+{ord(char):04X} {name}) at position {position}; "
                "type it with the ASCII digits 0-9.",
                ("non_ascii_digit",),
            )
        raise InvalidPin(
            f"The PIN contains {char!r} at position {position}; a PIN has digits only.",
            ("not_a_digit",),
        )
    if len(text) != PIN_LENGTH:
        raise InvalidPin(f"A PIN has exactly {PIN_LENGTH} digits; this one has {len(text)}.", ("length",))
    return text


def is_pin_shaped(value: str) -> bool:
    """True for exactly 12 ASCII digits (no normalisation, no whitespace)."""
    return len(value) == PIN_LENGTH and _ASCII_DIGITS.fullmatch(value) is not None


def mask_pin(pin: str) -> str:
    """The PIN as shown where others may see it (an authenticator app, a page): only its last four digits."""
    return "•" * (len(pin) - 4) + pin[-4:]


def parse_place_code(value: str) -> str:
    """A place code as three ASCII digits ("1" and "001" both mean Hà Nội), known to the tables."""
    text = value.strip()
    if not text or len(text) > 3 or _ASCII_DIGITS.fullmatch(text) is None:
        raise InvalidInput(f"The place code {value!r} is not a number of up to three ASCII digits.")
    code = text.zfill(3)
    if find_place(code) is None:
        raise InvalidInput(f"The place code {code} is neither one of the 63 province codes nor a country code.")
    return code


def century_sex_digit(birth_year: int, sex: Sex) -> int:
    """Digit 4: 0/1 for 1900-1999, 2/3 for 2000-2099 … 8/9 for 2300-2399; even for male."""
    if not FIRST_CENTURY_YEAR <= birth_year <= LAST_CENTURY_YEAR:
        raise InvalidInput(f"A PIN can encode birth years {FIRST_CENTURY_YEAR}-{LAST_CENTURY_YEAR}, not {birth_year}.")
    return 2 * ((birth_year - FIRST_CENTURY_YEAR) // 100) + (0 if sex is Sex.MALE else 1)


def pin_prefix(birth_place: str, birth_date: dt.date, sex: Sex) -> str:
    """The six coded digits a new PIN for this person must start with."""
    digit = century_sex_digit(birth_date.year, sex)
    return f"{birth_place}{digit}{birth_date.year % 100:02d}"


def compose_pin(prefix: str, serial: int) -> str:
    return f"{prefix}{serial:06d}"


def decode_sex(pin: str) -> Sex:
    return Sex.MALE if int(pin[3]) % 2 == 0 else Sex.FEMALE


def decode_birth_year(pin: str) -> int:
    return FIRST_CENTURY_YEAR + 100 * (int(pin[3]) // 2) + int(pin[4:6])


def structural_problems(
    pin: str, *, birth_date: dt.date, sex: Sex, birth_place: str | None = None
) -> tuple[Problem, ...]:
    """Every way a well-formed PIN contradicts the tables or the person's recorded facts."""
    problems: list[Problem] = []
    place = find_place(pin[:3])
    if place is None:
        problems.append(Problem("unknown_place", f"{pin[:3]} is not a known place code."))
    elif birth_place is not None and pin[:3] != birth_place:
        problems.append(
            Problem(
                "place_mismatch",
                f"The PIN starts with {pin[:3]} but the birth was registered in {birth_place}.",
            )
        )
    if decode_sex(pin) is not sex:
        problems.append(Problem("sex_mismatch", f"Digit 4 ({pin[3]}) encodes {decode_sex(pin)}, not {sex}."))
    if decode_birth_year(pin) != birth_date.year:
        problems.append(
            Problem(
                "birth_year_mismatch",
                f"Digits 4-6 ({pin[3:6]}) encode birth year {decode_birth_year(pin)}, not {birth_date.year}.",
            )
        )
    return tuple(problems)


def check_pin(pin: str, *, birth_date: dt.date, sex: Sex, birth_place: str | None = None) -> str:
    """Parse and check a PIN against its person; raise InvalidPin listing every problem."""
    pin = parse_pin(pin)
    problems = structural_problems(pin, birth_date=birth_date, sex=sex, birth_place=birth_place)
    if problems:
        raise InvalidPin(" ".join(p.message for p in problems), tuple(p.code for p in problems))
    return pin
