"""Bulk import of population records from CSV.

* The file must be UTF-8 (a BOM is accepted) with exactly the expected header; otherwise nothing is
  imported and ImportRefused says why and where.
* Rows are validated one by one and written in batched transactions, so one bad row never loses good
  ones; each rejected row is reported with its line number, column and reason.
* Importing the same file again changes nothing: rows with a PIN are matched by PIN, rows without one
  by a hash of their content (stored as ``source_ref``).
* A legacy PIN whose structure contradicts the row is imported and flagged, never fixed or dropped.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from . import audit
from .cards import card_expiry, check_issue_date, default_authority, parse_legacy_number
from .errors import IdentityError, ImportRefused, InvalidInput
from .models import CitizenCard, Person, PinChange
from .names import fold_for_search
from .person_facts import PersonFacts, parse_date, person_facts
from .pin import parse_pin, pin_prefix, structural_problems
from .pin_allocation import allocate_pins

COLUMNS = (
    "pin",
    "full_name",
    "birth_date",
    "sex",
    "birth_place",
    "nationality",
    "place_of_origin",
    "residence",
    "card_issued",
    "legacy_id_number",
)
DEFAULT_BATCH = 2000
#: Columns compared when a row meets a person already in the register.
_COMPARED = ("full_name", "birth_date", "sex", "birth_place", "nationality", "place_of_origin", "residence")


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    column: str | None
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "reason": self.reason}


@dataclass(slots=True)
class ImportSummary:
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


@dataclass(slots=True)
class _Row:
    """A validated row waiting for its batch to be written."""

    line: int
    facts: PersonFacts
    pin: str | None
    problems: str | None
    source_ref: str | None
    card_issued: dt.date | None
    legacy_number: str | None


def check_file(path: Path) -> int:
    """Refuse a file that is not UTF-8, naming the first bad line; returns the number of lines."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = 0
    with path.open("rb") as handle:
        for raw in handle:
            try:
                decoder.decode(raw)
            except UnicodeDecodeError as error:
                raise ImportRefused(
                    f"{path.name} is not UTF-8: line {lines + 1} has the byte 0x{raw[error.start]:02X} "
                    f"at byte {error.start + 1}. Save the file as UTF-8 and import it again."
                ) from None
            lines += 1
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise ImportRefused(f"{path.name} ends in the middle of a UTF-8 character.") from None
    return lines


def _read_rows(path: Path) -> Iterator[tuple[int, dict[str, str] | RowError]]:
    """Yield (line, row) after checking the header; a row with the wrong field count is an error."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise ImportRefused(f"{path.name} is empty; the first line must be the header.")
        names = [name.strip() for name in header]
        missing = [c for c in COLUMNS if c not in names]
        unknown = [c for c in names if c not in COLUMNS]
        if missing or unknown or len(names) != len(set(names)):
            raise ImportRefused(
                f"{path.name} has the wrong header"
                + (f"; missing: {', '.join(missing)}" if missing else "")
                + (f"; unknown: {', '.join(unknown)}" if unknown else "")
                + f". Expected: {','.join(COLUMNS)}."
            )
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(names):
                yield line, RowError(line, None, f"{len(values)} fields, the header has {len(names)}")
            else:
                yield line, dict(zip(names, values, strict=True))


def _parse_row(line: int, row: dict[str, str]) -> _Row:
    facts = person_facts(
        full_name=row["full_name"],
        birth_date=row["birth_date"],
        sex=row["sex"],
        birth_place=row["birth_place"],
        nationality=row["nationality"],
        place_of_origin=row["place_of_origin"],
        residence=row["residence"],
    )
    card_issued = _column("card_issued", _optional_date, row["card_issued"])
    if card_issued:
        _column("card_issued", lambda d: check_issue_date(facts.birth_date, d, dt.date.today()), card_issued)
    legacy = _column("legacy_id_number", parse_legacy_number, row["legacy_id_number"])
    if legacy and not card_issued:
        raise InvalidInput("A legacy number is recorded on a card: give card_issued too.", field="card_issued")
    if row["pin"].strip():
        pin = _column("pin", parse_pin, row["pin"])
        found = structural_problems(pin, birth_date=facts.birth_date, sex=facts.sex, birth_place=facts.birth_place)
        problems = ",".join(p.code for p in found) or None
        return _Row(line, facts, pin, problems, None, card_issued, legacy)
    source_ref = hashlib.sha256(
        "\x1f".join(str(getattr(facts, c)) for c in (*_COMPARED, "family_name", "given_name")).encode()
        + f"\x1f{card_issued}\x1f{legacy}".encode()
    ).hexdigest()
    return _Row(line, facts, None, None, source_ref, card_issued, legacy)


def _optional_date(value: str) -> dt.date | None:
    return parse_date(value, label="card issue date") if value.strip() else None


def _column(name: str, parse: Callable[[Any], Any], value: Any) -> Any:
    try:
        return parse(value)
    except IdentityError as error:
        raise InvalidInput(error.message, field=name) from None


def import_csv(
    session_factory: sessionmaker[Session],
    path: Path,
    *,
    actor: str,
    batch_size: int = DEFAULT_BATCH,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Import a population file; see the module docstring for the guarantees."""
    check_file(path)
    summary = ImportSummary()
    batch: list[_Row] = []
    for line, row in _read_rows(path):
        if isinstance(row, RowError):
            summary.reject(row.line, row.column, row.reason)
        else:
            try:
                batch.append(_parse_row(line, row))
            except InvalidInput as error:
                summary.reject(line, error.field, error.message)
        if len(batch) >= batch_size:
            _write_batch(session_factory, batch, summary, actor=actor, source=path.name)
            if progress:
                progress(len(batch))
            batch = []
    if batch:
        _write_batch(session_factory, batch, summary, actor=actor, source=path.name)
        if progress:
            progress(len(batch))
    summary.errors.sort(key=lambda error: error.line)
    return summary


def _write_batch(
    session_factory: sessionmaker[Session], rows: list[_Row], summary: ImportSummary, *, actor: str, source: str
) -> None:
    """One transaction per batch; a concurrent writer's duplicate makes us re-run it once."""
    for attempt in range(2):
        outcome = ImportSummary()
        try:
            with session_factory() as session, session.begin():
                _store(session, rows, outcome, actor=actor, source=source)
        except IntegrityError:
            if attempt:
                raise
            continue
        summary.created += outcome.created
        summary.unchanged += outcome.unchanged
        summary.flagged += outcome.flagged
        summary.rejected += outcome.rejected
        summary.errors.extend(outcome.errors)
        return


def _store(session: Session, rows: list[_Row], outcome: ImportSummary, *, actor: str, source: str) -> None:
    fresh = _drop_known(session, rows, outcome)
    _assign_pins(session, fresh)
    if not fresh:
        return
    inserted = session.execute(
        insert(Person).returning(Person.id, Person.pin, sort_by_parameter_order=True),
        [_person_values(row) for row in fresh],
    ).all()
    cards = [
        _card_values(person_id, row) for (person_id, _), row in zip(inserted, fresh, strict=True) if row.card_issued
    ]
    if cards:
        session.execute(insert(CitizenCard), cards)
    flagged = [row.pin for row in fresh if row.problems]
    outcome.flagged += len(flagged)
    outcome.created += len(fresh) - len(flagged)
    audit.record(
        session,
        audit.Event(
            "identity.imported",
            actor,
            None,
            None,
            {
                "source": source,
                "lines": [fresh[0].line, fresh[-1].line],
                "created": [row.pin for row in fresh if not row.problems],
                "flagged": flagged,
            },
        ),
    )


def _drop_known(session: Session, rows: list[_Row], outcome: ImportSummary) -> list[_Row]:
    """Remove rows already in the register (unchanged) or contradicting it (rejected)."""
    pins = [row.pin for row in rows if row.pin]
    refs = [row.source_ref for row in rows if row.source_ref]
    existing = {p.pin: p for p in session.scalars(select(Person).where(Person.pin.in_(pins)))} if pins else {}
    cancelled = (
        dict(
            session.execute(select(PinChange.old_pin, PinChange.new_pin).where(PinChange.old_pin.in_(pins)))
            .tuples()
            .all()
        )
        if pins
        else {}
    )
    known_refs = set(session.scalars(select(Person.source_ref).where(Person.source_ref.in_(refs)))) if refs else set()
    fresh: list[_Row] = []
    seen: dict[str, _Row] = {}
    for row in rows:
        key = row.pin or row.source_ref or ""
        if row.pin in cancelled:
            outcome.reject(row.line, "pin", f"PIN {row.pin} was cancelled and replaced by {cancelled[row.pin]}.")
        elif row.pin in existing:
            _compare(row, existing[row.pin], outcome)
        elif row.source_ref in known_refs:
            outcome.unchanged += 1
        elif key in seen:
            if row.pin and _differences(row.facts, seen[key].facts):
                outcome.reject(
                    row.line,
                    "pin",
                    f"PIN {row.pin} appears earlier in the file (line {seen[key].line}) with other facts.",
                )
            else:
                outcome.unchanged += 1
        else:
            seen[key] = row
            fresh.append(row)
    return fresh


def _differences(facts: PersonFacts, other: Any) -> list[str]:
    return [c for c in _COMPARED if getattr(facts, c) != getattr(other, c)]


def _compare(row: _Row, person: Person, outcome: ImportSummary) -> None:
    differing = _differences(row.facts, person)
    if differing:
        outcome.reject(
            row.line,
            differing[0],
            f"PIN {row.pin} is in the register with a different {differing[0]}; nothing was changed.",
        )
    else:
        outcome.unchanged += 1


def _assign_pins(session: Session, rows: list[_Row]) -> None:
    """Issue PINs for rows without one, in one allocation per prefix."""
    by_prefix: dict[str, list[_Row]] = defaultdict(list)
    for row in rows:
        if row.pin is None:
            by_prefix[pin_prefix(row.facts.birth_place, row.facts.birth_date, row.facts.sex)].append(row)
    reserved = {row.pin for row in rows if row.pin}
    for prefix, waiting in by_prefix.items():
        for row, pin in zip(waiting, allocate_pins(session, prefix, len(waiting), reserved=reserved), strict=True):
            row.pin = pin


def _person_values(row: _Row) -> dict[str, Any]:
    facts = row.facts
    return {
        "pin": row.pin,
        "pin_problems": row.problems,
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
        "source_ref": row.source_ref,
    }


def _card_values(person_id: int, row: _Row) -> dict[str, Any]:
    assert row.card_issued is not None
    return {
        "person_id": person_id,
        "number": row.pin,
        "legacy_number": row.legacy_number,
        "issued_on": row.card_issued,
        "expires_on": card_expiry(row.facts.birth_date, row.card_issued),
        "authority": default_authority(row.card_issued),
    }
