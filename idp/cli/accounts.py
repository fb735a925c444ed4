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

from ..context import session_factory, settings
from ..sso.status_changes import change_account_state
from .options import actor_option, emit, json_option, reason_option

HANDOVER = (
    "Hand this code to the citizen in person, on paper or read aloud, never by e-mail or message. "
    "It works once, until it expires; they enter their PIN, the code and a new password at the activation page."
)


@click.group("accounts", help="E-ID accounts: open, show, suspend, restore, revoke, verify in person.")
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
        lines.append(
            f"  activation code valid until {record['activation_code_expires_at']}, "
            f"{record['activation_attempts_left']} wrong attempt(s) left"
        )
    return "\n".join(lines)


@command.command("open", help="Open the e-ID account of a person (or issue a new code while it is pending).")
@click.argument("pin")
@json_option
@actor_option
@with_appcontext
def open_(pin: str, as_json: bool, actor: str) -> None:
    with unit_of_work(session_factory()) as session:
        account, code = open_account(session, pin, actor=actor, ttl_seconds=settings().activation_code_ttl)
        record = account_record(account)
    # ASVS 14.2.1: the code travels on its own, never in the URL.
    url = f"{settings().issuer.rstrip('/')}/activate"
    expires = record["activation_code_expires_at"]
    emit(
        {**record, "activation_code": code, "activation_url": url, "instructions": HANDOVER},
        as_json=as_json,
        text="\n".join(
            [
                f"E-ID account of {record['pin']} ({record['full_name']}) awaits activation.",
                f"Activation code: {code}   (valid until {expires}, single use; it is not shown again)",
                f"Activation page: {url}",
                HANDOVER,
            ]
        ),
    )


@command.command("show", help="Show the e-ID account of this PIN (never any hash or code).")
@click.argument("pin")
@json_option
@with_appcontext
def show(pin: str, as_json: bool) -> None:
    with unit_of_work(session_factory()) as session:
        record = account_record(get_account(session, pin))
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
