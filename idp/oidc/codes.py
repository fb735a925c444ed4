"""Authorization codes: stored as hashes, single use, bound to their client, short-lived.

A code is consumed by one conditional UPDATE, so two concurrent exchanges cannot both succeed.
A second use revokes every token the first use produced (RFC 9700 §4.2.4, ASVS 10.4.2).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from identity.db import is_postgresql
from identity.types import utcnow

from .grant_store import AccountFacts, account_facts, revoke_grant
from .models import AuthorizationCode, Grant
from .opaque import digest


@dataclass(frozen=True, slots=True)
class ConsumedCode:
    """A code's row as its one successful use returned it: what the exchange and the ID token read."""

    id: int
    account_id: int
    session_id: int | None
    redirect_uri: str
    scope: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    #: The ``claims`` request parameter as JSON text, if any.
    claims: str | None
    auth_time: dt.datetime
    acr: str
    amr: str
    #: Returned with the row where the database can (PostgreSQL); read separately otherwise.
    account: AccountFacts | None = None

    def get_redirect_uri(self) -> str:
        """Authlib compares it with the token request's redirect_uri (RFC 6749 §4.1.3)."""
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope


_CODES = AuthorizationCode.__table__
_NOW = bindparam("now", type_=_CODES.c.used_at.type)
#: Built once; per request only the parameters change. The row comes back in the same round trip.
_CONSUME = (
    update(_CODES)
    .where(
        _CODES.c.code_hash == bindparam("presented_hash"),
        _CODES.c.client_id == bindparam("presenting_client"),  # a code never works for another client (V1)
        _CODES.c.used_at.is_(None),
        _CODES.c.expires_at > _NOW,
    )
    .values(used_at=_NOW)
    .returning(*(_CODES.c[field.name] for field in fields(ConsumedCode) if field.name != "account"))
)
#: On PostgreSQL the account's facts come back too, as scalar subqueries in RETURNING: one round trip
#: fewer. (SQLite would take them as well, but SQLAlchemy writes RETURNING there without table names,
#: which makes the subqueries' joins ambiguous.)
_CONSUME_WITH_FACTS = _CONSUME.returning(*account_facts(_CODES.c.account_id, _CODES.c.session_id))


def consume_code(session: Session, code: str, client_id: str) -> ConsumedCode | None:
    """The code's row if this is its first use by its own client within its lifetime, else None."""
    code_hash = digest(code)
    on_postgresql = is_postgresql(session)
    claimed = session.execute(
        _CONSUME_WITH_FACTS if on_postgresql else _CONSUME,
        {"presented_hash": code_hash, "presenting_client": client_id, "now": utcnow()},
    ).first()
    if claimed is not None:
        if on_postgresql:
            return ConsumedCode(*claimed[:-3], account=AccountFacts(*claimed[-3:]))
        return ConsumedCode(*claimed)
    _revoke_if_replayed(session, code_hash)
    return None


def _revoke_if_replayed(session: Session, code_hash: str) -> None:
    row = session.scalars(select(AuthorizationCode).where(AuthorizationCode.code_hash == code_hash)).one_or_none()
    if row is None or row.used_at is None or row.grant_id is None:
        return
    grant = session.get(Grant, row.grant_id)
    if grant is not None:
        revoke_grant(session, grant, reason="authorization code replayed", actor="system")


def code_expiry(ttl_seconds: int) -> dt.datetime:
    return utcnow() + dt.timedelta(seconds=ttl_seconds)
