"""``idp identity``: the registrar's commands over the register."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext
from tqdm import tqdm

from identity import (
    ImportSummary,
    bind_card,
    find_people,
    get_person,
    import_csv,
    issue_person,
    parse_date,
    person_facts,
    person_record,
    reestablish_pin,
    unit_of_work,
)
from identity.importer import DEFAULT_BATCH, check_file

from ..context import session_factory
from ..sso.status_changes import change_identity_status
from .options import actor_option, emit, json_option, reason_option


@click.group("identity", help="Persons, PINs and citizen cards in the register.")
def command() -> None:
    pass


def _describe(record: dict) -> str:  # type: ignore[type-arg]
    card = record["card"]
    lines = [
        f"{record['pin']}  {record['full_name']}",
        f"  born {record['birth_date']} ({record['sex']}), registered in {record['birth_place']} "
        f"{record['birth_place_name'] or ''}".rstrip(),
        f"  status: {record['status']}" + (f" ({record['status_reason']})" if record["status_reason"] else ""),
    ]
    if record["pin_problems"]:
        lines.append(f"  PIN flagged: {', '.join(record['pin_problems'])}")
    if card:
        expiry = card["expires_on"] or "no expiry"
        lines.append(f"  card issued {card['issued_on']}, valid until {expiry}, by {card['authority']}")
    return "\n".join(lines)


@command.command("issue", help="Record a person and issue a new PIN.")
@click.option("--name", "full_name", required=True, help="Full name exactly as registered.")
@click.option("--birth-date", required=True, metavar="YYYY-MM-DD")
@click.option("--sex", required=True, metavar="male|female")
@click.option("--birth-place", required=True, metavar="CODE", help="Province code (001-096) or country code.")
@click.option("--family-name")
@click.option("--middle-name")
@click.option("--given-name")
@click.option("--nationality", metavar="CC", help="ISO 3166 two-letter code; VN by default.")
@click.option("--place-of-origin")
@click.option("--residence")
@json_option
@actor_option
@with_appcontext
def issue(as_json: bool, actor: str, **fields: str | None) -> None:
    facts = person_facts(**fields)  # type: ignore[arg-type]
    with unit_of_work(session_factory()) as session:
        person = issue_person(session, facts, actor=actor)
        record = person_record(session, person)
    emit(record, as_json=as_json, text=f"Issued PIN {record['pin']} to {record['full_name']}.")


@command.command("show", help="Show the person with this PIN.")
@click.argument("pin")
@json_option
@with_appcontext
def show(pin: str, as_json: bool) -> None:
    with unit_of_work(session_factory()) as session:
        record = person_record(session, get_person(session, pin))
    emit(record, as_json=as_json, text=_describe(record))


@command.command("find", help="Find persons by PIN, card number or name (diacritics optional).")
@click.argument("text")
@json_option
@with_appcontext
def find(text: str, as_json: bool) -> None:
    with unit_of_work(session_factory()) as session:
        records = [person_record(session, p) for p in find_people(session, text)]
    summary = f"{len(records)} match(es)."
    emit(
        {"results": records},
        as_json=as_json,
        text="\n".join([_describe(r) for r in records] + [summary]),
    )


@command.command("bind-card", help="Bind a citizen identity card record to the person with this PIN.")
@click.argument("pin")
@click.option("--issued", required=True, metavar="YYYY-MM-DD", help="Issue date printed on the card.")
@click.option("--legacy-number", help="The old 9-digit identity-card number, if any.")
@click.option("--expires", metavar="YYYY-MM-DD", help="Expiry printed on the card; computed when omitted.")
@click.option("--authority", help="Issuing authority; the one in force on the issue date when omitted.")
@click.option("--reason", help="Why an existing valid card is replaced.")
@json_option
@actor_option
@with_appcontext
def bind(
    *,
    pin: str,
    issued: str,
    legacy_number: str | None,
    expires: str | None,
    authority: str | None,
    reason: str | None,
    as_json: bool,
    actor: str,
) -> None:
    with unit_of_work(session_factory()) as session:
        card, created = bind_card(
            session,
            pin,
            issued_on=parse_date(issued, label="issue date"),
            expires_on=parse_date(expires, label="expiry date") if expires else None,
            legacy_number=legacy_number,
            authority=authority,
            replace_reason=reason,
            actor=actor,
        )
        record = person_record(session, get_person(session, pin))
    verb = "Bound" if created else "Already bound:"
    emit(
        {**record, "created": created},
        as_json=as_json,
        text=f"{verb} card {card.number} issued {card.issued_on.isoformat()}.",
    )


def _lifecycle_command(name: str, help_text: str, *, with_death_date: bool = False) -> click.Command:
    @click.argument("pin")
    @reason_option
    @json_option
    @actor_option
    @with_appcontext
    def run(pin: str, reason: str, as_json: bool, actor: str, died_on: str | None = None) -> None:
        with unit_of_work(session_factory()) as session:
            person = change_identity_status(
                session,
                pin,
                name,
                reason=reason,
                actor=actor,
                died_on=parse_date(died_on, label="date of death") if died_on else None,
            )
            record = person_record(session, person)
        emit(record, as_json=as_json, text=f"Identity {record['pin']} is now {record['status']}.")

    if with_death_date:
        run = click.option("--died-on", metavar="YYYY-MM-DD", help="Date of death.")(run)
    return click.command(name, help=help_text)(run)


command.add_command(_lifecycle_command("suspend", "Suspend an active identity."))
command.add_command(_lifecycle_command("restore", "Restore a suspended identity."))
command.add_command(_lifecycle_command("revoke", "Revoke an identity for good; its card is closed."))
command.add_command(_lifecycle_command("deceased", "Record that the person died.", with_death_date=True))


@command.command("reestablish-pin", help="Cancel a PIN and issue a new one from corrected facts.")
@click.argument("pin")
@reason_option
@click.option("--birth-date", metavar="YYYY-MM-DD", help="Corrected birth date.")
@click.option("--sex", metavar="male|female", help="Corrected sex.")
@click.option("--birth-place", metavar="CODE", help="Corrected place of birth registration.")
@json_option
@actor_option
@with_appcontext
def reestablish(
    *,
    pin: str,
    reason: str,
    birth_date: str | None,
    sex: str | None,
    birth_place: str | None,
    as_json: bool,
    actor: str,
) -> None:
    with unit_of_work(session_factory()) as session:
        person = get_person(session, pin)
        facts = person_facts(
            full_name=person.full_name,
            family_name=person.family_name,
            middle_name=person.middle_name,
            given_name=person.given_name,
            birth_date=birth_date or person.birth_date,
            sex=sex or person.sex,
            birth_place=birth_place or person.birth_place,
            nationality=person.nationality,
            place_of_origin=person.place_of_origin,
            residence=person.residence,
        )
        person = reestablish_pin(session, pin, facts, reason=reason, actor=actor)
        record = person_record(session, person)
    emit({**record, "old_pin": pin}, as_json=as_json, text=f"PIN {pin} is cancelled; the new PIN is {record['pin']}.")


@command.command("import", help="Import population records from a UTF-8 CSV file.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--batch-size",
    default=DEFAULT_BATCH,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="Rows per transaction.",
)
@json_option
@actor_option
@with_appcontext
def import_file(file: Path, batch_size: int, as_json: bool, actor: str) -> None:
    total = max(check_file(file) - 1, 0)
    show_bar = sys.stderr.isatty() and not as_json
    with tqdm(total=total, unit="row", disable=not show_bar, file=sys.stderr) as bar:
        summary = import_csv(
            session_factory(), file, actor=actor, batch_size=batch_size, progress=bar.update
        )
    emit(summary.as_dict(), as_json=as_json, text=_import_report(summary))
    if summary.rejected:
        click.echo(f"{summary.rejected} row(s) were rejected; the other rows were imported.", err=True)
        sys.exit(1)


def _import_report(summary: ImportSummary) -> str:
    lines = [f"line {e.line}" + (f", column {e.column}" if e.column else "") + f": {e.reason}" for e in summary.errors]
    lines.append(
        f"{summary.created} created, {summary.flagged} created and flagged, "
        f"{summary.unchanged} unchanged, {summary.rejected} rejected."
    )
    return "\n".join(lines)
