"""The database as the web layer sees it: one session per request, and the one transaction rule.

The rule: a request's writes are committed once, after its view, when the answer is not a refusal
(status below 400); a refusal or a failure rolls them back. Views never commit.

Some writes must stand although the request is refused: a spent authorization code and the
revocation its replay causes, a refresh-token family revoked on reuse, a client assertion's ``jti``,
a wrong activation attempt, an SSO session found expired. Code that makes such a write takes the
session from :func:`standing_session`, which marks the request: its writes are then committed for
a refusal too (4xx). A server failure (5xx) always rolls back.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, Response, g
from sqlalchemy.orm import Session

from identity import make_engine, make_session_factory

from . import context
from .config import database_url

_SESSION = "idp_db_session"
_STANDS = "idp_db_stands"


def setup_db(app: Flask) -> None:
    """Create the engine from configuration; commit after each view by the rule; close at teardown."""
    engine = context.install(app, "engine", make_engine(database_url(context.settings(app), Path(app.instance_path))))
    context.install(app, "session_factory", make_session_factory(engine))
    app.after_request(_commit_by_the_rule)
    app.teardown_appcontext(_close_session)


def db_session() -> Session:
    """The current request's session, opened on first use."""
    session: Session | None = g.get(_SESSION)
    if session is None:
        session = context.session_factory()()
        setattr(g, _SESSION, session)
    return session


def standing_session() -> Session:
    """The request's session, for a security write that must stand even if the request is refused.

    Everything the request has written, and writes from here on, is committed for a 4xx answer too."""
    setattr(g, _STANDS, True)
    return db_session()


def _commit_by_the_rule(response: Response) -> Response:
    """A commit that fails (the connection died after the view) raises: the request then becomes the
    error mapper's answer (``idp.errors``: 503 for a lost database), and this hook, run again for that
    answer, rolls back. The transaction is all or nothing, so nothing of it stands."""
    session: Session | None = g.get(_SESSION)
    if session is None or not session.in_transaction():
        return response
    status = response.status_code
    if status < 400 or (status < 500 and g.get(_STANDS)):
        session.commit()
    else:
        session.rollback()
    return response


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop(_SESSION, None)
    if session is not None:
        session.close()
