"""Reading a population CSV file: encoding and header checks, then records with their line numbers.

A file that is not UTF-8, or whose header is not exactly the expected columns, is refused whole
before anything is written. After that every record is yielded with the lines it spans, so errors
name the line where the record starts even when a quoted field holds line breaks.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from .errors import ImportRefused

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
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class RowError:
    """Why one record was rejected: the line where it starts, the column when known, a sentence."""

    line: int
    column: str | None
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "reason": self.reason}


class Record(NamedTuple):
    """One CSV record: its fields by column, or the error that prevents reading it; neither when blank."""

    first_line: int
    last_line: int
    fields: dict[str, str] | None = None
    error: RowError | None = None

    @property
    def lines(self) -> int:
        return self.last_line - self.first_line + 1


def check_file(path: Path) -> int:
    """Refuse a file that is not UTF-8, naming the first bad line; returns the number of lines.

    The file is read in large chunks cut after a line break (a UTF-8 sequence never contains the
    byte 0x0A), so each piece decodes on its own and positions are exact.
    """
    lines, carry = 0, b""
    with path.open("rb") as handle:
        while True:
            chunk = handle.read(_CHUNK)
            data = carry + chunk
            cut = data.rfind(b"\n") + 1 if chunk else len(data)
            data, carry = data[:cut], data[cut:]
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as error:
                raise _not_utf8(path, data, error.start, lines) from None
            lines += data.count(b"\n")
            if not chunk:
                return lines + (1 if data and not data.endswith(b"\n") else 0)


def _not_utf8(path: Path, data: bytes, position: int, lines_before: int) -> ImportRefused:
    line = lines_before + data.count(b"\n", 0, position) + 1
    column = position - data.rfind(b"\n", 0, position)
    return ImportRefused(
        f"{path.name} is not UTF-8: line {line} has the byte 0x{data[position]:02X} at byte {column}. "
        "Save the file as UTF-8 and import it again."
    )


def read_records(path: Path, *, pin_rows: bool | None = None) -> Iterator[Record]:
    """The records after the header, which is checked first (ImportRefused when wrong).

    ``pin_rows`` picks one of the importer's two passes: True yields the rows that give a PIN and
    every record that is not a well-formed row (blank, wrong field count, unreadable), False the
    rows without a PIN, None everything. Rows of the other pass are skipped before any work.
    """
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        names = _check_header(path, next(reader, None))
        width, pin_at = len(names), names.index("pin")
        done = reader.line_num
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                if pin_rows is not False:
                    yield Record(done + 1, reader.line_num, error=RowError(done + 1, None, f"unreadable CSV: {error}"))
                done = reader.line_num
                continue
            first, done = done + 1, reader.line_num
            if len(values) == width:
                has_pin = bool(values[pin_at].strip())
                if pin_rows is None or has_pin == pin_rows:
                    yield _row(first, done, names, values, has_pin=has_pin)
            elif pin_rows is not False:
                yield _odd(first, done, values, width)


def _check_header(path: Path, header: list[str] | None) -> list[str]:
    if header is None:
        raise ImportRefused(f"{path.name} is empty; the first line must be the header.")
    names = [name.strip() for name in header]
    missing = [c for c in COLUMNS if c not in names]
    unknown = [c for c in names if c not in COLUMNS]
    repeated = sorted({c for c in names if names.count(c) > 1})
    if missing or unknown or repeated:
        raise ImportRefused(
            f"{path.name} has the wrong header"
            + (f"; missing: {', '.join(missing)}" if missing else "")
            + (f"; unknown: {', '.join(unknown)}" if unknown else "")
            + (f"; repeated: {', '.join(repeated)}" if repeated else "")
            + f". Expected: {','.join(COLUMNS)}."
        )
    return names


def _row(first: int, last: int, names: list[str], values: list[str], *, has_pin: bool) -> Record:
    if has_pin or any(value.strip() for value in values):
        return Record(first, last, fields=dict(zip(names, values, strict=True)))
    return Record(first, last)


def _odd(first: int, last: int, values: list[str], width: int) -> Record:
    """A record with the wrong number of fields: blank when it has no text, else an error."""
    if not any(value.strip() for value in values):
        return Record(first, last)
    return Record(first, last, error=RowError(first, None, f"{len(values)} fields, the header has {width}"))
