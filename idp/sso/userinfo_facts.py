"""Everything UserInfo needs about a live access token, read in one statement.

An OpenID access token carries its grant's key (``gid``). One SELECT answers, in one round trip and
one snapshot, every question the endpoint asks the database: is the grant live (not revoked, not
expired), is the token's ``jti`` not on the denylist, can the account behind it still sign in (the
same three conditions as ``identity.authn.can_sign_in``), and what are the person's claim values,
with the valid citizen card if there is one. Each of these used to be its own query (four round
trips and as many ORM objects per request; docs/performance.md). No row means "not a live token
of a usable identity", which UserInfo answers with 401 whatever the reason.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, exists, select
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from identity.claims import claim_values
from identity.models import Account, CitizenCard, Person
from identity.types import utcnow
from identity.vocabulary import CardStatus

from .account_facts import USABLE_ACCOUNT
from .models import Grant, RevokedAccessToken

_GRANTS, _ACCOUNTS, _PERSONS, _CARDS = Grant.__table__, Account.__table__, Person.__table__, CitizenCard.__table__
_REVOKED = RevokedAccessToken.__table__

_PERSON_COLUMNS = ("full_name", "family_name", "middle_name", "given_name", "birth_date", "sex", "pin")
_PERSON_COLUMNS += ("nationality", "residence", "updated_at")

#: Built once: per request only the parameters change, and SQLAlchemy reuses the compiled statement.
_STATEMENT = (
    select(
        _GRANTS.c.claims.label("requested_claims"),
        *(_PERSONS.c[name] for name in _PERSON_COLUMNS),
        _CARDS.c.number,
        _CARDS.c.issued_on,
        _CARDS.c.expires_on,
        _CARDS.c.authority,
    )
    .select_from(
        _GRANTS.join(_ACCOUNTS, _ACCOUNTS.c.id == _GRANTS.c.account_id)
        .join(_PERSONS, _PERSONS.c.id == _ACCOUNTS.c.person_id)
        .outerjoin(_CARDS, and_(_CARDS.c.person_id == _PERSONS.c.id, _CARDS.c.status == CardStatus.VALID))
    )
    .where(
        _GRANTS.c.key == bindparam("gid"),
        _GRANTS.c.revoked_at.is_(None),
        _GRANTS.c.expires_at > bindparam("now", type_=_GRANTS.c.expires_at.type),
        ~exists().where(_REVOKED.c.jti == bindparam("jti")),
        USABLE_ACCOUNT,
    )
)


@dataclass(frozen=True, slots=True)
class _Card:
    number: str
    issued_on: dt.date
    expires_on: dt.date | None
    authority: str


@dataclass(frozen=True, slots=True)
class UserinfoFacts:
    """The person's claim values and what the portal asked for in the ``claims`` parameter's userinfo."""

    values: dict[str, Any]
    requested: dict[str, Any] | None


def userinfo_facts(session: Session, *, gid: str, jti: str) -> UserinfoFacts | None:
    """The facts behind a live token of a usable identity; None when anything is not live."""
    row: Row[Any] | None = session.execute(_STATEMENT, {"gid": gid, "jti": jti, "now": utcnow()}).first()
    if row is None:
        return None
    card = _Card(row.number, row.issued_on, row.expires_on, row.authority) if row.number is not None else None
    requested = json.loads(row.requested_claims).get("userinfo") if row.requested_claims else None
    return UserinfoFacts(claim_values(row, card), requested)
