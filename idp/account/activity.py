"""The citizen's own history: their sign-in attempts and the audit events about them, in plain words.

Every line is a sentence from the catalogue, chosen by the record's stable codes (step, reason, action);
an action without a sentence here gets a general one, so the page never shows the register's English.
Portals appear by name; places only as networks (``places``).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from clients import client_names
from identity.audit import events_about
from identity.models import Account, AuditEvent, SignInAttempt
from identity.register import subject_of
from identity.sign_in_log import Reason, Step, recent_attempts

from .places import network_of

_ACCEPTED = {
    Step.PASSWORD: _l("Password correct"),
    Step.OTP: _l("Code from the app correct"),
    Step.RECOVERY_CODE: _l("Recovery code correct"),
}
_WRONG = {
    Step.PASSWORD: _l("Wrong password"),
    Step.OTP: _l("Wrong code from the app"),
    Step.RECOVERY_CODE: _l("Wrong recovery code"),
}
_REFUSED = {
    Reason.THROTTLED: _l("Refused without checking: too many wrong attempts just before"),
    Reason.LOCKED: _l("Refused: blocked after too many wrong attempts"),
    Reason.NOT_ACTIVE: _l("Refused: the account could not be used then"),
}
_ACCEPTED_OTHERWISE = _l("Accepted")
_REFUSED_OTHERWISE = _l("Refused")

_EVENTS = {
    "identity.issued": _l("Your personal identification number was issued."),
    "identity.card_bound": _l("A citizen identity card was recorded for you."),
    "identity.pin_reestablished": _l("Your personal identification number was re-established."),
    "identity.suspend": _l("Your identity was suspended in the register."),
    "identity.restore": _l("Your identity was restored in the register."),
    "account.opened": _l("A registrar opened your e-ID account."),
    "account.code_reissued": _l("A registrar issued a new activation code."),
    "account.activation_failed": _l("A wrong activation code was typed for your account."),
    "account.activate": _l("You activated your account."),
    "account.suspend": _l("Your account was suspended."),
    "account.restore": _l("Your account was restored."),
    "account.verified_in_person": _l("A registrar checked your identity in person: your account is at level 2."),
    "account.unlocked": _l("A supervisor lifted the block that followed too many wrong attempts."),
    "account.password_changed": _l("Your password was changed."),
    "account.otp_enrolled": _l("An authenticator app was set up."),
    "account.recovery_codes_replaced": _l("New recovery codes were made; the old ones no longer work."),
    "account.otp_reset": _l("A registrar removed your authenticator app."),
    "session.ended": _l("A sign-in on a browser ended."),
}
#: Sentences that name a portal (``%(portal)s``), from the event's ``client_id``.
_PORTAL_EVENTS = {
    "consent.given": _l("You allowed %(portal)s to receive your data."),
    "consent.withdrawn": _l("You withdrew the permission of %(portal)s."),
    "oidc.grant_revoked": _l("The access of %(portal)s ended."),
}
_SOMETHING_RECORDED = _l("A change to your account was recorded.")
_UNKNOWN_PORTAL = _l("a portal no longer registered")


@dataclass(frozen=True, slots=True)
class SignInLine:
    at: dt.datetime
    #: The portal's name; None for a sign-in on the provider's own pages.
    portal: str | None
    succeeded: bool
    outcome: str
    #: The network of the address (``places.network_of``); None when unknown.
    place: str | None


@dataclass(frozen=True, slots=True)
class EventLine:
    at: dt.datetime
    text: str


def history(session: Session, account: Account) -> tuple[list[SignInLine], list[EventLine]]:
    """The citizen's latest sign-in attempts and latest events, newest first."""
    attempts = recent_attempts(session, account.id)
    events = events_about(session, (subject_of(account.person), f"account:{account.id}"))
    details = {event.seq: _details(event) for event in events}
    portals = [_client_id(d) for d in details.values()] + [attempt.client_id for attempt in attempts]
    names = client_names(session, [client_id for client_id in portals if client_id])
    sign_ins = [_sign_in_line(attempt, names) for attempt in attempts]
    return sign_ins, [EventLine(event.occurred_at, _sentence(event, details[event.seq], names)) for event in events]


def _sign_in_line(attempt: SignInAttempt, names: dict[str, str]) -> SignInLine:
    succeeded = attempt.outcome == "success"
    if succeeded:
        outcome = _ACCEPTED.get(attempt.step, _ACCEPTED_OTHERWISE)
    elif attempt.reason == Reason.WRONG_SECRET:
        outcome = _WRONG.get(attempt.step, _REFUSED_OTHERWISE)
    else:
        outcome = _REFUSED.get(attempt.reason or "", _REFUSED_OTHERWISE)
    portal = portal_name(attempt.client_id, names) if attempt.client_id else None
    return SignInLine(attempt.at, portal, succeeded, str(outcome), network_of(attempt.address))


def _sentence(event: AuditEvent, details: dict[str, object], names: dict[str, str]) -> str:
    if event.action == "session.started":
        if "otp" in str(details.get("amr", "")).split():
            return _("You signed in with your password and a code.")
        return _("You signed in with your password.")
    client_id = _client_id(details)
    if event.action in _PORTAL_EVENTS and client_id:
        return str(_PORTAL_EVENTS[event.action] % {"portal": portal_name(client_id, names)})
    return str(_EVENTS.get(event.action, _SOMETHING_RECORDED))


def _details(event: AuditEvent) -> dict[str, object]:
    """The event's details as a mapping (empty when they are not one)."""
    try:
        details = json.loads(event.details)
    except ValueError:
        return {}
    return details if isinstance(details, dict) else {}


def _client_id(details: dict[str, object]) -> str | None:
    client_id = details.get("client_id")
    return client_id if isinstance(client_id, str) else None


def portal_name(client_id: str, names: dict[str, str]) -> str:
    """The portal's registered name (suspended portals keep theirs)."""
    return names.get(client_id) or str(_UNKNOWN_PORTAL)
