"""Delivering the logout tokens owed to portals (OpenID Connect Back-Channel Logout 1.0 §2.4–2.8).

A round claims the notices that are due, sends each one a freshly signed logout token, and records the
outcome. The claim is one conditional UPDATE per notice that moves ``next_attempt_at`` past the round
(and, on PostgreSQL, rows another deliverer has locked are skipped), so several deliverers never send
one notice at the same time. A failure (no answer within the timeout, or anything but 200/204) is
retried with a doubling back-off; a notice still undelivered after ``logout_notice_deadline`` is
abandoned, as by then the portal's own sessions are far past any token the provider issued. Each
attempt signs a new token, with a new ``jti`` and ``iat``, since portals refuse old and replayed ones.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from identity.models import Account
from identity.types import utcnow
from keys import sign_jwt

from ..config import Settings
from .client_columns import CLIENTS
from .models import LogoutNotice
from .subject import pairwise_subject

log = logging.getLogger("idp.logout")

BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
#: A logout token is good for two minutes; a portal that answers later gets a new one.
TOKEN_LIFETIME = 120
#: The longest wait between two attempts.
MAX_BACKOFF = dt.timedelta(hours=1)
#: Notices claimed per round; a round never holds one longer than ``BATCH * timeout``.
BATCH = 20

#: ``post(uri, form, timeout)`` → HTTP status; raises ``OSError`` (or a subclass) when nobody answers.
Post = Callable[[str, dict[str, str], float], int]


def post_form(uri: str, form: dict[str, str], timeout: float) -> int:
    """POST *form* with ``requests``, following no redirect (a portal's logout URI is where it must be)."""
    import requests  # only deliverers need it

    try:
        response = requests.post(uri, data=form, timeout=timeout, allow_redirects=False)
    except requests.RequestException as error:
        raise ConnectionError(type(error).__name__) from None
    response.close()
    return response.status_code


@dataclass(frozen=True, slots=True)
class Round:
    """What one delivery round did."""

    delivered: int = 0
    failed: int = 0
    abandoned: int = 0


@dataclass(frozen=True, slots=True)
class _Claimed:
    id: int
    uri: str
    attempts: int
    created_at: dt.datetime
    token: str


class Deliverer:
    """Sends due logout notices; safe to run in several threads and processes at once."""

    def __init__(
        self, session_factory: sessionmaker[Session], keyring: Any, settings: Settings, *, post: Post = post_form
    ) -> None:
        self.session_factory = session_factory
        self.keyring = keyring
        self.settings = settings
        self.post = post

    def deliver_due(self) -> Round:
        claimed = self._claim()
        outcomes = {notice.id: self._send(notice) for notice in claimed}
        return self._record(claimed, outcomes)

    def _claim(self) -> list[_Claimed]:
        """Take the due notices out of every other deliverer's reach until this round is long over."""
        now = utcnow()
        lease = now + dt.timedelta(seconds=BATCH * self.settings.logout_delivery_timeout + 60)
        due = (
            select(LogoutNotice, CLIENTS.c.sector, CLIENTS.c.id_token_signed_response_alg, Account.person_id)
            .join(CLIENTS, CLIENTS.c.client_id == LogoutNotice.client_id)
            .join(Account, Account.id == LogoutNotice.account_id)
            .where(
                LogoutNotice.delivered_at.is_(None),
                LogoutNotice.abandoned_at.is_(None),
                LogoutNotice.next_attempt_at <= now,
            )
            .order_by(LogoutNotice.next_attempt_at)
            .limit(BATCH)
            .with_for_update(of=LogoutNotice, skip_locked=True)
        )
        claimed = []
        with self.session_factory() as session, session.begin():
            for notice, sector, alg, person_id in session.execute(due).all():
                taken = session.execute(
                    update(LogoutNotice)
                    .where(LogoutNotice.id == notice.id, LogoutNotice.next_attempt_at == notice.next_attempt_at)
                    .values(next_attempt_at=lease, attempts=LogoutNotice.attempts + 1)
                    .execution_options(synchronize_session=False)
                ).rowcount
                if taken:
                    token = self._logout_token(notice.client_id, sector, alg, person_id, notice.sid)
                    claimed.append(_Claimed(notice.id, notice.uri, notice.attempts + 1, notice.created_at, token))
        return claimed

    def _logout_token(self, client_id: str, sector: str | None, alg: str, person_id: int, sid: str | None) -> str:
        now = int(self.keyring.now().timestamp())
        claims: dict[str, Any] = {
            "iss": self.settings.issuer,
            "aud": client_id,
            "iat": now,
            "exp": now + TOKEN_LIFETIME,
            "jti": secrets.token_urlsafe(16),
            "sub": pairwise_subject(sector or client_id, person_id, self.settings.pairwise_salt),
            "events": {BACKCHANNEL_EVENT: {}},
        }
        if sid:
            claims["sid"] = sid
        return sign_jwt(self.keyring, claims, alg=alg, typ="logout+jwt")

    def _send(self, notice: _Claimed) -> str | None:
        """None when the portal honoured the token, else what went wrong."""
        try:
            status = self.post(notice.uri, {"logout_token": notice.token}, self.settings.logout_delivery_timeout)
        except OSError as error:
            return f"no answer: {error}"[:300]
        return None if status in (200, 204) else f"HTTP {status}"

    def _record(self, claimed: list[_Claimed], outcomes: dict[int, str | None]) -> Round:
        now = utcnow()
        deadline = dt.timedelta(seconds=self.settings.logout_notice_deadline)
        delivered = failed = abandoned = 0
        with self.session_factory() as session, session.begin():
            for notice in claimed:
                error = outcomes[notice.id]
                values: dict[str, Any] = {"last_error": error}
                if error is None:
                    values["delivered_at"] = now
                    delivered += 1
                elif now - notice.created_at >= deadline:
                    values["abandoned_at"] = now
                    abandoned += 1
                    log.error(
                        "logout notice %d to %s abandoned after %d attempts: %s",
                        notice.id,
                        notice.uri,
                        notice.attempts,
                        error,
                    )
                else:
                    values["next_attempt_at"] = now + self.backoff(notice.attempts)
                    failed += 1
                    log.warning(
                        "logout notice %d to %s failed (attempt %d): %s", notice.id, notice.uri, notice.attempts, error
                    )
                session.execute(update(LogoutNotice).where(LogoutNotice.id == notice.id).values(**values))
        return Round(delivered, failed, abandoned)

    def backoff(self, attempts: int) -> dt.timedelta:
        """The wait after the *attempts*-th failure: the first retry delay, doubled each time, at most an hour."""
        first = dt.timedelta(seconds=self.settings.logout_retry_delay)
        return min(first * 2 ** min(attempts - 1, 20), MAX_BACKOFF)
