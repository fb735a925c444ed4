"""Errors of the identity register.

Each error carries a stable ``code`` (for JSON output and API mapping) and a message written for the
person at the terminal or counter. Raising one of these always means nothing was changed.
"""

from __future__ import annotations


class IdentityError(Exception):
    """Base class: a request the register refuses, with a sentence that says why."""

    code = "identity_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def as_dict(self) -> dict[str, str]:
        return {"error": self.code, "message": self.message}


class InvalidInput(IdentityError):
    """A field is missing or malformed (date, sex, name, code); ``field`` names it when known."""

    code = "invalid_input"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class InvalidPin(IdentityError):
    """A PIN is not 12 ASCII digits or contradicts the person it belongs to."""

    code = "invalid_pin"

    def __init__(self, message: str, problems: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems


class UnknownPerson(IdentityError):
    """No person in the register has this PIN or card number."""

    code = "unknown_person"


class IllegalTransition(IdentityError):
    """A lifecycle change that the current state does not allow."""

    code = "illegal_transition"


class CardConflict(IdentityError):
    """A card record that cannot be bound as asked."""

    code = "card_conflict"


class PrefixExhausted(IdentityError):
    """All one million numbers of a PIN prefix are taken."""

    code = "prefix_exhausted"


class ImportRefused(IdentityError):
    """A bulk-import file that cannot be read at all (encoding, header)."""

    code = "import_refused"


class AuditChainBroken(IdentityError):
    """The audit trail no longer verifies."""

    code = "audit_chain_broken"


class UnknownAccount(IdentityError):
    """The person exists but no e-ID account has been opened for them."""

    code = "unknown_account"


class CredentialRejected(IdentityError):
    """A sign-in that failed; one message whatever the cause, so it reveals nothing (ASVS 6.3.8).

    The one error that changes something: a wrong password of an account counts against it
    (``identity.throttle``). ``reason`` and ``account_id`` are for the sign-in record, never for the page.
    """

    code = "credential_rejected"

    def __init__(self, message: str, *, reason: str, account_id: int | None) -> None:
        super().__init__(message)
        self.reason = reason
        self.account_id = account_id


class ActivationRejected(IdentityError):
    """An activation attempt with a PIN and code that do not match a live code; one message for every cause."""

    code = "activation_rejected"


class TooManyAttempts(IdentityError):
    """Too many wrong guesses against one secret; a fresh one must be issued (or time must pass)."""

    code = "too_many_attempts"


class WeakPassword(InvalidInput):
    """A new password the policy refuses; ``reason`` is a stable code, the message says exactly why."""

    code = "weak_password"

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message, field="password")
        self.reason = reason

    def as_dict(self) -> dict[str, str]:
        return {**super().as_dict(), "reason": self.reason}
