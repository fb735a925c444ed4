"""Bulk import of population records from CSV.

* The file must be UTF-8 (a BOM is accepted) with exactly the expected header; otherwise nothing is
  imported and ImportRefused says why and where.
* Rows are validated one by one and written in batched transactions, so one bad row never loses good
  ones; each rejected row is reported with its line number, column and reason.
* Importing the same file again changes nothing: rows with a PIN are matched by PIN, rows without one
  by a hash of their content (stored as ``source_ref``).
* A legacy PIN whose structure contradicts the row is imported and flagged, never fixed or dropped.
* The file is read twice: first the rows that bring a PIN, then the rows that need one. New PINs are
  drawn only once every PIN of the file is in the register, so a new PIN never takes the number that
  a later row of the same file brings.
* A large file is parsed in a second process while this one writes: validation and writing each
  take about half the work, and in one process they would share one interpreter lock.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import queue
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from .bulk import bulk_connection
from .errors import InvalidInput
from .import_reader import COLUMNS, RowError, check_file, read_records
from .import_rows import ImportRow, parse_row
from .import_store import ImportSummary, write_batch

__all__ = ["COLUMNS", "DEFAULT_BATCH", "ImportSummary", "RowError", "check_file", "import_csv"]

#: Rows per transaction. Larger batches rewrite each index page less often (SQLite writes every page
#: a transaction touched); a rejected row never costs its batch, so size only trades memory and lock time.
DEFAULT_BATCH = 10_000
#: From this many lines on, parsing runs in a second process; below, starting one costs more than it saves.
PARALLEL_FROM_LINES = 20_000
#: Seconds between checks that the parsing process is still alive while waiting for its next batch.
_POLL = 1.0

#: A batch of valid rows, the rows rejected while parsing it, and how many file lines it covers.
Parsed = tuple[list[ImportRow], list[RowError], int]


def import_csv(
    session_factory: sessionmaker[Session],
    path: Path,
    *,
    actor: str,
    batch_size: int = DEFAULT_BATCH,
    progress: Callable[[int], None] | None = None,
    today: dt.date | None = None,
    parallel: bool | None = None,
) -> ImportSummary:
    """Import a population file; see the module docstring for the guarantees.

    ``progress`` is called with the number of file lines handled since its previous call; over the
    whole import the calls add up to the file's lines after the header. ``parallel`` forces parsing
    in a second process on or off; by default it is on for files of PARALLEL_FROM_LINES or more.
    """
    lines = check_file(path)
    today = today or dt.date.today()
    in_process = lines >= PARALLEL_FROM_LINES if parallel is None else parallel
    parsed = _parse_elsewhere(path, today, batch_size) if in_process else parse_file(path, today, batch_size)
    summary = ImportSummary()
    with bulk_connection(session_factory) as connection:
        for batch, rejects, covered in parsed:
            summary.rejected += len(rejects)
            summary.errors.extend(rejects)
            if batch:
                write_batch(session_factory(bind=connection), batch, summary, actor=actor, source=path.name)
            if progress:
                progress(covered)
    summary.errors.sort(key=lambda error: error.line)
    return summary


def parse_file(path: Path, today: dt.date, size: int) -> Iterator[Parsed]:
    """Both passes over the file in batches: rows with a PIN (and unreadable records), then rows without."""
    for with_pin in (True, False):
        batch: list[ImportRow] = []
        rejects: list[RowError] = []
        lines = 0
        for record in read_records(path, pin_rows=with_pin):
            lines += record.lines
            if record.error is not None:
                rejects.append(record.error)
            elif record.fields is not None:
                try:
                    batch.append(parse_row(record.first_line, record.fields, today))
                except InvalidInput as error:
                    rejects.append(RowError(record.first_line, error.field, error.message))
            if len(batch) >= size:
                yield batch, rejects, lines
                batch, rejects, lines = [], [], 0
        yield batch, rejects, lines


def _parse_elsewhere(path: Path, today: dt.date, size: int) -> Iterator[Parsed]:
    """parse_file run by a second process, two batches ahead; its errors are raised here."""
    context = multiprocessing.get_context("spawn")  # fork is unsafe in a process with threads
    batches: multiprocessing.Queue[Any] = context.Queue(maxsize=2)
    worker = context.Process(target=_parse_into, args=(path, today, size, batches), daemon=True)
    worker.start()
    try:
        while True:
            try:
                item = batches.get(timeout=_POLL)
            except queue.Empty:
                if not worker.is_alive():
                    raise RuntimeError(f"The parsing process stopped (exit code {worker.exitcode}).") from None
                continue
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            columns, rejects, covered = item
            yield list(map(ImportRow, *columns)) if columns else [], rejects, covered
    finally:
        if worker.is_alive():
            worker.terminate()
        worker.join()
        batches.close()
        batches.cancel_join_thread()


def _parse_into(path: Path, today: dt.date, size: int, batches: multiprocessing.Queue[Any]) -> None:
    """The parsing process: every batch, then None; or the error that stopped it."""
    try:
        for batch, rejects, covered in parse_file(path, today, size):
            # Sent as three columns (lines, persons, cards): plain lists pickle at half the cost of rows.
            _hand_over(batches, (tuple(zip(*batch, strict=True)), rejects, covered))
    except Exception as error:  # handed to the importing process, which raises it
        _hand_over(batches, error)
    else:
        _hand_over(batches, None)


def _hand_over(batches: multiprocessing.Queue[Any], item: object) -> None:
    """Put, waiting while the writer is busy, but stop if the importing process has gone."""
    parent = multiprocessing.parent_process()
    while True:
        try:
            batches.put(item, timeout=_POLL)
            return
        except queue.Full:
            if parent is not None and not parent.is_alive():
                batches.cancel_join_thread()  # nobody will read what is still buffered: do not wait at exit
                raise SystemExit("The importing process has gone; parsing stops.") from None
