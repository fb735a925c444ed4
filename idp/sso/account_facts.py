"""Can the account behind a code, grant or session still act? One rule, in Python and in SQL.

Every token-issuing path re-checks that the account and the person behind it are still active
(SECURITY.md V4: a suspended or revoked identity loses access now, ASVS 8.3.2).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Label, and_, select

from identity.authn import can_sign_in
from identity.models import Account, AccountStatus, Person
from identity.vocabulary import PersonStatus

from .models import SsoSession

_ACCOUNTS, _PERSONS, _SSO = Account.__table__, Person.__table__, SsoSession.__table__


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
    #: The ``sid`` the portal knows the SSO session by (of the code's session, or as the grant recorded it).
    sid: str | None


def session_sid(session_id: ColumnElement[Any]) -> ColumnElement[Any]:
    """The ``sid`` of the SSO session with this id while it has not ended (else NULL), as a scalar
    subquery (a primary-key lookup)."""
    return select(_SSO.c.sid).where(_SSO.c.id == session_id, _SSO.c.ended_at.is_(None)).scalar_subquery()


def account_facts(account_id: ColumnElement[Any], sid: ColumnElement[Any]) -> tuple[Label[Any], ...]:
    """:class:`AccountFacts` as scalar subqueries (primary-key lookups) and the *sid* expression, for the
    statement that reads or consumes the code or grant itself: no round trip of their own."""
    usable = (
        select(_ACCOUNTS.c.person_id)
        .join(_PERSONS, _PERSONS.c.id == _ACCOUNTS.c.person_id)
        .where(_ACCOUNTS.c.id == account_id, USABLE_ACCOUNT)
    )
    level = select(_ACCOUNTS.c.identity_level).where(_ACCOUNTS.c.id == account_id)
    return (
        usable.scalar_subquery().label("usable_person_id"),
        level.scalar_subquery().label("identity_level"),
        sid.label("sid"),
    )
