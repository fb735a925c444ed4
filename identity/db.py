"""Database plumbing shared by every package: the declarative base, engines and units of work.

Nothing here opens a connection at import time; engines are built from a URL by the caller
(the web app factory, the CLI, a test or a benchmark).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

#: Stable constraint names so that Alembic migrations are identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """The one declarative base: all four packages share one metadata and one migration history."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def normalise_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and route them to psycopg 3."""
    parsed = make_url(url)
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


#: Seconds a new PostgreSQL connection may take (psycopg waits 130 by default). A database host that
#: stops answering then costs a request this long before it is refused (503), not minutes of a worker
#: thread. A ``connect_timeout`` in the URL wins.
CONNECT_TIMEOUT_SECONDS = 5


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Build an engine; SQLite gets WAL, foreign keys, a busy timeout and real transactions.

    Bound parameters never appear in SQLAlchemy's log lines nor in its error texts: they hold PINs,
    names and hashes, and those texts end up in logs (ASVS 16.2.5)."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, echo=echo, hide_parameters=True, connect_args={"timeout": 30})
        _configure_sqlite(engine)
        return engine
    # No pool_pre_ping: it costs one round trip per request (12 % of a token exchange, measured with
    # py-spy). A connection that died (database restart) fails its one in-flight request, and
    # SQLAlchemy then invalidates the whole pool, so the next requests reconnect.
    connect_args = {} if "connect_timeout" in parsed.query else {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
    return create_engine(
        url,
        echo=echo,
        hide_parameters=True,
        pool_size=10,
        max_overflow=10,
        pool_recycle=3600,
        connect_args=connect_args,
    )


def _configure_sqlite(engine: Engine) -> None:
    """Make pysqlite behave like a real transactional database.

    pysqlite opens transactions lazily and never for SELECT, which breaks savepoints and lets two
    writers deadlock on lock upgrade. We disable its handling and emit ``BEGIN IMMEDIATE`` ourselves,
    so a transaction holds the write lock from its first statement and concurrent writers queue on
    the busy timeout instead of failing.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):  # type: ignore[no-untyped-def]
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions keep loaded objects usable after commit, which CLI output and templates rely on."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def unit_of_work(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit when the block succeeds, roll back when it raises."""
    with session_factory() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def is_database_unavailable(error: BaseException) -> bool:
    """The database is down, unreachable, restarting or locked: the same work may succeed in a moment."""
    return isinstance(error, OperationalError | InterfaceError) or (
        isinstance(error, DBAPIError) and error.connection_invalidated
    )


def database_error_line(error: BaseException) -> str:
    """The driver's own message, first line only (no statement, no parameters): what a log line says."""
    orig = getattr(error, "orig", None) or error
    return (str(orig).strip().splitlines() or [type(orig).__name__])[0]


def is_postgresql(session: Session) -> bool:
    """Dialect test for the few statements that differ (row locks, upserts)."""
    return session.get_bind().dialect.name == "postgresql"
