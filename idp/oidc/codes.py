"""Authorization codes: stored as hashes, single use, bound to their client, short-lived.

A code is consumed by one conditional UPDATE, so two concurrent exchanges cannot both succeed.
A second use revokes every token the first use produced (RFC 9700 §4.2.4, ASVS 10.4.2).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from identity.types import utcnow

from .grant_store import revoke_grant
from .models import AuthorizationCode, Grant
from .opaque import digest


def consume_code(session: Session, code: str, client_id: str) -> AuthorizationCode | None:
    """The code's row if this is its first use by its own client within its lifetime, else None."""
    now = utcnow()
    code_hash = digest(code)
    claimed = session.scalars(
        update(AuthorizationCode)
        .where(
            AuthorizationCode.code_hash == code_hash,
            AuthorizationCode.client_id == client_id,  # a code never works for another client (V1)
            AuthorizationCode.used_at.is_(None),
            AuthorizationCode.expires_at > now,
        )
        .values(used_at=now)
        .returning(AuthorizationCode)  # the whole row in the same round trip
        .execution_options(synchronize_session=False)
    ).one_or_none()
    if claimed is not None:
        return claimed
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
