"""Protocol state of the provider: SSO sessions, codes, grants, refresh tokens, consents, pushed requests.

Every secret a client or browser holds (session cookie, code, refresh token) is stored as its
SHA-256 only; the plaintext exists in exactly one place, the holder.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from identity.db import Base
from identity.models.columns import id_type
from identity.types import UTCDateTime, created_at

_HASH = String(64)
_OPEN = text("ended_at IS NULL")


class SsoSession(Base):
    """A browser's single sign-on session: an opaque cookie that points to this row."""

    __tablename__ = "sso_sessions"
    #: The sweeper's two questions, "which open sessions idled out / reached their end?", read only open rows.
    __table_args__ = (
        Index("ix_sso_sessions_open_last_seen", "last_seen_at", sqlite_where=_OPEN, postgresql_where=_OPEN),
        Index("ix_sso_sessions_open_expires", "expires_at", sqlite_where=_OPEN, postgresql_where=_OPEN),
    )

    id: Mapped[int] = mapped_column(id_type, primary_key=True)
    key_hash: Mapped[str] = mapped_column(_HASH, unique=True)
    #: Public session identifier for the ``sid`` claim and logout; not a credential.
    sid: Mapped[str] = mapped_column(String(43), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    auth_time: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    acr: Mapped[str] = mapped_column(String(100))
    #: Space-separated authentication method references (RFC 8176), e.g. "pwd" or "pwd otp".
    amr: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[created_at]
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    end_reason: Mapped[str | None] = mapped_column(String(100))


class AuthorizationCode(Base):
    """A one-time code: bound to client, redirect URI, PKCE challenge and the authentication event."""

    __tablename__ = "authorization_codes"
    #: RFC 9700 R10: a client's earlier nonces and PKCE challenges are looked up on every authorization request.
    __table_args__ = (
        Index("ix_authorization_codes_client_nonce", "client_id", "nonce"),
        Index("ix_authorization_codes_client_challenge", "client_id", "code_challenge"),
    )

    id: Mapped[int] = mapped_column(id_type, primary_key=True)
    code_hash: Mapped[str] = mapped_column(_HASH, unique=True)
    client_id: Mapped[str] = mapped_column(String(64))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("sso_sessions.id"), index=True)
    redirect_uri: Mapped[str] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(Text)
    nonce: Mapped[str | None] = mapped_column(Text)
    code_challenge: Mapped[str | None] = mapped_column(String(128))
    code_challenge_method: Mapped[str | None] = mapped_column(String(10))
    #: The ``claims`` request parameter (OIDC Core 5.5) as JSON text, if any.
    claims: Mapped[str | None] = mapped_column(Text)
    auth_time: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    acr: Mapped[str] = mapped_column(String(100))
    amr: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[created_at]
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    #: The grant the code was exchanged for; a replayed code revokes it (RFC 9700 §4.2.4).
    grant_id: Mapped[int | None] = mapped_column(ForeignKey("grants.id"))


class Grant(Base):
    """One authorization of one client, and every token issued under it (a refresh-token family).

    Revoking the grant kills its refresh tokens and, because JWT access tokens carry the grant key
    and are checked at userinfo and introspection, its access tokens too.
    """

    __tablename__ = "grants"

    id: Mapped[int] = mapped_column(id_type, primary_key=True)
    #: Random public handle carried by access tokens (private claim ``gid``).
    key: Mapped[str] = mapped_column(String(32), unique=True)
    client_id: Mapped[str] = mapped_column(String(64), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("sso_sessions.id"), index=True)
    #: The ``sid`` the portal received with this grant's first ID token. It stays when the grant moves to
    #: a newer session of the same citizen, so refreshed ID tokens and logout tokens name what the portal knows.
    sid: Mapped[str | None] = mapped_column(String(43))
    scope: Mapped[str] = mapped_column(Text)
    claims: Mapped[str | None] = mapped_column(Text)
    auth_time: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    acr: Mapped[str | None] = mapped_column(String(100))
    amr: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[created_at]
    #: Absolute end of the family: no refresh token outlives it (ASVS 10.4.8).
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoke_reason: Mapped[str | None] = mapped_column(String(100))


class RefreshToken(Base):
    """One refresh token of a family; rotated on every use, kept after use to detect replay."""

    __tablename__ = "refresh_tokens"

    id: Mapped[int] = mapped_column(id_type, primary_key=True)
    token_hash: Mapped[str] = mapped_column(_HASH, unique=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("grants.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("refresh_tokens.id"))
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    #: Idle expiry of this token, never beyond its grant's absolute expiry.
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class RevokedAccessToken(Base):
    """A JWT access token revoked before its expiry (RFC 7009); kept until it would have expired."""

    __tablename__ = "revoked_access_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)


class Consent(Base):
    """What a citizen allowed a portal to receive; asked once per client and scope set, withdrawable."""

    __tablename__ = "consents"
    __table_args__ = (UniqueConstraint("account_id", "client_id"),)

    id: Mapped[int] = mapped_column(id_type, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    client_id: Mapped[str] = mapped_column(String(64))
    #: Space-separated, sorted scopes granted.
    scope: Mapped[str] = mapped_column(Text)
    granted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class PushedRequest(Base):
    """A pushed authorization request (RFC 9126): parameters stored under a one-time request_uri."""

    __tablename__ = "pushed_requests"
    __table_args__ = (Index("ix_pushed_requests_expires_at", "expires_at"),)

    id: Mapped[int] = mapped_column(id_type, primary_key=True)
    key_hash: Mapped[str] = mapped_column(_HASH, unique=True)
    client_id: Mapped[str] = mapped_column(String(64))
    #: The authorization parameters as a JSON object.
    parameters: Mapped[str] = mapped_column(Text)
    created_at: Mapped[created_at]
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class UsedClientAssertion(Base):
    """``jti`` of private_key_jwt client assertions already accepted, so none is accepted twice (V12)."""

    __tablename__ = "used_client_assertions"
    __table_args__ = (UniqueConstraint("client_id", "jti"),)

    id: Mapped[int] = mapped_column(id_type, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64))
    jti: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)


class PendingSignIn(Base):
    """A sign-in under way: the steps passed so far, waiting for the next one (the one-time code).

    Its key is a cookie of the browser that passed the first step, stored as a digest: another browser
    cannot use it, and it is consumed by one conditional UPDATE when the last step passes, so it works once.
    It lives a few minutes. The SSO session exists only after it, with a new identifier.
    """

    __tablename__ = "pending_sign_ins"

    id: Mapped[int] = mapped_column(id_type, primary_key=True)
    key_hash: Mapped[str] = mapped_column(_HASH, unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    #: Space-separated authentication methods (RFC 8176) already passed, e.g. "pwd".
    amr: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[created_at]
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class LogoutNotice(Base):
    """A back-channel logout token owed to a portal (an outbox row), written in the transaction that ends
    the session, so no ending is ever lost; delivered, retried with back-off, or abandoned by a deliverer.

    ``next_attempt_at`` is also the claim: a deliverer moves it past its own attempt before sending, so
    another deliverer does not send the same notice at the same time.
    """

    __tablename__ = "logout_notices"
    __table_args__ = (Index("ix_logout_notices_due", "delivered_at", "abandoned_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(id_type, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), index=True)
    #: Where to POST, as registered when the session ended.
    uri: Mapped[str] = mapped_column(String(2000))
    #: The citizen (the token's pairwise ``sub`` is derived when it is sent) and the ``sid`` the portal knows.
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    sid: Mapped[str | None] = mapped_column(String(43))
    reason: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[created_at]
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(300))
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    #: Set when retrying stopped making sense (``IDP_LOGOUT_NOTICE_DEADLINE`` passed): kept for operators.
    abandoned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
