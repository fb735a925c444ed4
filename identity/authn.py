"""Sign-in with PIN and password, the first factor.

A failed sign-in says one thing, :data:`REJECTED`, as one error type (:class:`CredentialRejected`),
whether the PIN is malformed, unknown or cancelled, the account pending, suspended, revoked, waiting
after failed attempts or locked, the person suspended, revoked or deceased in the register, or the
password wrong; and every one of those paths runs exactly one argon2 verification (against the dummy
hash when there is no usable account), so neither the answer nor its time tells whether a PIN has an
account (ASVS 6.3.8).

One deliberate exception: a PIN typed with non-ASCII digits (full-width "１２３…", Arabic-Indic …)
gets ``parse_pin``'s precise :class:`InvalidPin`, naming the character. That answer depends only on
what was typed, never on the register, so it reveals nothing, and it tells a person whose input
method produced those digits how to succeed. Such a PIN is never normalised into a valid one.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, contains_eager

from .errors import CredentialRejected, InvalidPin
from .models import Account, AccountStatus, Person
from .passwords import PasswordHasher
from .pin import parse_pin
from .sign_in_log import Reason
from .throttle import Factor, ThrottlePolicy, Verdict, record_failure, record_success, verdict
from .vocabulary import PersonStatus

REJECTED = "The personal identification number or the password is not correct."
DEFAULT_THROTTLE = ThrottlePolicy()


def find_account(session: Session, pin: str, *, for_update: bool = False) -> Account | None:
    """The account behind a current PIN, or None (malformed ASCII, unknown or cancelled PIN, no account).

    Raises InvalidPin only for non-ASCII digits (see the module docstring).
    """
    try:
        pin = parse_pin(pin)
    except InvalidPin as error:
        if "non_ascii_digit" in error.problems:
            raise
        return None
    query = (
        select(Account)
        .join(Account.person)
        .options(contains_eager(Account.person))
        .where(Person.pin == pin)
        .execution_options(populate_existing=True)  # a long-lived session must not see a stale state
    )
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


def can_sign_in(account: Account) -> bool:
    """Active account, active person (read from the register now, never copied), and a password set."""
    return (
        account.status is AccountStatus.ACTIVE
        and account.person.status is PersonStatus.ACTIVE
        and account.password_hash is not None
    )


def authenticate_password(
    session: Session, pin: str, password: str, *, hasher: PasswordHasher, throttle: ThrottlePolicy = DEFAULT_THROTTLE
) -> Account:
    """The account whose PIN and password these are, or CredentialRejected.

    An account that must wait (or is locked) after failed attempts is refused without its password being
    looked at; a wrong password counts against the account, whichever spelling of the PIN was typed
    (``identity.throttle``); a success clears the count. When the stored hash was made with older argon2
    parameters it is replaced (flushed) by a hash with today's, so raising the parameters in configuration
    takes effect at each next sign-in.
    """
    account = find_account(session, pin)
    state = verdict(session, account.id, Factor.PASSWORD) if account is not None else Verdict.OPEN
    usable = account is not None and can_sign_in(account) and state is Verdict.OPEN
    verified = hasher.verify(account.password_hash if usable and account else None, password)
    if account is None or not verified:
        reason = _why(session, account, state, throttle)
        raise CredentialRejected(REJECTED, reason=reason, account_id=_id(account))
    assert account.password_hash is not None
    record_success(session, account.id, Factor.PASSWORD)
    if hasher.needs_rehash(account.password_hash):
        account.password_hash = hasher.hash(password)
        session.flush()
    return account


def _why(session: Session, account: Account | None, state: Verdict, throttle: ThrottlePolicy) -> str:
    """The reason class of a refusal, counting a wrong password against a usable account."""
    if account is None:
        return Reason.UNKNOWN_ACCOUNT
    if state is Verdict.LOCKED:
        return Reason.LOCKED
    if state is Verdict.WAIT:
        return Reason.THROTTLED
    if not can_sign_in(account):
        return Reason.NOT_ACTIVE
    record_failure(session, account.id, Factor.PASSWORD, throttle)
    return Reason.WRONG_SECRET


def _id(account: Account | None) -> int | None:
    return account.id if account is not None else None
