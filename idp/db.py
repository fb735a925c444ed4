"""The database as the web layer sees it: one engine per app, one session per request."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, g
from sqlalchemy.orm import Session, sessionmaker

from identity import make_engine, make_session_factory

from .config import database_url

_FACTORY = "idp.session_factory"


def setup_db(app: Flask) -> None:
    """Create the engine from configuration and close each request's session when it ends."""
    settings = app.extensions["idp.settings"]
    engine = make_engine(database_url(settings, Path(app.instance_path)))
    app.extensions["idp.engine"] = engine
    app.extensions[_FACTORY] = make_session_factory(engine)
    app.teardown_appcontext(_close_session)


def session_factory(app: Flask | None = None) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = (app or current_app).extensions[_FACTORY]
    return factory


def db_session() -> Session:
    """The current request's session; uncommitted work is rolled back at teardown."""
    if "db_session" not in g:
        g.db_session = session_factory()()
    session: Session = g.db_session
    return session


def open_db_session() -> Session | None:
    """The current request's session if it has one; None when the request never needed the database."""
    session: Session | None = g.get("db_session")
    return session


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
