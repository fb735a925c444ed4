"""Writing validated import rows: one transaction per batch, rows already known dropped first.

Rows whose PIN is registered are compared with the register (unchanged, or rejected with the column
that differs); rows whose PIN was cancelled are rejected; rows without a PIN are matched by their
content hash. What is left is inserted in bulk, with new PINs drawn for all prefixes at once.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import audit
from .bulk import among, insert_rows
from .import_reader import RowError
from .import_rows import CARD_COLUMNS, COMPARED, PERSON_COLUMNS, ImportRow
from .models import CitizenCard, Person, PinChange
from .pin import pin_prefix
from .pin_allocation import allocate_by_prefix
from .types import utcnow
from .vocabulary import CardStatus, PersonStatus, Sex


@dataclass(slots=True)
class ImportSummary:
    """Counts by outcome; ``created`` excludes the ``flagged`` rows, which are created too."""

    created: int = 0
    unchanged: int = 0
    flagged: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "unchanged": self.unchanged,
            "flagged": self.flagged,
            "rejected": self.rejected,
            "errors": [error.as_dict() for error in self.errors],
        }

    def reject(self, line: int, column: str | None, reason: str) -> None:
        self.rejected += 1
        self.errors.append(RowError(line, column, reason))

    def add(self, other: ImportSummary) -> None:
        self.created += other.created
        self.unchanged += other.unchanged
        self.flagged += other.flagged
        self.rejected += other.rejected
        self.errors.extend(other.errors)


def write_batch(session: Session, rows: list[ImportRow], summary: ImportSummary, *, actor: str, source: str) -> None:
    """One transaction per batch; a concurrent writer's duplicate makes us re-run it once."""
    with session:
        for attempt in range(2):
            for row in rows:
                if row.get("source_ref"):
                    row.set_pin(None)  # a re-run draws the new PINs again
            outcome = ImportSummary()
            try:
                with session.begin():
                    _store(session, rows, outcome, actor=actor, source=source)
            except IntegrityError:
                if attempt:
                    raise
                continue
            summary.add(outcome)
            return


def _store(session: Session, rows: list[ImportRow], outcome: ImportSummary, *, actor: str, source: str) -> None:
    fresh = _drop_known(session, rows, outcome)
    if not fresh:
        return
    _assign_pins(session, fresh)
    now = utcnow()
    insert_rows(session, Person.__table__, PERSON_COLUMNS, [row.person for row in fresh], same=_new_person(now))
    holders = [row for row in fresh if row.card]
    if holders:
        ids = dict(_ids_by_pin(session, [row.person[0] for row in holders]))
        cards = [(ids[row.person[0]], row.person[0], *row.card) for row in holders if row.card]
        insert_rows(session, CitizenCard.__table__, ("person_id", "number", *CARD_COLUMNS), cards, same=_new_card(now))
    flagged = [row.pin for row in fresh if row.get("pin_problems")]
    outcome.flagged += len(flagged)
    outcome.created += len(fresh) - len(flagged)
    details = {
        "source": source,
        "lines": [min(row.line for row in fresh), max(row.line for row in fresh)],
        "created": [row.pin for row in fresh if not row.get("pin_problems")],
        "flagged": flagged,
    }
    audit.record(session, audit.Event("identity.imported", actor, None, None, details))


_SEXES = {sex.value: sex for sex in Sex}


def _new_person(now: dt.datetime) -> dict[str, Any]:
    """The columns a new person gets from the model's defaults (insert_rows applies none)."""
    return {
        "status": PersonStatus.ACTIVE,
        "status_reason": None,
        "status_changed_at": None,
        "died_on": None,
        "created_at": now,
        "updated_at": now,
    }


def _new_card(now: dt.datetime) -> dict[str, Any]:
    return {"status": CardStatus.VALID, "closed_at": None, "close_reason": None, "created_at": now}


def _drop_known(session: Session, rows: list[ImportRow], outcome: ImportSummary) -> list[ImportRow]:
    """Remove rows already in the register (unchanged) or contradicting it or the file (rejected)."""
    pins = [pin for row in rows if (pin := row.pin)]
    existing = _registered(session, pins)
    cancelled = _cancelled(session, pins)
    cards = _cards_of(session, [existing[row.pin]["id"] for row in rows if row.pin in existing and row.card])
    known_refs = _known_refs(session, [ref for row in rows if (ref := row.get("source_ref"))])
    fresh: list[ImportRow] = []
    seen: dict[str, ImportRow] = {}
    for row in rows:
        pin = row.pin
        key = pin or row.get("source_ref")
        if pin in cancelled:
            outcome.reject(row.line, "pin", f"PIN {pin} was cancelled and replaced by {cancelled[pin]}.")
        elif pin in existing:
            _compare_registered(row, existing[pin], cards, outcome)
        elif key in known_refs:
            outcome.unchanged += 1
        elif key in seen:
            _compare_earlier(row, seen[key], outcome)
        else:
            seen[key] = row
            fresh.append(row)
    return fresh


def _registered(session: Session, pins: list[str]) -> dict[str, Mapping[str, Any]]:
    if not pins:
        return {}
    columns = (Person.id, Person.pin, *(getattr(Person, column) for column in COMPARED))
    query = select(*columns).where(among(session, Person.pin, pins))
    return {person.pin: person._mapping for person in session.execute(query)}


def _ids_by_pin(session: Session, pins: list[str]) -> list[tuple[str, int]]:
    return list(session.execute(select(Person.pin, Person.id).where(among(session, Person.pin, pins))).all())


def _cancelled(session: Session, pins: list[str]) -> dict[str, str]:
    if not pins:
        return {}
    query = select(PinChange.old_pin, PinChange.new_pin).where(among(session, PinChange.old_pin, pins))
    return dict(session.execute(query).all())


def _cards_of(session: Session, person_ids: list[int]) -> dict[int, set[tuple[dt.date, str | None]]]:
    """Every card ever bound to these persons, valid or closed, as (issue date, legacy number)."""
    cards: dict[int, set[tuple[dt.date, str | None]]] = defaultdict(set)
    if person_ids:
        query = select(CitizenCard.person_id, CitizenCard.issued_on, CitizenCard.legacy_number).where(
            among(session, CitizenCard.person_id, person_ids)
        )
        for person_id, issued_on, legacy in session.execute(query):
            cards[person_id].add((issued_on, legacy))
    return cards


def _known_refs(session: Session, refs: list[str]) -> set[str]:
    if not refs:
        return set()
    return set(session.scalars(select(Person.source_ref).where(among(session, Person.source_ref, refs))))


def _compare_registered(
    row: ImportRow,
    person: Mapping[str, Any],
    cards: dict[int, set[tuple[dt.date, str | None]]],
    outcome: ImportSummary,
) -> None:
    """A row whose PIN is registered: unchanged when it says the same, else rejected and nothing changed."""
    differing = row.differences(person)
    if differing:
        outcome.reject(
            row.line,
            differing[0],
            f"PIN {row.pin} is in the register with a different {differing[0]}; nothing was changed.",
        )
    elif row.card_key and row.card_key not in cards[person["id"]]:
        outcome.reject(
            row.line,
            "card_issued",
            f"PIN {row.pin} is in the register without a card issued {row.card_key[0].isoformat()}; "
            "a card for a registered person is bound on its own, not imported.",
        )
    else:
        outcome.unchanged += 1


def _compare_earlier(row: ImportRow, earlier: ImportRow, outcome: ImportSummary) -> None:
    """A row repeating an earlier row of the same batch: unchanged when identical, else rejected."""
    differing = row.differences(earlier.as_mapping())
    if row.pin and differing:
        outcome.reject(
            row.line,
            differing[0],
            f"PIN {row.pin} appears earlier in the file (line {earlier.line}) with a different {differing[0]}.",
        )
    elif row.card_key and row.card_key != earlier.card_key:
        outcome.reject(
            row.line,
            "card_issued",
            f"The person appears earlier in the file (line {earlier.line}) with a different card.",
        )
    else:
        outcome.unchanged += 1


def _assign_pins(session: Session, rows: list[ImportRow]) -> None:
    """Issue PINs for rows without one: one allocation for every prefix of the batch together."""
    by_prefix: dict[str, list[ImportRow]] = defaultdict(list)
    for row in rows:
        if row.pin is None:
            prefix = pin_prefix(row.get("birth_place"), row.get("birth_date"), _SEXES[row.get("sex")])
            by_prefix[prefix].append(row)
    if not by_prefix:
        return
    pins = allocate_by_prefix(session, {prefix: len(waiting) for prefix, waiting in by_prefix.items()})
    for prefix, waiting in by_prefix.items():
        for row, pin in zip(waiting, pins[prefix], strict=True):
            row.set_pin(pin)
