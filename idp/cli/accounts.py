"""``idp accounts``: a registrar's and supervisor's commands over e-ID accounts."""

from __future__ import annotations

from typing import Any

import click
from flask.cli import with_appcontext

from identity import (
    account_record,
    get_account,
    open_account,
    unit_of_work,
    verify_in_person,
)
from identity.accounts import issue_password_reset
from identity.factor_admin import factor_record, reset_second_factor, unlock_account

from ..context import session_factory, settings
from ..sso.sessions import end_sessions_of_account
from ..sso.status_changes import change_account_state
from .options import actor_option, emit, json_option, reason_option

HANDOVER = (
    "Hand this code to the citizen in person, on paper or read aloud, never by e-mail or message. "
    "It works once, until it expires; they enter their PIN, the code and a new password at the activation page."
)

#: How ``unlock`` names the factors of ``identity.throttle``.
FACTOR_NAMES = {"password": "password", "otp": "one-time code"}


@click.group(
    "accounts",
    help="E-ID accounts: open, show, suspend, restore, revoke, verify in person, reset the password or the "
    "second factor, unlock.",
)
def command() -> None:
    pass


def _describe(record: dict[str, Any]) -> str:
    lines = [
        f"{record['pin']}  {record['full_name']}",
        f"  account: {record['status']}" + (f" ({record['status_reason']})" if record["status_reason"] else ""),
        f"  identity in the register: {record['person_status']}; "
        f"can sign in: {'yes' if record['can_sign_in'] else 'no'}",
        f"  identity level {record['identity_level']}"
        + (
            f", verified in person by {record['verified_by']} on {record['verified_at']} "
            f"against card {record['verified_card_number']}"
            if record["verified_at"]
            else ""
        ),
        f"  opened {record['created_at']}; activated {record['activated_at'] or 'not yet'}; "
        f"password changed {record['password_changed_at'] or 'never'}",
    ]
    if record["activation_code_expires_at"]:
        kind = "password reset code" if record["status"] == "active" else "activation code"
        lines.append(
            f"  {kind} valid until {record['activation_code_expires_at']}, "
            f"{record['activation_attempts_left']} wrong attempt(s) left"
        )
    lines += [f"  second factor: {_second_factor(record)}", f"  locks: {_locks(record)}"]
    return "\n".join(lines)


def _second_factor(record: dict[str, Any]) -> str:
    parts = []
    if record["otp_app_since"]:
        parts.append(
            f"app set up since {record['otp_app_since']}, {record['recovery_codes_left']} recovery code(s) left"
        )
    if record["otp_enrolment_since"]:
        parts.append(f"enrolment under way since {record['otp_enrolment_since']}")
    return "; ".join(parts) or "no app"


def _locks(record: dict[str, Any]) -> str:
    parts = [
        f"{name} locked since {record[key]}"
        for name, key in (("password", "password_locked_since"), ("code", "otp_locked_since"))
        if record[key]
    ]
    return "; ".join(parts) or "none"


def _emit_code(record: dict[str, Any], code: str, headline: str, *, as_json: bool) -> None:
    """A one-time code, printed once, with the page where it is used and how to hand it over."""
    # ASVS 14.2.1: the code travels on its own, never in the URL.
    url = f"{settings().issuer.rstrip('/')}/activate"
    expires = record["activation_code_expires_at"]
    emit(
        {**record, "activation_code": code, "activation_url": url, "instructions": HANDOVER},
        as_json=as_json,
        text="\n".join(
            [
                headline,
                f"Activation code: {code}   (valid until {expires}, single use; it is not shown again)",
                f"Activation page: {url}",
                HANDOVER,
            ]
        ),
    )


@command.command("open", help="Open the e-ID account of a person (or issue a new code while it is pending).")
@click.argument("pin")
@json_option
@actor_option
@with_appcontext
def open_(pin: str, as_json: bool, actor: str) -> None:
    with unit_of_work(session_factory()) as session:
        account, code = open_account(session, pin, actor=actor, ttl_seconds=settings().activation_code_ttl)
        record = account_record(account)
    headline = f"E-ID account of {record['pin']} ({record['full_name']}) awaits activation."
    _emit_code(record, code, headline, as_json=as_json)


@command.command(
    "reset-password",
    help="Issue a one-time code with which the holder of an active account sets a new password "
    "(after checking the person); the current password works until then.",
)
@click.argument("pin")
@reason_option
@json_option
@actor_option
@with_appcontext
def reset_password(pin: str, reason: str, as_json: bool, actor: str) -> None:
    with unit_of_work(session_factory()) as session:
        account, code = issue_password_reset(
            session, pin, reason=reason, actor=actor, ttl_seconds=settings().activation_code_ttl
        )
        record = account_record(account)
    headline = (
        f"Password reset for the e-ID account of {record['pin']} ({record['full_name']}): the current password "
        "keeps working until the citizen sets a new one with this code; then every sign-in session ends."
    )
    _emit_code(record, code, headline, as_json=as_json)


@command.command(
    "show", help="Show the e-ID account of this PIN, its second factor and locks (never any hash, seed or code)."
)
@click.argument("pin")
@json_option
@with_appcontext
def show(pin: str, as_json: bool) -> None:
    with unit_of_work(session_factory()) as session:
        account = get_account(session, pin)
        record = {**account_record(account), **factor_record(session, account)}
    emit(record, as_json=as_json, text=_describe(record))


def _status_command(name: str, help_text: str) -> click.Command:
    @click.argument("pin")
    @reason_option
    @json_option
    @actor_option
    @with_appcontext
    def run(pin: str, reason: str, as_json: bool, actor: str) -> None:
        with unit_of_work(session_factory()) as session:
            account = change_account_state(session, pin, name, reason=reason, actor=actor)
            record = account_record(account)
        emit(record, as_json=as_json, text=f"E-ID account of {record['pin']} is now {record['status']}.")

    return click.command(name, help=help_text)(run)


command.add_command(_status_command("suspend", "Suspend an active e-ID account."))
command.add_command(_status_command("restore", "Restore a suspended e-ID account."))
command.add_command(_status_command("revoke", "Revoke an e-ID account for good."))


@command.command("verify", help="Record that the person was verified in person against their card (level 2).")
@click.argument("pin")
@click.option("--card-number", required=True, help="Number of the citizen identity card in hand.")
@json_option
@actor_option
@with_appcontext
def verify(pin: str, card_number: str, as_json: bool, actor: str) -> None:
    with unit_of_work(session_factory()) as session:
        record = account_record(verify_in_person(session, pin, card_number=card_number, actor=actor))
    emit(
        record,
        as_json=as_json,
        text=f"E-ID account of {record['pin']} is at identity level {record['identity_level']}, "
        f"verified by {record['verified_by']} against card {record['verified_card_number']}.",
    )


@command.command(
    "reset-otp",
    help="Remove the one-time-code app, any enrolment under way and the recovery codes (after checking the "
    "person), and end the account's sessions (a lost phone's among them); the next sign-in asks for a new app "
    "when one is required.",
)
@click.argument("pin")
@reason_option
@json_option
@actor_option
@with_appcontext
def reset_otp(pin: str, reason: str, as_json: bool, actor: str) -> None:
    with unit_of_work(session_factory()) as session:
        account, had = reset_second_factor(session, pin, reason=reason, actor=actor)
        end_sessions_of_account(session, account.id, reason="second factor reset")
        record = account_record(account)
    emit(
        {**record, "removed": had},
        as_json=as_json,
        text=f"Second factor of the e-ID account of {record['pin']} reset; it had: {_second_factor(had)}.",
    )


@command.command("unlock", help="Lift the locks and clear the failure counters of the password and the code.")
@click.argument("pin")
@reason_option
@json_option
@actor_option
@with_appcontext
def unlock(pin: str, reason: str, as_json: bool, actor: str) -> None:
    with unit_of_work(session_factory()) as session:
        account, was_locked = unlock_account(session, pin, reason=reason, actor=actor)
        record = account_record(account)
    names = " and ".join(FACTOR_NAMES[factor] for factor in was_locked)
    emit(
        {**record, "was_locked": was_locked},
        as_json=as_json,
        text=f"E-ID account of {record['pin']}: "
        + (f"unlocked the {names}" if was_locked else "nothing was locked")
        + "; failure counters cleared.",
    )
