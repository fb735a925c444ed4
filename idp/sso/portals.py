"""The portals that can read a citizen's data today, and ending that access.

A third-party portal is listed while the citizen's consent to it stands: it may receive their data at
any time without asking again. A first-party portal never asks for consent, so it is listed while it
holds tokens for the citizen (live grants): the citizen still sees every portal that can read their
data now, and can cut any of them off. Ending the access of a third-party portal withdraws the consent
(its next authorization asks again); for a first-party portal it revokes its tokens (it may sign the
citizen in again, as a service of the State that needs no consent).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from .consent import consents_of, withdraw_consent
from .grants import live_grants_of_account, revoke_grants_of_client


@dataclass(frozen=True, slots=True)
class PortalAccess:
    client_id: str
    #: What the portal may receive: the consented scopes, or the scopes of its live tokens.
    scopes: tuple[str, ...]
    #: The citizen's consent stands; False for a portal that holds tokens without one (first-party).
    consented: bool
    since: dt.datetime


def portals_of(session: Session, account_id: int) -> list[PortalAccess]:
    """Every portal with a standing consent or live tokens for this citizen, most recent first."""
    found = {
        consent.client_id: PortalAccess(consent.client_id, tuple(consent.scope.split()), True, consent.granted_at)
        for consent in consents_of(session, account_id)
    }
    for grant in live_grants_of_account(session, account_id):  # oldest first: ``since`` is the first grant
        known = found.get(grant.client_id)
        if known is None:
            found[grant.client_id] = PortalAccess(grant.client_id, tuple(grant.scope.split()), False, grant.created_at)
        elif not known.consented:
            scopes = tuple(dict.fromkeys((*known.scopes, *grant.scope.split())))
            found[grant.client_id] = PortalAccess(known.client_id, scopes, False, known.since)
    return sorted(found.values(), key=lambda portal: portal.since, reverse=True)


def end_access(session: Session, account_id: int, client_id: str) -> bool:
    """Withdraw the consent to this portal, or revoke its tokens; each revocation is audited.

    False, changing nothing, when *client_id* is not one of this citizen's portals (another citizen's,
    made up, already ended): it is matched against the list before any query uses it."""
    portal = next((p for p in portals_of(session, account_id) if p.client_id == client_id), None)
    if portal is None:
        return False
    if portal.consented:
        return withdraw_consent(session, account_id, portal.client_id)
    revoked = revoke_grants_of_client(
        session, account_id, portal.client_id, reason="ended by the citizen", actor=f"account:{account_id}"
    )
    return revoked > 0
