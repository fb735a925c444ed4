"""Grants (token families): opened at code exchange, revoked on replay, logout, or a citizen's request."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from identity import audit
from identity.types import utcnow

from .account_facts import account_facts
from .errors import GrantRefused
from .models import Grant
from .principal import LiveGrant, Principal

_GRANTS = Grant.__table__

#: What a refresh reads of its grant: the grant's columns and its account's facts (``principal_from_grant``).
GRANT_AND_FACTS = (
    *(_GRANTS.c[name] for name in ("id", "key", "scope", "expires_at", "account_id", "session_id", "claims")),
    *(_GRANTS.c[name] for name in ("auth_time", "acr", "amr")),
    *account_facts(_GRANTS.c.account_id, _GRANTS.c.sid),
)
# Built once; per request only the parameters change (SQLAlchemy reuses the compiled form).
_OF_GRANT = select(*GRANT_AND_FACTS).where(_GRANTS.c.id == bindparam("grant_id"))


def principal_from_grant(session: Session, grant_id: int, row: Row[Any] | None = None) -> Principal:
    """The citizen behind a grant being refreshed, with the grant itself: from *row* (``GRANT_AND_FACTS``,
    as the rotating statement returned it) or one query. An account that can no longer sign in revokes
    the grant (a write that must stand: pass a standing session)."""
    row = row or session.execute(_OF_GRANT, {"grant_id": grant_id}).one()
    if row.usable_person_id is None:
        grant = session.get(Grant, grant_id)
        assert grant is not None
        revoke_grant(session, grant, reason="account no longer active", actor="system")
        raise GrantRefused("The account behind this token can no longer sign in.")
    assert row.auth_time is not None
    return Principal(
        account_id=row.account_id,
        person_id=row.usable_person_id,
        identity_level=row.identity_level,
        auth_time=row.auth_time,
        acr=row.acr or "",
        amr=tuple((row.amr or "").split()),
        sid=row.sid,
        session_id=row.session_id,
        claims_request=json.loads(row.claims) if row.claims else None,
        grant=LiveGrant(row.id, row.key, row.scope, row.expires_at),
    )


def revoke_grant(session: Session, grant: Grant, *, reason: str, actor: str) -> None:
    """Revoke one family (its refresh tokens at once, its access tokens at the next check)."""
    if grant.revoked_at is not None:
        return
    grant.revoked_at, grant.revoke_reason = utcnow(), reason
    session.flush()
    audit.record(
        session,
        audit.Event(
            "oidc.grant_revoked",
            actor,
            f"account:{grant.account_id}" if grant.account_id else f"client:{grant.client_id}",
            reason,
            {"client_id": grant.client_id, "grant": grant.key},
        ),
    )


def live_grants_of_account(session: Session, account_id: int) -> list[Grant]:
    """The account's grants still in force (not revoked, within their absolute lifetime), oldest first."""
    query = (
        select(Grant)
        .where(Grant.account_id == account_id, Grant.revoked_at.is_(None), Grant.expires_at > utcnow())
        .order_by(Grant.created_at, Grant.id)
    )
    return list(session.scalars(query))


def revoke_grants_of_client(session: Session, account_id: int, client_id: str, *, reason: str, actor: str) -> int:
    """Revoke every grant one portal holds for one citizen, each audited; returns how many."""
    query = select(Grant).where(
        Grant.account_id == account_id, Grant.client_id == client_id, Grant.revoked_at.is_(None)
    )
    grants = list(session.scalars(query))
    for grant in grants:
        revoke_grant(session, grant, reason=reason, actor=actor)
    return len(grants)


def move_grants(session: Session, from_session_id: int, to_session_id: int) -> None:
    """A citizen who signs in again keeps the portals' live grants: re-authentication is not logout."""
    session.execute(
        update(Grant)
        .where(Grant.session_id == from_session_id, Grant.revoked_at.is_(None))
        .values(session_id=to_session_id)
        .execution_options(synchronize_session=False)
    )


def revoke_grants_of_session(session: Session, session_id: int, *, reason: str) -> int:
    """Refresh tokens die with their SSO session (logout, suspension)."""
    result = session.execute(
        update(Grant)
        .where(Grant.session_id == session_id, Grant.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoke_reason=reason)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0
