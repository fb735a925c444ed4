"""Refresh-token rotation with reuse detection (RFC 9700 §4.14, ASVS 10.4.5).

* Rotation is one conditional UPDATE: the presented token is marked used only if it is unused,
  unexpired, and belongs to a live grant of the presenting client. Two racing refreshes cannot both
  win.
* The child token is derived from the parent with a keyed HMAC, so it is never stored in plaintext
  and yet, when a deployment sets a grace window (``IDP_REFRESH_REUSE_GRACE``, 0 by default), a
  second, parallel refresh of the same parent within it can be given the very same child instead of
  being treated as theft (for portals that refresh from several threads).
* Any other reuse of a used token revokes the whole family.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from identity.db import is_postgresql
from identity.types import utcnow

from .errors import GrantRefused
from .grants import GRANT_AND_FACTS, revoke_grant
from .models import Grant, RefreshToken
from .opaque import digest
from .principal import LiveGrant


@dataclass(frozen=True, slots=True)
class Rotation:
    """The outcome of presenting a refresh token: its grant, and the child to hand out."""

    grant_id: int
    parent_id: int
    child: str
    #: True in the grace window (the child was already issued to a parallel request), and on PostgreSQL,
    #: where the rotating statement stores the child itself.
    child_exists: bool
    #: On PostgreSQL, the grant and its account's facts (``GRANT_AND_FACTS``) as the rotating statement
    #: returned them; None where they are still to be read.
    grant: Row[Any] | None = None


def child_of(parent: str, key: bytes) -> str:
    mac = hmac.new(key, b"refresh-child\x00" + parent.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


_TOKENS, _GRANTS = RefreshToken.__table__, Grant.__table__
_NOW = bindparam("now", type_=_TOKENS.c.used_at.type)
#: The presented token is unused and unexpired ...
_TOKEN_USABLE = (
    _TOKENS.c.token_hash == bindparam("presented_hash"),
    _TOKENS.c.used_at.is_(None),
    _TOKENS.c.expires_at > _NOW,
)
#: ... and its own grant is live and belongs to the presenting client.
_GRANT_LIVE = (
    _GRANTS.c.id == _TOKENS.c.grant_id,
    _GRANTS.c.client_id == bindparam("presenting_client"),
    _GRANTS.c.revoked_at.is_(None),
    _GRANTS.c.expires_at > _NOW,
)
#: Built once; per request only the parameters change. Correlated: only the presented token's own grant
#: is checked. (An IN over the client's live grants made SQLite list every one of them, thousands for a
#: busy portal, on every refresh.)
_ROTATE = (
    update(_TOKENS)
    .where(*_TOKEN_USABLE, select(_GRANTS.c.id).where(*_GRANT_LIVE).exists())
    .values(used_at=_NOW)
    .returning(_TOKENS.c.id, _TOKENS.c.grant_id)
)


def _rotate_on_postgresql() -> Any:
    """The same rotation as ``_ROTATE``, as one PostgreSQL statement that also returns the grant with its
    account's facts and stores the child (when the account can still sign in; otherwise the caller
    revokes the grant): one round trip instead of three."""
    rotated = (
        update(_TOKENS)
        .where(*_TOKEN_USABLE, *_GRANT_LIVE)
        .values(used_at=_NOW)
        .returning(_TOKENS.c.id.label("parent_id"), *GRANT_AND_FACTS)
        .cte("rotated")
    )
    child = insert(_TOKENS).from_select(
        ["token_hash", "grant_id", "parent_id", "issued_at", "expires_at"],
        select(
            bindparam("child_hash", type_=_TOKENS.c.token_hash.type),
            rotated.c.id,
            rotated.c.parent_id,
            _NOW,
            func.least(bindparam("idle_expiry", type_=_TOKENS.c.expires_at.type), rotated.c.expires_at),
        ).where(rotated.c.usable_person_id.is_not(None)),
    )
    return select(rotated).add_cte(child.cte("child"))


_ROTATE_ON_POSTGRESQL = _rotate_on_postgresql()


def rotate(
    session: Session, presented: str, client_id: str, *, key: bytes, grace_seconds: int, idle_seconds: int
) -> Rotation:
    """Consume a refresh token or raise GrantRefused (revoking the family on reuse: pass a standing session)."""
    now = utcnow()
    token_hash = digest(presented)
    params = {"presented_hash": token_hash, "presenting_client": client_id, "now": now}
    child = child_of(presented, key)
    if is_postgresql(session):
        params.update(child_hash=digest(child), idle_expiry=now + dt.timedelta(seconds=idle_seconds))
        row = session.execute(_ROTATE_ON_POSTGRESQL, params).first()
        if row is not None:
            return Rotation(row.id, row.parent_id, child, child_exists=True, grant=row)
    else:
        claimed = session.execute(_ROTATE, params).first()
        if claimed is not None:
            return Rotation(claimed.grant_id, claimed.id, child, child_exists=False)
    return _refused_or_parallel(
        session, presented, token_hash, client_id, key=key, grace_seconds=grace_seconds, now=now
    )


def _refused_or_parallel(
    session: Session,
    presented: str,
    token_hash: str,
    client_id: str,
    *,
    key: bytes,
    grace_seconds: int,
    now: dt.datetime,
) -> Rotation:
    token = session.scalars(select(RefreshToken).where(RefreshToken.token_hash == token_hash)).one_or_none()
    if token is None:
        raise GrantRefused("The refresh token is not valid.")
    grant = session.get(Grant, token.grant_id)
    assert grant is not None
    if grant.client_id != client_id:
        # RFC 6749 §6: bound to its client. Presented by another one, the family is presumed stolen.
        revoke_grant(session, grant, reason="refresh token presented by another client", actor="system")
        raise GrantRefused("The refresh token is not valid.")
    if grant.revoked_at is not None or grant.expires_at <= now:
        raise GrantRefused("The refresh token has been revoked or has expired.")
    if token.used_at is None:
        raise GrantRefused("The refresh token has expired.")
    child = child_of(presented, key)
    # Without a window nothing is shared, not even with a request whose clock reads earlier than the rotation.
    if grace_seconds and now - token.used_at <= dt.timedelta(seconds=grace_seconds) and _exists(session, child):
        return Rotation(grant.id, token.id, child, child_exists=True)
    revoke_grant(session, grant, reason="refresh token reused", actor="system")
    raise GrantRefused("The refresh token was already used; its whole family is now revoked.")


def granted_scope(session: Session, presented: str, client_id: str) -> str | None:
    """The scope of the grant behind a refresh token of this client (None when there is no such token)."""
    return session.scalar(
        select(Grant.scope)
        .join(RefreshToken, RefreshToken.grant_id == Grant.id)
        .where(RefreshToken.token_hash == digest(presented), Grant.client_id == client_id)
    )


def find_refresh_token(session: Session, token: str) -> RefreshToken | None:
    return session.scalars(select(RefreshToken).where(RefreshToken.token_hash == digest(token))).one_or_none()


def _exists(session: Session, token: str) -> bool:
    return session.scalar(select(RefreshToken.id).where(RefreshToken.token_hash == digest(token))) is not None


_STORE = insert(RefreshToken.__table__)


def store_refresh_token(
    session: Session, token: str, grant: LiveGrant, *, parent_id: int | None, idle_seconds: int
) -> None:
    """Persist a new refresh token's hash; its idle expiry never passes the grant's absolute expiry."""
    now = utcnow()
    session.execute(
        _STORE,
        {
            "token_hash": digest(token),
            "grant_id": grant.id,
            "parent_id": parent_id,
            "issued_at": now,
            "expires_at": min(now + dt.timedelta(seconds=idle_seconds), grant.expires_at),
            "used_at": None,
        },
    )
