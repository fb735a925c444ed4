"""The register's refusals in the citizen's language.

``identity`` says exactly why it refuses, in English, for registrars, logs and the CLI; a citizen on a
page gets the same reason translated, chosen by the error's stable ``code`` (and a weak password's
``reason``). An error without a sentence here gets a general one: pages never show English from
the register.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from identity import IdentityError

_ACTIVATION_REJECTED = _l(
    "This PIN and activation code do not match an account awaiting activation. Check both; a code "
    "works once and only until it expires, so ask a registrar for a new one if needed."
)
_BY_CODE = {
    "activation_rejected": _ACTIVATION_REJECTED,
    # The same answer: a different one would tell whoever guessed that this PIN awaits activation (ASVS 6.3.8).
    "too_many_attempts": _ACTIVATION_REJECTED,
    "illegal_transition": _l("Your identity is not active in the register; please see a registrar."),
    "invalid_pin": _l("Type the personal identification number with the digits 0 to 9 only."),
}
_WEAK_PASSWORD = {
    "too_long": _l("The password is too long."),
    "repetitive": _l("The password repeats the same few characters; choose one that does not."),
    "sequential": _l(
        "The password is a run of consecutive characters or keys (like 12345678 or abcdefgh); choose another."
    ),
    "common": _l("The password is one of the most common passwords, which attackers try first; choose another."),
    "unchanged": _l("The new password is the same as the current one; choose another."),
    "context": _l(
        "The password contains something easy to guess from who you are or from this service; choose another."
    ),
}


_GENERAL = _l("This cannot be done. Check what you typed and try again, or ask a registrar for help.")


def for_citizen(error: IdentityError, *, min_password_length: int = 0) -> str:
    reason = getattr(error, "reason", None)
    if error.code == "weak_password" and reason == "too_short":
        return _(
            "The password is too short; use at least %(count)d characters (a phrase of a few words is long "
            "and easy to remember).",
            count=min_password_length,
        )
    message = _WEAK_PASSWORD.get(reason) if error.code == "weak_password" else _BY_CODE.get(error.code)
    return str(message if message is not None else _GENERAL)
