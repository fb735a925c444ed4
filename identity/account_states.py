"""The e-ID account state table as data: which change is legal from which state.

pending_activation --activate--> active --suspend--> suspended --restore--> active; revoke from any
state but revoked, for good. Every change has a reason and an actor and is audited; a change the
table does not allow raises IllegalTransition and changes nothing.

Only the account's own state lives here. Whether it may sign in also depends on the person's status
in the register (identity/lifecycle.py), which is read at sign-in time, never copied.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from . import audit
from .errors import IllegalTransition
from .models import Account, AccountStatus
from .register import subject_of
from .types import utcnow


@dataclass(frozen=True, slots=True)
class AccountTransition:
    name: str
    sources: frozenset[AccountStatus]
    target: AccountStatus
    #: Whether the holder's sign-in sessions (and the portals' tokens under them) end with the change.
    ends_sessions: bool = False


_PENDING, _ACTIVE, _SUSPENDED = AccountStatus.PENDING_ACTIVATION, AccountStatus.ACTIVE, AccountStatus.SUSPENDED
ACCOUNT_TRANSITIONS = {
    t.name: t
    for t in (
        AccountTransition("activate", frozenset({_PENDING}), _ACTIVE),
        AccountTransition("suspend", frozenset({_ACTIVE}), _SUSPENDED, ends_sessions=True),
        AccountTransition("restore", frozenset({_SUSPENDED}), _ACTIVE),
        AccountTransition(
            "revoke", frozenset({_PENDING, _ACTIVE, _SUSPENDED}), AccountStatus.REVOKED, ends_sessions=True
        ),
    )
}
#: "activate" is the holder's own step, with the one-time code (identity.accounts.activate_account).
REGISTRAR_TRANSITIONS = ("suspend", "restore", "revoke")


def check_transition(account: Account, name: str) -> AccountTransition:
    """The rule for ``name`` if the account's current state allows it; else IllegalTransition."""
    rule = ACCOUNT_TRANSITIONS[name]
    if account.status not in rule.sources:
        allowed = ", ".join(sorted(s.value for s in rule.sources))
        raise IllegalTransition(
            f"Cannot {name} an e-ID account that is {account.status.value}; "
            f"this change applies only to accounts that are {allowed}."
        )
    return rule


def apply_transition(session: Session, account: Account, name: str, *, reason: str, actor: str) -> Account:
    """Check, change and audit one transition in the caller's transaction."""
    rule = check_transition(account, name)
    previous = account.status
    account.status, account.status_reason, account.status_changed_at = rule.target, reason, utcnow()
    session.flush()
    audit.record(
        session,
        audit.Event(
            f"account.{name}",
            actor,
            subject_of(account.person),
            reason,
            {"from": previous.value, "to": rule.target.value, "pin": account.person.pin},
        ),
    )
    return account
