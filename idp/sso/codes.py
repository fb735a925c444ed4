"""Authorization codes: stored as hashes, single use, bound to their client, short-lived.

A code is consumed by one conditional UPDATE, so two concurrent exchanges cannot both succeed.
A second use revokes every token the first use produced (RFC 9700 §4.2.4, ASVS 10.4.2).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, fields

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from identity.db import is_postgresql
from identity.types import utcnow

from .account_facts import AccountFacts, account_facts, session_sid
from .errors import GrantRefused
from .grants import revoke_grant
from .models import AuthorizationCode, Grant
from .opaque import digest
from .principal import Principal


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
_CONSUME_WITH_FACTS = _CONSUME.returning(*account_facts(_CODES.c.account_id, session_sid(_CODES.c.session_id)))


@dataclass(frozen=True, slots=True)
class CodeRequest:
    """What an authorization code is bound to, besides the authentication event (RFC 6749 §4.1.3, RFC 7636)."""

    client_id: str
    redirect_uri: str
    scope: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None


def save_code(session: Session, code: str, request: CodeRequest, principal: Principal, *, ttl_seconds: int) -> None:
    """Store the code's hash with everything the token request must match."""
    session.add(
        AuthorizationCode(
            code_hash=digest(code),
            client_id=request.client_id,
            account_id=principal.account_id,
            session_id=principal.session_id,
            redirect_uri=request.redirect_uri,
            scope=request.scope,
            nonce=request.nonce,
            code_challenge=request.code_challenge,
            code_challenge_method=request.code_challenge_method,
            claims=json.dumps(principal.claims_request) if principal.claims_request else None,
            auth_time=principal.auth_time,
            acr=principal.acr,
            amr=" ".join(principal.amr),
            expires_at=utcnow() + dt.timedelta(seconds=ttl_seconds),
        )
    )


def nonce_used_before(session: Session, client_id: str, nonce: str) -> bool:
    """RFC 9700 R10: a constant nonce defeats replay protection, so a client's nonce is good once."""
    used = select(AuthorizationCode.id).where(
        AuthorizationCode.client_id == client_id, AuthorizationCode.nonce == nonce
    )
    return session.scalar(used.limit(1)) is not None


def challenge_used_before(session: Session, client_id: str, challenge: str) -> bool:
    """RFC 9700 R10: a constant PKCE challenge is no protection against code injection."""
    used = select(AuthorizationCode.id).where(
        AuthorizationCode.client_id == client_id, AuthorizationCode.code_challenge == challenge
    )
    return session.scalar(used.limit(1)) is not None


def consume_code(session: Session, code: str, client_id: str) -> ConsumedCode | None:
    """The code's row if this is its first use by its own client within its lifetime, else None.

    Its use, and the revocation a replay causes, must stand: pass a standing session."""
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


_FACTS = select(*account_facts(bindparam("account_id"), session_sid(bindparam("session_id"))))


def principal_from_code(session: Session, code: ConsumedCode) -> Principal:
    """The citizen behind a consumed code: its account's facts as the consuming statement returned them
    (PostgreSQL), or read now in one query (SQLite)."""
    facts = code.account or AccountFacts(
        *session.execute(_FACTS, {"account_id": code.account_id, "session_id": code.session_id}).one()
    )
    if facts.usable_person_id is None or facts.identity_level is None:
        raise GrantRefused("The account behind this code can no longer sign in.")
    if code.session_id is not None and facts.sid is None:
        # Signed out between the code and its exchange: its portals were told already, this one would not be.
        raise GrantRefused("The sign-in this code came from has ended.")
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
