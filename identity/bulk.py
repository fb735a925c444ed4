"""Helpers for bulk work: membership tests against long lists, and a connection tuned for batches.

Membership tests against thousands of values are sent as one bound parameter.

``column.in_(values)`` binds one parameter per value, and SQLAlchemy builds and processes each of
them on every execution; for the batches of a bulk import that costs more than the lookups
themselves, and SQLite caps the number of parameters. Here the whole list travels as one value: a
PostgreSQL array (``= ANY``) or a JSON array read by SQLite's ``json_each``. Both still use the
column's index.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from operator import itemgetter
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Table, any_, bindparam, exc, func, insert, literal_column, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.selectable import TableValuedAlias
from sqlalchemy.types import String

from .db import is_postgresql

T = TypeVar("T", str, int)


def listed(session: Session, values: Sequence[str]) -> TableValuedAlias:
    """The values as a one-column table (column ``value``), bound as a single parameter."""
    if is_postgresql(session):
        return func.unnest(bindparam(None, list(values), type_=ARRAY(String()))).table_valued("value").render_derived()
    return func.json_each(bindparam(None, json.dumps(list(values)))).table_valued("value")


def among(session: Session, column: ColumnElement[T], values: Sequence[T]) -> ColumnElement[bool]:
    """``column IN values`` for text or integer values, with the list bound as a single parameter."""
    if is_postgresql(session):
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    listed = select(literal_column("value")).select_from(func.json_each(bindparam(None, json.dumps(list(values)))))
    return column.in_(listed.scalar_subquery())


#: SQLite settings while a bulk import runs, all about speed and none about durability: a page
#: cache big enough for the indexes (KiB, negative by SQLite's convention) and WAL checkpoints every
#: 80 MB instead of every 4 MB, so each index page is written back once per checkpoint, not per batch.
BULK_SQLITE_PRAGMAS = {"cache_size": -262144, "wal_autocheckpoint": 20000}


@contextmanager
def bulk_connection(session_factory: sessionmaker[Session]) -> Iterator[Connection]:
    """One connection for a long run of batches; on SQLite tuned by BULK_SQLITE_PRAGMAS while it lasts."""
    engine: Engine = session_factory.kw["bind"]
    with engine.connect() as connection:
        if engine.dialect.name != "sqlite":
            yield connection
            return
        driver = connection.connection.dbapi_connection
        assert driver is not None
        saved = {name: driver.execute(f"PRAGMA {name}").fetchone()[0] for name in BULK_SQLITE_PRAGMAS}
        for name, value in BULK_SQLITE_PRAGMAS.items():
            driver.execute(f"PRAGMA {name}={int(value)}")
        try:
            yield connection
        finally:
            for name, value in saved.items():
                driver.execute(f"PRAGMA {name}={int(value)}")


def insert_rows(
    session: Session,
    table: Table,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    same: Mapping[str, Any] | None = None,
) -> None:
    """INSERT many rows (values in ``columns`` order) in the session's transaction, at the driver's bulk speed.

    Each value still goes through its column type's bind processor (enum checks, dates, UTC
    timestamps), but SQLAlchemy's per-row parameter bookkeeping, which costs more than SQLite's own
    work, is skipped: SQLite gets one compiled statement and the driver's executemany, PostgreSQL a
    COPY. ``same`` holds values shared by every row, processed once. Column defaults are not applied:
    ``columns`` and ``same`` together must name every column but an autoincrement key.
    """
    connection = session.connection()
    dialect = connection.dialect
    names = [*columns, *(same or {})]
    shared = tuple(_process(_processor(table, dialect, name), value) for name, value in (same or {}).items())
    processing = [(i, p) for i, name in enumerate(columns) if (p := _processor(table, dialect, name)) is not None]
    if dialect.name == "postgresql":
        order = list(range(len(names)))
        statement = ""
    else:
        compiled = insert(table).compile(dialect=dialect, column_keys=names)
        order = [names.index(name) for name in compiled.positiontup or ()]
        if sorted(order) != list(range(len(names))):
            raise RuntimeError(f"insert_rows needs a positional driver, got {compiled.string}")
        statement = compiled.string
    pick = itemgetter(*order)
    params = []
    for row in rows:
        values = list(row)
        for i, process in processing:
            if values[i] is not None:
                values[i] = process(values[i])
        params.append(pick((*values, *shared)))
    if not params:
        return
    if dialect.name == "postgresql":
        _copy(connection, table, names, params)
    else:
        connection.exec_driver_sql(statement, params)


def _copy(connection: Connection, table: Table, columns: list[str], params: list[tuple[Any, ...]]) -> None:
    """PostgreSQL's COPY FROM STDIN on the connection's own transaction (psycopg 3).

    The driver is used directly, so its errors are wrapped here as SQLAlchemy's, like any statement's.
    """
    quote = connection.dialect.identifier_preparer
    names = ", ".join(quote.format_column(table.c[name]) for name in columns)
    statement = f"COPY {quote.format_table(table)} ({names}) FROM STDIN"
    driver = connection.connection.driver_connection
    dbapi = connection.dialect.loaded_dbapi
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for values in params:
                copy.write_row(values)
    except dbapi.IntegrityError as error:
        raise exc.IntegrityError(statement, None, error) from error
    except dbapi.Error as error:
        raise exc.DBAPIError(statement, None, error) from error


def _processor(table: Table, dialect: Dialect, name: str) -> Callable[[Any], Any] | None:
    """The column type's bind processor for this dialect, if it has one."""
    process: Callable[[Any], Any] | None = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
    return process


def _process(process: Callable[[Any], Any] | None, value: Any) -> Any:
    return value if process is None or value is None else process(value)
