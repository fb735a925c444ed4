"""Purging protocol state that can no longer matter: expired codes, pushed requests, assertion jtis,
revocation entries, token families past their absolute lifetime, sign-ins left under way, and logout
notices delivered or abandoned.

Rows are kept for ``keep`` after they expire, so that a replay shortly after expiry is still
recognised as a replay. The audit trail and consents are never purged here.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, exists, or_, select
from sqlalchemy.orm import Session

from identity.types import utcnow

from .models import (
    AuthorizationCode,
    Grant,
    LogoutNotice,
    PendingSignIn,
    PushedRequest,
    RefreshToken,
    RevokedAccessToken,
    SsoSession,
    UsedClientAssertion,
)

DEFAULT_KEEP = dt.timedelta(days=1)


def purge_expired(session: Session, *, keep: dt.timedelta = DEFAULT_KEEP) -> dict[str, int]:
    """Delete what expired more than ``keep`` ago, children before parents; returns counts per table."""
    now = utcnow()
    horizon = now - keep
    dead_grants = select(Grant.id).where(Grant.expires_at < horizon)
    steps = {
        "authorization_codes": delete(AuthorizationCode).where(
            or_(AuthorizationCode.expires_at < horizon, AuthorizationCode.grant_id.in_(dead_grants))
        ),
        "pushed_requests": delete(PushedRequest).where(PushedRequest.expires_at < horizon),
        "pending_sign_ins": delete(PendingSignIn).where(PendingSignIn.expires_at < horizon),
        "logout_notices": delete(LogoutNotice).where(
            or_(LogoutNotice.delivered_at < horizon, LogoutNotice.abandoned_at < horizon)
        ),
        "used_client_assertions": delete(UsedClientAssertion).where(UsedClientAssertion.expires_at < now),
        "revoked_access_tokens": delete(RevokedAccessToken).where(RevokedAccessToken.expires_at < now),
        "refresh_tokens": delete(RefreshToken).where(RefreshToken.grant_id.in_(dead_grants)),
        "grants": delete(Grant).where(Grant.expires_at < horizon),
        "sso_sessions": delete(SsoSession).where(
            or_(SsoSession.ended_at < horizon, SsoSession.expires_at < horizon),
            ~exists().where(Grant.session_id == SsoSession.id),
            ~exists().where(AuthorizationCode.session_id == SsoSession.id),
        ),
    }
    counts = {}
    for table, statement in steps.items():
        result = session.execute(statement.execution_options(synchronize_session=False))
        counts[table] = result.rowcount or 0
    return counts
