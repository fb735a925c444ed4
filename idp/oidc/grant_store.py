"""Grants (token families): opened at code exchange, revoked on replay, logout, or a citizen's request.

Every token-issuing path re-checks that the account and the person behind it are still active
(SECURITY.md V4: a suspended or revoked identity loses access now, ASVS 8.3.2).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets

from authlib.oauth2.rfc6749 import InvalidGrantError
from sqlalchemy import update
from sqlalchemy.orm import Session

from identity import audit
from identity.authn import can_sign_in
from identity.models import Account
from identity.types import utcnow

from .models import AuthorizationCode, Grant, SsoSession
from .principal import Principal


def account_is_usable(account: Account | None) -> bool:
    """An account may act only while it and its person are both active."""
    return account is not None and can_sign_in(account)


def principal_from_code(session: Session, code: AuthorizationCode) -> Principal:
    account = session.get(Account, code.account_id)
    if not account_is_usable(account):
        raise InvalidGrantError("The account behind this code can no longer sign in.")
    assert account is not None
    return Principal(
        account_id=account.id,
        person_id=account.person_id,
        identity_level=account.identity_level,
        auth_time=code.auth_time,
        acr=code.acr,
        amr=tuple(code.amr.split()),
        sid=_sid_of(session, code.session_id),
        session_id=code.session_id,
        claims_request=json.loads(code.claims) if code.claims else None,
    )


def principal_from_grant(session: Session, grant: Grant) -> Principal:
    account = session.get(Account, grant.account_id) if grant.account_id else None
    if not account_is_usable(account):
        revoke_grant(session, grant, reason="account no longer active", actor="system")
        raise InvalidGrantError("The account behind this token can no longer sign in.")
    assert account is not None
    assert grant.auth_time is not None
    return Principal(
        account_id=account.id,
        person_id=account.person_id,
        identity_level=account.identity_level,
        auth_time=grant.auth_time,
        acr=grant.acr or "",
        amr=tuple((grant.amr or "").split()),
        sid=_sid_of(session, grant.session_id),
        session_id=grant.session_id,
        claims_request=json.loads(grant.claims) if grant.claims else None,
        grant=grant,
    )


def _sid_of(session: Session, session_id: int | None) -> str | None:
    """The ``sid`` of the SSO session a code or grant came from, for the ID token (OIDC logout specs)."""
    sso = session.get(SsoSession, session_id) if session_id is not None else None
    return sso.sid if sso is not None else None


def open_grant(session: Session, *, client_id: str, principal: Principal, scope: str, absolute_ttl: int) -> Grant:
    """A new token family for one code exchange; it can never outlive ``absolute_ttl`` seconds."""
    now = utcnow()
    grant = Grant(
        key=secrets.token_urlsafe(16),
        client_id=client_id,
        account_id=principal.account_id,
        session_id=principal.session_id,
        scope=scope,
        claims=json.dumps(principal.claims_request) if principal.claims_request else None,
        auth_time=principal.auth_time,
        acr=principal.acr,
        amr=" ".join(principal.amr),
        expires_at=now + dt.timedelta(seconds=absolute_ttl),
    )
    session.add(grant)
    session.flush()
    principal.grant = grant
    return grant


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
