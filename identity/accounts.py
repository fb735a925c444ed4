"""E-ID accounts: a registrar opens one, its holder activates it with a one-time code and changes the
password; supervisors suspend, restore and revoke it. (Level 2, in person: identity.verification.)
A holder who lost their password gets a one-time code from a registrar again (a password reset) and
sets a new password with it on the same activation page; the old password works until then.

Every function works in the caller's unit of work: it flushes, never commits, and audits in the
same transaction. Everything a refused call checks is checked before anything is written, with one
deliberate exception: a wrong activation code is counted (and audited) *before*
:class:`ActivationRejected` is raised, and the caller must commit after that error so the count
stands. Rolling it back would give an attacker unlimited guesses at a short code.
"""

from __future__ import annotations

import datetime as dt
import hmac
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from . import audit
from .account_states import REGISTRAR_TRANSITIONS, apply_transition
from .activation_codes import MAX_ATTEMPTS, code_digest, new_code
from .authn import DEFAULT_THROTTLE, authenticate_password, can_sign_in, find_account
from .errors import (
    ActivationRejected,
    IllegalTransition,
    InvalidInput,
    TooManyAttempts,
    UnknownAccount,
    WeakPassword,
)
from .models import Account, AccountStatus, ActivationCode, Person
from .password_policy import PasswordPolicy, birth_date_words
from .passwords import PasswordHasher, normalise_password
from .register import get_person, require_reason, subject_of
from .throttle import ThrottlePolicy
from .types import utcnow
from .vocabulary import PersonStatus

#: The one answer to a PIN and code that do not open a pending activation, whatever the cause.
ACTIVATION_REJECTED = (
    "This PIN and activation code do not match an account awaiting activation. Check both; "
    "a code works once and only until it expires, so ask a registrar for a new one if needed."
)


def get_account(session: Session, pin: str, *, for_update: bool = False) -> Account:
    """A registrar's lookup: precise errors for a bad or unknown PIN, or a person without an account."""
    person = get_person(session, pin)
    query = select(Account).where(Account.person_id == person.id).execution_options(populate_existing=True)
    account = session.scalars(query.with_for_update() if for_update else query).one_or_none()
    if account is None:
        raise UnknownAccount(f"No e-ID account has been opened for PIN {person.pin}.")
    return account


def open_account(session: Session, pin: str, *, actor: str, ttl_seconds: int) -> tuple[Account, str]:
    """Open the person's account, or issue a new code for one still pending; returns the code, shown once.

    A new code replaces the old one, which stops working at once.
    """
    _check_lifetime(ttl_seconds)
    person = get_person(session, pin, for_update=True)
    if person.status is not PersonStatus.ACTIVE:
        raise IllegalTransition(f"No e-ID account can be opened for an identity that is {person.status.value}.")
    account = session.scalars(select(Account).where(Account.person_id == person.id)).one_or_none()
    if account is not None and account.status is not AccountStatus.PENDING_ACTIVATION:
        raise IllegalTransition(
            f"PIN {person.pin} already has an e-ID account, which is {account.status.value}; activation codes "
            "are issued only for accounts awaiting activation."
        )
    reissued = account is not None
    if account is None:
        account = Account(person=person)
        session.add(account)
    code = _issue_code(
        session,
        account,
        "account.code_reissued" if reissued else "account.opened",
        actor=actor,
        ttl_seconds=ttl_seconds,
    )
    return account, code


def issue_password_reset(
    session: Session, pin: str, *, reason: str, actor: str, ttl_seconds: int
) -> tuple[Account, str]:
    """A registrar's password reset for an active account, after checking the person: a one-time code,
    returned once, with which the holder sets a new password on the activation page.

    Until then the old password keeps working (an unused reset locks nobody out). A new code replaces
    one still unused. Suspended, revoked or pending accounts, and persons not active in the register,
    are refused (a pending account gets its activation code from :func:`open_account`).
    """
    _check_lifetime(ttl_seconds)
    reason = require_reason(reason)
    account = get_account(session, pin, for_update=True)
    if account.status is not AccountStatus.ACTIVE:
        raise IllegalTransition(
            f"The e-ID account of PIN {account.person.pin} is {account.status.value}; a password reset is "
            "issued only for an active account."
        )
    if account.person.status is not PersonStatus.ACTIVE:
        raise IllegalTransition(f"No password reset is issued for an identity that is {account.person.status.value}.")
    code = _issue_code(
        session, account, "account.password_reset_issued", actor=actor, ttl_seconds=ttl_seconds, reason=reason
    )
    return account, code


def _check_lifetime(ttl_seconds: int) -> None:
    if ttl_seconds < 1:
        raise InvalidInput("The activation code lifetime must be at least one second.")


def _issue_code(
    session: Session, account: Account, event: str, *, actor: str, ttl_seconds: int, reason: str | None = None
) -> str:
    """A fresh code for the account, replacing (and so killing) any earlier one; audited as *event*."""
    code, now = new_code(), utcnow()
    record = account.activation_code or ActivationCode()
    account.activation_code = record
    record.code_hash, record.issued_by, record.issued_at = code_digest(code), actor, now
    record.expires_at = now + dt.timedelta(seconds=ttl_seconds)
    record.used_at, record.failed_attempts = None, 0
    session.flush()
    person = account.person
    details = {"pin": person.pin, "code_expires_at": record.expires_at.isoformat()}
    audit.record(session, audit.Event(event, actor, subject_of(person), reason, details))
    return code


def activate_account(
    session: Session, pin: str, code: str, new_password: str, *, hasher: PasswordHasher, policy: PasswordPolicy
) -> Account:
    """The holder's PIN, one-time code and chosen password: a pending account becomes active, level 1
    (or stays 2 if the holder was already verified in person); an active account with a password reset
    under way gets the new password (a reset: state and identity level unchanged).

    Refused, changing nothing: a weak password (WeakPassword; the code stays usable), a person not
    active in the register, a code with :data:`MAX_ATTEMPTS` failures (TooManyAttempts). Refused with
    the one message :data:`ACTIVATION_REJECTED`: any PIN without a code it may answer (see
    :func:`_answerable`), and a wrong, expired or used code — which is counted; commit after this error.
    """
    account = find_account(session, pin, for_update=True)
    record = account.activation_code if account is not None else None
    if account is None or record is None or not _answerable(account, record):
        raise ActivationRejected(ACTIVATION_REJECTED)
    if record.failed_attempts >= MAX_ATTEMPTS:
        raise TooManyAttempts(
            "Too many wrong activation codes were tried for this account; ask a registrar for a new code."
        )
    now, digest = utcnow(), code_digest(code)
    if record.used_at is not None or record.expires_at <= now or not hmac.compare_digest(record.code_hash, digest):
        _count_failed_code(session, account, record)
        raise ActivationRejected(ACTIVATION_REJECTED)
    person = account.person
    if person.status is not PersonStatus.ACTIVE:
        raise IllegalTransition(f"The identity is {person.status.value} in the register; see a registrar.")
    policy.check(new_password, context_words=(*_context_words(person), code), name_parts=_name_parts(person))
    password_hash = hasher.hash(new_password)
    if not _use_code(session, record, digest, now):
        raise ActivationRejected(ACTIVATION_REJECTED)
    account.password_hash, account.password_changed_at = password_hash, now
    if account.status is AccountStatus.ACTIVE:
        session.flush()
        holder = subject_of(person)
        audit.record(session, audit.Event("account.password_reset", holder, holder, "new password set with the code"))
        return account
    account.activated_at = now
    return apply_transition(
        session, account, "activate", reason="activated online with the one-time code", actor=subject_of(person)
    )


def _answerable(account: Account, record: ActivationCode) -> bool:
    """Whether the account's code may be tried at all: a pending account's, or an active account's password
    reset under way — unused, and issued since the account's last change of state, so that a suspension
    cancels it. Any other account answers as an unknown PIN does, and nothing is counted."""
    if account.status is AccountStatus.PENDING_ACTIVATION:
        return True
    changed = account.status_changed_at
    return (
        account.status is AccountStatus.ACTIVE
        and record.used_at is None
        and (changed is None or record.issued_at >= changed)
    )


def _count_failed_code(session: Session, account: Account, record: ActivationCode) -> None:
    """One more wrong guess against this code, counted in the database and audited."""
    session.execute(
        update(ActivationCode)
        .where(ActivationCode.id == record.id)
        .values(failed_attempts=ActivationCode.failed_attempts + 1)
    )
    audit.record(
        session,
        audit.Event("account.activation_failed", "anonymous", subject_of(account.person), "wrong or stale code"),
    )


def _use_code(session: Session, record: ActivationCode, digest: str, now: dt.datetime) -> bool:
    """Mark the code used if, in the database and at this instant, it is still unused, live and unspent.

    The condition is in the UPDATE itself, so of two concurrent activations only one changes the row.
    """
    result = session.execute(
        update(ActivationCode)
        .where(
            ActivationCode.id == record.id,
            ActivationCode.code_hash == digest,
            ActivationCode.used_at.is_(None),
            ActivationCode.expires_at > now,
            ActivationCode.failed_attempts < MAX_ATTEMPTS,
        )
        .values(used_at=now)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def change_password(
    session: Session,
    pin: str,
    current_password: str,
    new_password: str,
    *,
    hasher: PasswordHasher,
    policy: PasswordPolicy,
    throttle: ThrottlePolicy = DEFAULT_THROTTLE,
) -> Account:
    """Replace the password; the current one is required (ASVS 6.2.3) and is checked as at sign-in: a wrong
    one raises CredentialRejected and counts against the account (commit after it, so the count stands)."""
    account = authenticate_password(session, pin, current_password, hasher=hasher, throttle=throttle)
    person = account.person
    policy.check(new_password, context_words=_context_words(person), name_parts=_name_parts(person))
    if normalise_password(new_password) == normalise_password(current_password):
        raise WeakPassword("The new password is the same as the current one; choose another.", reason="unchanged")
    account.password_hash, account.password_changed_at = hasher.hash(new_password), utcnow()
    session.flush()
    audit.record(session, audit.Event("account.password_changed", subject_of(person), subject_of(person)))
    return account


def change_account_status(session: Session, pin: str, transition: str, *, reason: str, actor: str) -> Account:
    """Suspend, restore or revoke the account of this PIN (see identity.account_states)."""
    if transition not in REGISTRAR_TRANSITIONS:
        raise InvalidInput(
            f"Unknown account change {transition!r}; use {', '.join(REGISTRAR_TRANSITIONS)} "
            "(an account is activated by its holder, with the activation code)."
        )
    reason = require_reason(reason)
    return apply_transition(session, get_account(session, pin, for_update=True), transition, reason=reason, actor=actor)


def _context_words(person: Person) -> tuple[str, ...]:
    return (person.pin, person.full_name, *birth_date_words(person.birth_date))


def _name_parts(person: Person) -> tuple[str, ...]:
    names = (person.full_name, person.family_name, person.middle_name, person.given_name)
    return tuple(part for name in names if name for part in name.split())


def account_record(account: Account) -> dict[str, Any]:
    """A plain description for JSON output and pages; never any hash or code."""
    person, code = account.person, account.activation_code
    pending = code is not None and _answerable(account, code)
    return {
        "pin": person.pin,
        "full_name": person.full_name,
        "status": account.status.value,
        "status_reason": account.status_reason,
        "person_status": person.status.value,
        "can_sign_in": can_sign_in(account),
        "identity_level": account.identity_level,
        "verified_by": account.verified_by,
        "verified_at": _iso(account.verified_at),
        "verified_card_number": account.verified_card.number if account.verified_card else None,
        "password_set": account.password_hash is not None,
        "password_changed_at": _iso(account.password_changed_at),
        "created_at": _iso(account.created_at),
        "activated_at": _iso(account.activated_at),
        "activation_code_expires_at": _iso(code.expires_at) if pending and code else None,
        "activation_attempts_left": max(MAX_ATTEMPTS - code.failed_attempts, 0) if pending and code else None,
    }


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None
