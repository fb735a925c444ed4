"""What a code exchange writes: a new grant (token family), its first refresh token, and the code's link.

The three belong together: the link is what lets a replay of the code revoke the grant (RFC 9700
§4.2.4), and the refresh token is the grant's first member. They are written in the exchange's
transaction after the code was consumed, before any token is signed.

On PostgreSQL they are one statement (two data-modifying CTEs and the UPDATE of the code), one round
trip instead of three; SQLite has no data-modifying CTEs and runs the three statements, each of which
costs it no round trip. Both forms write the same rows (the suite runs on both databases).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from typing import Any

from sqlalchemy import bindparam, insert, null, select, update
from sqlalchemy.orm import Session

from identity.db import is_postgresql
from identity.types import utcnow

from .codes import ConsumedCode
from .models import AuthorizationCode, Grant, RefreshToken
from .opaque import digest
from .principal import LiveGrant, Principal

_GRANTS, _TOKENS, _CODES = Grant.__table__, RefreshToken.__table__, AuthorizationCode.__table__
_GRANT_COLUMNS = ("key", "client_id", "account_id", "session_id", "sid", "scope", "claims", "auth_time", "acr", "amr")
_GRANT_COLUMNS += ("created_at", "expires_at")
_TOKEN_COLUMNS = ("token_hash", "issued_at", "expires_at")


def _typed(table: Any, prefix: str, names: tuple[str, ...]) -> dict[str, Any]:
    """Parameters named apart from the columns (SQLAlchemy reserves column names in VALUES), typed like them."""
    return {name: bindparam(prefix + name, type_=table.c[name].type) for name in names}


# Built once; per request only the parameters change (SQLAlchemy reuses the compiled form).
_OPEN_GRANT = insert(_GRANTS).values(_typed(_GRANTS, "g_", _GRANT_COLUMNS)).returning(_GRANTS.c.id)
_FIRST_TOKEN = insert(_TOKENS).values(
    grant_id=bindparam("t_grant_id"), parent_id=null(), **_typed(_TOKENS, "t_", _TOKEN_COLUMNS)
)
_LINK = update(_CODES).where(_CODES.c.id == bindparam("code_id")).values(grant_id=bindparam("link_grant_id"))


def _postgresql_statement(*, with_token: bool) -> Any:
    opened = _OPEN_GRANT.cte("opened")
    statement = (
        update(_CODES)
        .where(_CODES.c.id == bindparam("code_id"))
        .values(grant_id=select(opened.c.id).scalar_subquery())
        .returning(_CODES.c.grant_id)
        .add_cte(opened)
    )
    if with_token:
        token = _typed(_TOKENS, "t_", _TOKEN_COLUMNS)
        first = insert(_TOKENS).from_select(["grant_id", *_TOKEN_COLUMNS], select(opened.c.id, *token.values()))
        statement = statement.add_cte(first.cte("first_token"))
    return statement


_ON_POSTGRESQL = {with_token: _postgresql_statement(with_token=with_token) for with_token in (True, False)}


def open_grant(
    session: Session,
    code: ConsumedCode,
    principal: Principal,
    *,
    client_id: str,
    refresh_token: str | None,
    absolute_ttl: int,
    idle_ttl: int,
) -> LiveGrant:
    """Open the grant of this exchange (with *refresh_token* as its first member, if any) and link the
    code to it; the family never outlives ``absolute_ttl`` seconds after the sign-in (not after this
    exchange, which may come late in an SSO session), the token ``idle_ttl`` unused."""
    now = utcnow()
    expires_at = principal.auth_time + dt.timedelta(seconds=absolute_ttl)
    grant: dict[str, Any] = {
        "key": secrets.token_urlsafe(16),
        "client_id": client_id,
        "account_id": principal.account_id,
        "session_id": principal.session_id,
        "sid": principal.sid,
        "scope": code.scope,
        "claims": json.dumps(principal.claims_request) if principal.claims_request else None,
        "auth_time": principal.auth_time,
        "acr": principal.acr,
        "amr": " ".join(principal.amr),
        "created_at": now,
        "expires_at": expires_at,
    }
    params = {"g_" + name: value for name, value in grant.items()}
    token: dict[str, Any] = {}
    if refresh_token is not None:
        token_expiry = min(now + dt.timedelta(seconds=idle_ttl), expires_at)
        token = {"t_token_hash": digest(refresh_token), "t_issued_at": now, "t_expires_at": token_expiry}
    if is_postgresql(session):
        statement = _ON_POSTGRESQL[refresh_token is not None]
        grant_id = session.execute(statement, {**params, **token, "code_id": code.id}).scalar_one()
    else:
        grant_id = session.execute(_OPEN_GRANT, params).scalar_one()
        if token:
            session.execute(_FIRST_TOKEN, {**token, "t_grant_id": grant_id})
        session.execute(_LINK, {"code_id": code.id, "link_grant_id": grant_id})
    opened = LiveGrant(grant_id, grant["key"], code.scope, expires_at)
    principal.grant = opened
    return opened
