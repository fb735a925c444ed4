"""The current password, asked again on an account page: checked, counted and recorded as at sign-in.

A wrong password counts against the account's password counter, the one sign-in uses (a thief with the
browser cannot guess on here instead), and is recorded among the citizen's sign-in attempts; both
stand although the answer refuses. One message whatever the cause (ASVS 6.3.8, as the sign-in page).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from identity import CredentialRejected
from identity.authn import authenticate_password
from identity.sign_in_log import Step

from .. import context
from ..db import standing_session
from ..interaction.login import throttle_policy
from ..interaction.sign_in import record
from .access import Holder

_WRONG = _l("The password is not correct. After several wrong attempts you must wait a little before trying again.")


def confirm_password(holder: Holder, typed: str) -> str | None:
    """None when *typed* is the citizen's password; else what to tell them (the failure is counted)."""
    try:
        authenticate_password(
            standing_session(), holder.account.person.pin, typed, hasher=context.hasher(), throttle=throttle_policy()
        )
    except CredentialRejected as refusal:
        return refused(refusal)
    return None


def refused(refusal: CredentialRejected) -> str:
    """Record a refused password (the record stands) and say so."""
    record(Step.PASSWORD, refusal.account_id, refusal.reason, None)
    return str(_WRONG)
