"""Server-side sessions in one SQLite file, indexed by the provider's ``sid`` and ``sub``, and the
identifiers of the logout tokens already honoured.

The browser holds only a session id; this file holds what goes with it. Each row has two parts with
two writers: ``data`` (the pending authorization requests, written back after every request that
changed it) and ``login`` (the citizen's sign-in: claims and tokens), which only a completed sign-in
sets and which a logout clears. Writing ``data`` back never touches ``login``, so a logout that
arrives while a page of the same session is being served stays a logout. A file, not memory: a
portal restarted after being down still knows which sessions a late logout token ends.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    key TEXT PRIMARY KEY,        -- SHA-256 of the id in the cookie: the file alone opens no session
    data TEXT NOT NULL,
    login TEXT,
    login_id TEXT,
    sid TEXT,
    sub TEXT,
    refreshing_until REAL,
    expires_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_sid ON sessions (sid);
CREATE INDEX IF NOT EXISTS sessions_sub ON sessions (sub);
CREATE INDEX IF NOT EXISTS sessions_expiry ON sessions (expires_at);
CREATE TABLE IF NOT EXISTS seen_logout_tokens (
    jti TEXT PRIMARY KEY,
    keep_until REAL NOT NULL
);
"""
#: Seconds a refresh may take before another request of the same session may try again.
REFRESH_CLAIM_SECONDS = 30


class Replayed(Exception):
    """A logout token whose ``jti`` was honoured before."""


@dataclass(frozen=True, slots=True)
class Stored:
    data: dict[str, Any]
    login: dict[str, Any] | None


def new_session_id() -> str:
    return secrets.token_urlsafe(32)


def _key(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class SessionStore:
    """Every method is one short transaction on its own connection (safe from any thread or process)."""

    def __init__(self, path: Path, *, clock: Any = time.time) -> None:
        self.path = path
        self.clock = clock
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, timeout=10, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")  # pages read while a logout writes
            db.executescript(SCHEMA)
        finally:
            db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        finally:
            db.close()

    # -- the browser's session ----------------------------------------------------------------------

    def get(self, session_id: str) -> Stored | None:
        """The live session with this id, or None (unknown or past its lifetime)."""
        db = sqlite3.connect(self.path, timeout=10)
        try:
            row = db.execute(
                "SELECT data, login FROM sessions WHERE key = ? AND expires_at > ?", (_key(session_id), self.clock())
            ).fetchone()
        finally:
            db.close()
        if row is None:
            return None
        return Stored(json.loads(row[0]), json.loads(row[1]) if row[1] else None)

    def create(self, data: dict[str, Any], *, lifetime: float) -> str:
        """A new session holding *data*; its id. Sessions past their lifetime are swept at the same time."""
        session_id = new_session_id()
        now = self.clock()
        with self._transaction() as db:
            db.execute("DELETE FROM sessions WHERE expires_at <= ?", (now,))
            db.execute(
                "INSERT INTO sessions (key, data, expires_at) VALUES (?, ?, ?)",
                (_key(session_id), json.dumps(data), now + lifetime),
            )
        return session_id

    def save_data(self, session_id: str, data: dict[str, Any]) -> bool:
        """Write back the session's data; False when the session is gone (it is never recreated)."""
        with self._transaction() as db:
            cursor = db.execute("UPDATE sessions SET data = ? WHERE key = ?", (json.dumps(data), _key(session_id)))
        return cursor.rowcount == 1

    def delete(self, session_id: str) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM sessions WHERE key = ?", (_key(session_id),))

    # -- the sign-in --------------------------------------------------------------------------------

    def sign_in(
        self, old_id: str | None, data: dict[str, Any], login: dict[str, Any], *, sid: str | None, sub: str
    ) -> str:
        """Replace the browser's session by a new one (new id: no fixation) holding *login*, until its
        ``ends_at``; the new id."""
        session_id = new_session_id()
        with self._transaction() as db:
            if old_id is not None:
                db.execute("DELETE FROM sessions WHERE key = ?", (_key(old_id),))
            db.execute(
                "INSERT INTO sessions (key, data, login, login_id, sid, sub, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    _key(session_id),
                    json.dumps(data),
                    json.dumps(login),
                    login["login_id"],
                    sid,
                    sub,
                    login["ends_at"],
                ),
            )
        return session_id

    def sign_out(self, session_id: str) -> None:
        """End the sign-in of this session (the session itself stays, signed out)."""
        with self._transaction() as db:
            db.execute(_SIGN_OUT["key"], (_key(session_id),))

    def claim_refresh(self, session_id: str, login_id: str) -> bool:
        """Whether this request may refresh the sign-in's tokens now: one refresh at a time per sign-in, since
        presenting a refresh token twice makes the provider revoke them all."""
        now = self.clock()
        with self._transaction() as db:
            cursor = db.execute(
                "UPDATE sessions SET refreshing_until = ? WHERE key = ? AND login_id = ? "
                "AND (refreshing_until IS NULL OR refreshing_until < ?)",
                (now + REFRESH_CLAIM_SECONDS, _key(session_id), login_id, now),
            )
        return cursor.rowcount == 1

    def refreshed(self, session_id: str, login: dict[str, Any]) -> bool:
        """Store the refreshed sign-in, unless it ended meanwhile (a logout wins over a refresh)."""
        with self._transaction() as db:
            cursor = db.execute(
                "UPDATE sessions SET login = ?, refreshing_until = NULL WHERE key = ? AND login_id = ?",
                (json.dumps(login), _key(session_id), login["login_id"]),
            )
        return cursor.rowcount == 1

    # -- logout from the provider -------------------------------------------------------------------

    def end_by_provider(self, *, jti: str, keep_until: float, sid: str | None, sub: str | None) -> int:
        """Honour a logout token once: end the sign-ins of provider session *sid* (of *sub* too, when both
        are given), or every sign-in of *sub* when there is no *sid*; the number ended. Raises
        :class:`Replayed` for a ``jti`` seen before, changing nothing."""
        with self._transaction() as db:
            db.execute("DELETE FROM seen_logout_tokens WHERE keep_until <= ?", (self.clock(),))
            try:
                db.execute("INSERT INTO seen_logout_tokens (jti, keep_until) VALUES (?, ?)", (jti, keep_until))
            except sqlite3.IntegrityError:
                raise Replayed(jti) from None
            return _end(db, sid=sid, sub=sub)

    def end_provider_session(self, sid: str) -> int:
        """Front-channel logout: end the sign-ins of provider session *sid*; the number ended."""
        with self._transaction() as db:
            return _end(db, sid=sid, sub=None)


_SET_SIGNED_OUT = "UPDATE sessions SET login = NULL, login_id = NULL, sid = NULL, sub = NULL, refreshing_until = NULL "
#: The sign-ins a logout ends: of one browser session, of a provider session (and citizen), of a citizen.
_SIGN_OUT = {
    "key": _SET_SIGNED_OUT + "WHERE login IS NOT NULL AND key = ?",
    "sid and sub": _SET_SIGNED_OUT + "WHERE login IS NOT NULL AND sid = ? AND sub = ?",
    "sid": _SET_SIGNED_OUT + "WHERE login IS NOT NULL AND sid = ?",
    "sub": _SET_SIGNED_OUT + "WHERE login IS NOT NULL AND sub = ?",
}


def _end(db: sqlite3.Connection, *, sid: str | None, sub: str | None) -> int:
    if sid is not None and sub is not None:
        return db.execute(_SIGN_OUT["sid and sub"], (sid, sub)).rowcount
    if sid is not None:
        return db.execute(_SIGN_OUT["sid"], (sid,)).rowcount
    return db.execute(_SIGN_OUT["sub"], (sub,)).rowcount
