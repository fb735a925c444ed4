"""A supervisor's changes to an identity or an account, with their consequence for sign-in, in one call.

Suspending, revoking or recording a death changes the register and ends every SSO session of the
person (and with them the portals' grants), in the caller's transaction (ASVS 7.4.2, SECURITY.md
decision 7): a later restore revives none of them. Which transitions end sessions is a column of the
register's transition tables (``ends_sessions``), so the rule is read, not repeated, here. The CLI,
and later the console and the account pages, call these rather than composing the two steps.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from identity import TRANSITIONS, change_account_status, change_status
from identity.account_states import ACCOUNT_TRANSITIONS
from identity.models import Account, Person

from .sessions import end_sessions_of_person


def change_identity_status(
    session: Session, pin: str, transition: str, *, reason: str, actor: str, died_on: dt.date | None = None
) -> Person:
    """Suspend, restore, revoke or record the death of the person with this PIN."""
    person = change_status(session, pin, transition, reason=reason, actor=actor, died_on=died_on)
    if TRANSITIONS[transition].ends_sessions:
        end_sessions_of_person(session, person.id, reason=f"identity {person.status.value}")
    return person


def change_account_state(session: Session, pin: str, transition: str, *, reason: str, actor: str) -> Account:
    """Suspend, restore or revoke the e-ID account of this PIN."""
    account = change_account_status(session, pin, transition, reason=reason, actor=actor)
    if ACCOUNT_TRANSITIONS[transition].ends_sessions:
        end_sessions_of_person(session, account.person_id, reason=f"account {account.status.value}")
    return account
