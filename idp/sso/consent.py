"""Consent: asked once per portal and scope set, remembered, withdrawable, always audited."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from identity import audit
from identity.types import utcnow

from .grants import revoke_grants_of_client
from .models import Consent


def _current(session: Session, account_id: int, client_id: str) -> Consent | None:
    return session.scalars(
        select(Consent).where(Consent.account_id == account_id, Consent.client_id == client_id)
    ).one_or_none()


def consent_covers(session: Session, account_id: int, client_id: str, scopes: Iterable[str]) -> bool:
    consent = _current(session, account_id, client_id)
    if consent is None or consent.withdrawn_at is not None:
        return False
    return set(scopes) <= set(consent.scope.split())


def give_consent(session: Session, account_id: int, client_id: str, scopes: Iterable[str]) -> Consent:
    """Record (or widen) the citizen's consent for this portal."""
    granted = set(scopes)
    consent = _current(session, account_id, client_id)
    if consent is None:
        consent = Consent(account_id=account_id, client_id=client_id, scope="", granted_at=utcnow())
        session.add(consent)
    elif consent.withdrawn_at is None:
        granted |= set(consent.scope.split())
    consent.scope = " ".join(sorted(granted))
    consent.granted_at, consent.withdrawn_at = utcnow(), None
    session.flush()
    audit.record(
        session,
        audit.Event(
            "consent.given",
            f"account:{account_id}",
            f"account:{account_id}",
            None,
            {"client_id": client_id, "scope": consent.scope},
        ),
    )
    return consent


def consents_of(session: Session, account_id: int) -> list[Consent]:
    """The citizen's standing consents, newest first."""
    query = (
        select(Consent)
        .where(Consent.account_id == account_id, Consent.withdrawn_at.is_(None))
        .order_by(Consent.granted_at.desc())
    )
    return list(session.scalars(query))


def withdraw_consent(session: Session, account_id: int, client_id: str) -> bool:
    """Withdraw the citizen's consent for this portal and revoke every token it holds for them, now.

    False when there was no standing consent (nothing changes then)."""
    consent = _current(session, account_id, client_id)
    if consent is None or consent.withdrawn_at is not None:
        return False
    consent.withdrawn_at = utcnow()
    revoke_grants_of_client(session, account_id, client_id, reason="consent withdrawn", actor=f"account:{account_id}")
    session.flush()
    audit.record(
        session,
        audit.Event(
            "consent.withdrawn", f"account:{account_id}", f"account:{account_id}", None, {"client_id": client_id}
        ),
    )
    return True
