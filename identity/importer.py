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
* While one batch is written, the next is parsed: the writer runs in a thread of its own, and SQLite
  and psycopg release the interpreter lock while the database works, so parsing and writing overlap.
"""

from __future__ import annotations

import datetime as dt
import itertools
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

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

Batches = queue.Queue[list[ImportRow] | None]


def import_csv(
    session_factory: sessionmaker[Session],
    path: Path,
    *,
    actor: str,
    batch_size: int = DEFAULT_BATCH,
    progress: Callable[[int], None] | None = None,
    today: dt.date | None = None,
) -> ImportSummary:
    """Import a population file; see the module docstring for the guarantees.

    ``progress`` is called with the number of file lines handled since its previous call; over the
    whole import the calls add up to the file's lines after the header.
    """
    check_file(path)
    today = today or dt.date.today()
    summary = ImportSummary()
    batches: Batches = queue.Queue(maxsize=1)
    failed = threading.Event()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-writer") as pool:
        writer = pool.submit(_write_all, session_factory, batches, failed, actor=actor, source=path.name)
        passes = (
            _batches(path, summary, with_pin=with_pin, today=today, size=batch_size) for with_pin in (True, False)
        )
        try:
            for batch, lines in itertools.chain.from_iterable(passes):
                if failed.is_set():
                    break
                if batch:
                    batches.put(batch)  # waits while the writer is still on the previous batch
                if progress:
                    progress(lines)
        finally:
            batches.put(None)
        summary.add(writer.result())  # re-raises the writer's error, if any
    summary.errors.sort(key=lambda error: error.line)
    return summary


def _write_all(
    session_factory: sessionmaker[Session], batches: Batches, failed: threading.Event, *, actor: str, source: str
) -> ImportSummary:
    """The writer thread: every batch in order on one connection; after an error, drain and re-raise."""
    written, finished = ImportSummary(), False
    try:
        with bulk_connection(session_factory) as connection:
            while (batch := batches.get()) is not None:
                write_batch(session_factory(bind=connection), batch, written, actor=actor, source=source)
            finished = True
    except BaseException:
        failed.set()
        while not finished and batches.get() is not None:
            pass  # let the reader's pending put return; it stops at the next batch
        raise
    return written


def _batches(
    path: Path, summary: ImportSummary, *, with_pin: bool, today: dt.date, size: int
) -> Iterator[tuple[list[ImportRow], int]]:
    """Validated rows of one pass in batches, with the file lines they came from; rejects go to ``summary``."""
    batch: list[ImportRow] = []
    lines = 0
    for record in read_records(path, pin_rows=with_pin):
        lines += record.lines
        if record.error is not None:
            summary.reject(record.error.line, record.error.column, record.error.reason)
        elif record.fields is not None:
            try:
                batch.append(parse_row(record.first_line, record.fields, today))
            except InvalidInput as error:
                summary.reject(record.first_line, error.field, error.message)
        if len(batch) >= size:
            yield batch, lines
            batch, lines = [], 0
    yield batch, lines
