"""Finding persons by PIN, card number or name without diacritics."""

from __future__ import annotations

import re

from sqlalchemy import literal, or_, select
from sqlalchemy.orm import Session

from .errors import InvalidInput
from .models import CitizenCard, Person, PinChange
from .names import fold_for_search
from .pin import parse_pin

MAX_RESULTS = 50
_ALL_DIGITS = re.compile(r"\d+")  # Unicode digits on purpose: they get parse_pin's precise refusal


def find_people(session: Session, text: str, *, limit: int = MAX_RESULTS) -> list[Person]:
    """PIN or card number when the text is digits, otherwise every name containing all its words."""
    query_text = text.strip()
    if not query_text:
        raise InvalidInput("Say what to search for: a PIN, a card number or a name.")
    if _ALL_DIGITS.fullmatch(query_text):
        return _by_number(session, query_text, limit)
    return _by_name(session, query_text, limit)


def _by_number(session: Session, digits: str, limit: int) -> list[Person]:
    if len(digits) == 9 and digits.isascii():
        condition = Person.id.in_(select(CitizenCard.person_id).where(CitizenCard.legacy_number == digits))
    else:
        pin = parse_pin(digits)
        condition = or_(
            Person.pin == pin,
            Person.id.in_(select(CitizenCard.person_id).where(CitizenCard.number == pin)),
            Person.id.in_(select(PinChange.person_id).where(PinChange.old_pin == pin)),
        )
    return list(session.scalars(select(Person).where(condition).order_by(Person.id).limit(limit)))


def _by_name(session: Session, text: str, limit: int) -> list[Person]:
    """Each word of the query must begin a word of the folded name: "nguyen an" finds "Nguyễn Văn An"."""
    words = fold_for_search(text).split()
    padded = literal(" ") + Person.name_key
    conditions = [padded.like(f"% {_escape_like(word)}%", escape="\\") for word in words]
    query = select(Person).where(*conditions).order_by(Person.name_key, Person.id).limit(limit)
    return list(session.scalars(query))


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
