"""Grants (token families): opened at code exchange, revoked on replay, logout, or a citizen's request.

Every token-issuing path re-checks that the account and the person behind it are still active
(SECURITY.md V4: a suspended or revoked identity loses access now, ASVS 8.3.2).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from authlib.oauth2.rfc6749 import InvalidGrantError
from sqlalchemy import ColumnElement, Label, and_, bindparam, select, update
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from identity import audit
from identity.authn import can_sign_in
from identity.models import Account, AccountStatus, Person
from identity.types import utcnow
from identity.vocabulary import PersonStatus

from .models import Grant, SsoSession
from .principal import LiveGrant, Principal

if TYPE_CHECKING:
    from .codes import ConsumedCode

_ACCOUNTS, _PERSONS, _GRANTS, _SSO = Account.__table__, Person.__table__, Grant.__table__, SsoSession.__table__


def account_is_usable(account: Account | None) -> bool:
    """An account may act only while it and its person are both active."""
    return account is not None and can_sign_in(account)


#: ``account_is_usable`` as SQL over ``accounts`` joined with ``persons``: the same three conditions as
#: ``identity.authn.can_sign_in`` (a test holds the two to the same answer for every status).
USABLE_ACCOUNT = and_(
    _ACCOUNTS.c.status == AccountStatus.ACTIVE,
    _PERSONS.c.status == PersonStatus.ACTIVE,
    _ACCOUNTS.c.password_hash.is_not(None),
)


@dataclass(frozen=True, slots=True)
class AccountFacts:
    """What a token response needs of the account behind a code or grant."""

    #: The account's person, or None when the account can no longer sign in (``USABLE_ACCOUNT``).
    usable_person_id: int | None
    identity_level: int | None
    #: The ``sid`` of the SSO session the code or grant came from, for the ID token.
    sid: str | None


def account_facts(account_id: ColumnElement[Any], session_id: ColumnElement[Any]) -> tuple[Label[Any], ...]:
    """:class:`AccountFacts` as three scalar subqueries (primary-key lookups), for the statement that
    reads or consumes the code or grant itself: no round trip of their own."""
    usable = (
        select(_ACCOUNTS.c.person_id)
        .join(_PERSONS, _PERSONS.c.id == _ACCOUNTS.c.person_id)
        .where(_ACCOUNTS.c.id == account_id, USABLE_ACCOUNT)
    )
    level = select(_ACCOUNTS.c.identity_level).where(_ACCOUNTS.c.id == account_id)
    sid = select(_SSO.c.sid).where(_SSO.c.id == session_id)
    return (
        usable.scalar_subquery().label("usable_person_id"),
        level.scalar_subquery().label("identity_level"),
        sid.scalar_subquery().label("sid"),
    )


# Built once; per request only the parameters change (SQLAlchemy reuses the compiled form).
_FACTS = select(*account_facts(bindparam("account_id"), bindparam("session_id")))
#: What a refresh reads of its grant: the grant's columns and its account's facts (``principal_from_grant``).
GRANT_AND_FACTS = (
    *(_GRANTS.c[name] for name in ("id", "key", "scope", "expires_at", "account_id", "session_id", "claims")),
    *(_GRANTS.c[name] for name in ("auth_time", "acr", "amr")),
    *account_facts(_GRANTS.c.account_id, _GRANTS.c.session_id),
)
_OF_GRANT = select(*GRANT_AND_FACTS).where(_GRANTS.c.id == bindparam("grant_id"))


def principal_from_code(session: Session, code: ConsumedCode) -> Principal:
    """The citizen behind a consumed code: its account's facts as the consuming statement returned them
    (PostgreSQL), or read now in one query (SQLite)."""
    facts = code.account or AccountFacts(
        *session.execute(_FACTS, {"account_id": code.account_id, "session_id": code.session_id}).one()
    )
    if facts.usable_person_id is None or facts.identity_level is None:
        raise InvalidGrantError("The account behind this code can no longer sign in.")
    return Principal(
        account_id=code.account_id,
        person_id=facts.usable_person_id,
        identity_level=facts.identity_level,
        auth_time=code.auth_time,
        acr=code.acr,
        amr=tuple(code.amr.split()),
        sid=facts.sid,
        session_id=code.session_id,
        claims_request=json.loads(code.claims) if code.claims else None,
    )


def principal_from_grant(session: Session, grant_id: int, row: Row[Any] | None = None) -> Principal:
    """The citizen behind a grant being refreshed, with the grant itself: from *row* (``GRANT_AND_FACTS``,
    as the rotating statement returned it) or one query. An account that can no longer sign in revokes
    the grant."""
    row = row or session.execute(_OF_GRANT, {"grant_id": grant_id}).one()
    if row.usable_person_id is None:
        grant = session.get(Grant, grant_id)
        assert grant is not None
        revoke_grant(session, grant, reason="account no longer active", actor="system")
        raise InvalidGrantError("The account behind this token can no longer sign in.")
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
