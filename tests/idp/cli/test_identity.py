"""``idp identity`` and ``idp audit verify`` through the real ``idp`` group: output and error conventions."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from identity.models import AuditEvent, CitizenCard, Person, PinChange
from idp import cli, context, create_app
from idp.config import Settings
from tests.idp.cli.commands import as_object, run

FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
ISSUE = ["identity", "issue", "--name", "Nguyễn Văn An", "--birth-date", "1984-03-12", "--sex", "male"]




def one_sentence(text: str) -> str:
    line = text.strip()
    assert "\n" not in line and line.endswith("."), text
    return line


def state(session: Session) -> tuple[object, ...]:
    """Everything a command could change; ends the read so that the next command can write."""
    session.expire_all()
    counts = tuple(
        session.scalar(select(func.count()).select_from(model))
        for model in (Person, CitizenCard, PinChange, AuditEvent)
    )
    people = session.execute(select(Person.pin, Person.status, Person.died_on).order_by(Person.id)).all()
    cards = session.execute(select(CitizenCard.id, CitizenCard.status).order_by(CitizenCard.id)).all()
    session.rollback()
    return counts, [tuple(p) for p in people], [tuple(c) for c in cards]


def issue(runner: FlaskCliRunner, *extra: str) -> dict[str, Any]:
    result = run(runner, *ISSUE, "--birth-place", "001", "--json", *extra)
    assert result.exit_code == 0, result.stderr
    return as_object(result)


def assert_refused(
    runner: FlaskCliRunner, session: Session, args: list[str], code: str, fragment: str, *, exit_code: int = 1
) -> None:
    """The command exits non-zero with one sentence on stderr, changes nothing, and with --json prints an error."""
    before = state(session)
    human = run(runner, *args)
    assert human.exit_code == exit_code, (human.stdout, human.stderr)
    assert human.stdout == ""
    message = one_sentence(human.stderr)
    assert message.startswith("Error: ") and fragment in message
    machine = run(runner, *args, "--json")
    assert machine.exit_code == exit_code
    error = as_object(machine)
    assert error["error"] == code and fragment in error["message"]
    assert state(session) == before


# --- issue ---------------------------------------------------------------------------------------


def test_issue_prints_a_sentence_or_one_json_object(runner: FlaskCliRunner, session: Session) -> None:
    human = run(runner, *ISSUE, "--birth-place", "79", "--actor", "registrar:hanh")
    assert human.exit_code == 0, human.stderr
    pin = session.scalars(select(Person.pin)).one()
    assert one_sentence(human.stdout) == f"Issued PIN {pin} to Nguyễn Văn An."
    assert pin.startswith("079084")
    assert session.scalars(select(AuditEvent.actor)).one() == "registrar:hanh"
    session.rollback()
    record = issue(runner, "--family-name", "Nguyễn", "--middle-name", "Văn", "--given-name", "An")
    assert record["pin"].startswith("001084")
    assert (record["full_name"], record["given_name"], record["birth_place_name"]) == ("Nguyễn Văn An", "An", "Hà Nội")
    assert (record["status"], record["card"], record["pin_problems"]) == ("active", None, [])


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (["--birth-place", "０01"], "invalid_input", "not a number of up to three ASCII digits"),
        (["--birth-place", "003"], "invalid_input", "neither one of the 63 province codes nor a country code"),
        (["--birth-place", "001", "--birth-date", "1984-13-01"], "invalid_input", "not a real calendar date"),
        (["--birth-place", "001", "--birth-date", "１９８４-03-12"], "invalid_input", "not a date written YYYY-MM-DD"),
        (["--birth-place", "001", "--sex", "nam"], "invalid_input", "must be 'male' or 'female'"),
        (["--birth-place", "001", "--name", "Nguyễn <script>"], "invalid_input", "which is not a letter"),
        (["--birth-place", "001", "--given-name", "Bình", "--family-name", "Nguyễn"], "invalid_input", "name parts"),
    ],
)
def test_issue_refuses_bad_input_and_writes_nothing(
    runner: FlaskCliRunner, session: Session, args: list[str], code: str, fragment: str
) -> None:
    # Later options win in click, so the bad value overrides the good one from ISSUE.
    assert_refused(runner, session, [*ISSUE, *args], code, fragment)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["identity", "issue", "--name", "Nguyễn Văn An", "--birth-date", "1984-03-12"], "Missing option '--sex'"),
        ([*ISSUE, "--birth-place", "001", "--colour", "red"], "No such option"),
        (["identity", "show"], "Missing argument 'PIN'"),
    ],
)
def test_usage_errors_exit_2_and_are_reported_as_json_too(
    runner: FlaskCliRunner, session: Session, args: list[str], fragment: str
) -> None:
    before = state(session)
    human = run(runner, *args)
    assert (human.exit_code, human.stdout) == (2, "")
    assert f"Error: {fragment}" in human.stderr
    machine = run(runner, *args, "--json")
    assert machine.exit_code == 2
    assert as_object(machine) == {"error": "usage", "message": machine.stderr.strip().splitlines()[-1][7:]}
    assert fragment in as_object(machine)["message"]
    assert state(session) == before


def test_a_database_without_the_schema_is_one_clear_error_not_a_traceback(settings: Settings, tmp_path: Path) -> None:
    empty = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    unmigrated = create_app(dataclasses.replace(settings, database_url=empty, instance_path=str(tmp_path)))
    for args in (["identity", "show", "001084000001"], ["identity", "show", "001084000001", "--json"]):
        result = run(unmigrated.test_cli_runner(), *args)
        assert result.exit_code == 1
        message = one_sentence(result.stderr)
        assert "no such table: persons" in message and "upgraded" in message
    assert as_object(result) == {"error": "database_unavailable", "message": message.removeprefix("Error: ")}
    context.engine(unmigrated).dispose()


@pytest.mark.parametrize(
    ("setting", "fragment"),
    [
        ({"IDP_FOO": "1"}, "Unknown setting IDP_FOO; the settings are IDP_"),
        ({"IDP_ENV": "production"}, "In production"),
    ],
)
def test_a_bad_configuration_is_one_clear_error_not_a_traceback(setting: dict[str, str], fragment: str) -> None:
    """Settings are validated when a command loads the app; the refusal is a sentence like any other."""
    environment = {name: None for name in os.environ if name.startswith("IDP_")} | setting
    for extra in ([], ["--json"]):
        result = CliRunner().invoke(cli.cli, ["identity", "show", "001084000001", *extra], env=environment)
        assert result.exit_code == 1
        message = one_sentence(result.stderr)
        assert message.startswith(f"Error: {fragment}")
    assert as_object(result) == {"error": "configuration", "message": message.removeprefix("Error: ")}


# --- show and find -------------------------------------------------------------------------------


def test_show_describes_the_person(runner: FlaskCliRunner) -> None:
    pin = issue(runner)["pin"]
    human = run(runner, "identity", "show", pin)
    assert human.exit_code == 0
    assert human.stdout.splitlines()[0] == f"{pin}  Nguyễn Văn An"
    assert "born 1984-03-12 (male), registered in 001 Hà Nội" in human.stdout
    machine = run(runner, "identity", "show", f" {pin} ", "--json")
    assert as_object(machine)["pin"] == pin


def test_show_refuses_fullwidth_digits_and_unknown_pins(runner: FlaskCliRunner, session: Session) -> None:
    pin = issue(runner)["pin"]
    assert_refused(runner, session, ["identity", "show", pin.translate(FULLWIDTH)], "invalid_pin", "FULLWIDTH DIGIT")
    assert_refused(runner, session, ["identity", "show", "001084999999"], "unknown_person", "No person")
    assert_refused(runner, session, ["identity", "show", "12345"], "invalid_pin", "this one has 5")


def test_find_by_name_without_diacritics_pin_and_legacy_number(runner: FlaskCliRunner) -> None:
    pin = issue(runner)["pin"]
    issue_other = run(runner, "identity", "issue", "--name", "Đặng Thị Thủy", "--birth-date", "1990-01-01")
    assert issue_other.exit_code == 2  # click usage error: --sex and --birth-place are required
    assert (
        run(runner, "identity", "bind-card", pin, "--issued", "2021-05-05", "--legacy-number", "012345678").exit_code
        == 0
    )
    for text in ("nguyen an", "NGUYỄN", pin, "012345678"):
        found = as_object(run(runner, "identity", "find", text, "--json"))
        assert [r["pin"] for r in found["results"]] == [pin], text
    human = run(runner, "identity", "find", "nguyen")
    assert human.stdout.strip().endswith("1 match(es).")
    assert as_object(run(runner, "identity", "find", "dang thuy", "--json")) == {"results": []}


def test_find_refuses_fullwidth_digits(runner: FlaskCliRunner, session: Session) -> None:
    pin = issue(runner)["pin"]
    assert_refused(runner, session, ["identity", "find", pin.translate(FULLWIDTH)], "invalid_pin", "FULLWIDTH")
    assert_refused(runner, session, ["identity", "find", "   "], "invalid_input", "Say what to search for")


# --- bind-card -----------------------------------------------------------------------------------


def test_bind_card_then_again_changes_nothing(runner: FlaskCliRunner, session: Session) -> None:
    pin = issue(runner)["pin"]
    human = run(runner, "identity", "bind-card", pin, "--issued", "2021-05-05")
    assert one_sentence(human.stdout) == f"Bound card {pin} issued 2021-05-05."
    before = state(session)
    again = as_object(run(runner, "identity", "bind-card", pin, "--issued", "2021-05-05", "--json"))
    assert again["created"] is False
    assert again["card"] == {
        "number": pin,
        "legacy_number": None,
        "issued_on": "2021-05-05",
        "expires_on": "2024-03-12",
        "authority": "Cục Cảnh sát quản lý hành chính về trật tự xã hội",
        "status": "valid",
    }
    assert state(session) == before
    newer = as_object(run(runner, "identity", "bind-card", pin, "--issued", "2024-08-01", "--reason", "lost", "--json"))
    assert (newer["created"], newer["card"]["issued_on"], newer["card"]["expires_on"]) == (
        True,
        "2024-08-01",
        "2044-03-12",
    )


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (["--issued", "2021/05/05"], "invalid_input", "not a date written YYYY-MM-DD"),
        (["--issued", "2021-05-05", "--legacy-number", "０12345678"], "invalid_input", "not 9 ASCII digits"),
        (["--issued", "2021-05-05", "--expires", "2021-05-05"], "invalid_input", "after the issue date"),
        (["--issued", "2015-01-01"], "invalid_input", "first issued in 2016"),
        (["--issued", "2019-01-01"], "card_conflict", "cannot replace it"),
    ],
)
def test_bind_card_refuses_bad_input(
    runner: FlaskCliRunner, session: Session, args: list[str], code: str, fragment: str
) -> None:
    pin = issue(runner)["pin"]
    assert run(runner, "identity", "bind-card", pin, "--issued", "2020-02-02").exit_code == 0
    assert_refused(runner, session, ["identity", "bind-card", pin, *args], code, fragment)


# --- lifecycle -----------------------------------------------------------------------------------


def test_lifecycle_commands_report_the_new_status(runner: FlaskCliRunner, session: Session) -> None:
    pin = issue(runner)["pin"]
    run(runner, "identity", "bind-card", pin, "--issued", "2021-05-05")
    suspended = run(runner, "identity", "suspend", pin, "--reason", "phone stolen", "--actor", "supervisor:minh")
    assert one_sentence(suspended.stdout) == f"Identity {pin} is now suspended."
    restored = as_object(run(runner, "identity", "restore", pin, "--reason", "phone found", "--json"))
    assert (restored["status"], restored["status_reason"]) == ("active", "phone found")
    revoked = as_object(run(runner, "identity", "revoke", pin, "--reason", "court order", "--json"))
    assert (revoked["status"], revoked["card"]) == ("revoked", None)
    dead = as_object(
        run(runner, "identity", "deceased", pin, "--reason", "certificate", "--died-on", "2024-02-29", "--json")
    )
    assert (dead["status"], dead["died_on"]) == ("deceased", "2024-02-29")
    actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)).all()
    session.rollback()
    assert actions[-4:] == ["identity.suspend", "identity.restore", "identity.revoke", "identity.deceased"]


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (
            ["restore", "{pin}", "--reason", "why not"],
            "illegal_transition",
            "Cannot restore an identity that is active",
        ),
        (["suspend", "{pin}"], "invalid_input", "A reason is required"),
        (["revoke", "{pin}", "--reason", "   "], "invalid_input", "A reason is required"),
        (
            ["deceased", "{pin}", "--reason", "r", "--died-on", "2024-02-30"],
            "invalid_input",
            "not a real calendar date",
        ),
        (["deceased", "{pin}", "--reason", "r", "--died-on", "1980-01-01"], "invalid_input", "before the birth"),
        (["suspend", "{fullwidth}", "--reason", "r"], "invalid_pin", "FULLWIDTH DIGIT"),
    ],
)
def test_lifecycle_commands_refuse_bad_input(
    runner: FlaskCliRunner, session: Session, args: list[str], code: str, fragment: str
) -> None:
    pin = issue(runner)["pin"]
    run(runner, "identity", "bind-card", pin, "--issued", "2021-05-05")
    filled = [a.format(pin=pin, fullwidth=pin.translate(FULLWIDTH)) for a in args]
    assert_refused(runner, session, ["identity", *filled], code, fragment)


def test_deceased_cannot_be_restored(runner: FlaskCliRunner, session: Session) -> None:
    pin = issue(runner)["pin"]
    assert run(runner, "identity", "deceased", pin, "--reason", "certificate").exit_code == 0
    for name in ("restore", "suspend", "revoke", "deceased"):
        assert_refused(runner, session, ["identity", name, pin, "--reason", "r"], "illegal_transition", "deceased")


# --- reestablish-pin -----------------------------------------------------------------------------


def test_reestablish_pin_issues_a_new_pin_from_corrected_facts(runner: FlaskCliRunner, session: Session) -> None:
    old = issue(runner)["pin"]
    human = run(runner, "identity", "reestablish-pin", old, "--reason", "sex re-determination", "--sex", "female")
    assert human.exit_code == 0, human.stderr
    new = session.scalars(select(Person.pin)).one()
    session.rollback()
    assert one_sentence(human.stdout) == f"PIN {old} is cancelled; the new PIN is {new}."
    assert new.startswith("001184")
    shown = as_object(run(runner, "identity", "show", new, "--json"))
    assert (shown["sex"], shown["full_name"]) == ("female", "Nguyễn Văn An")
    assert_refused(runner, session, ["identity", "show", old], "unknown_person", f"replaced by {new}")
    moved = as_object(
        run(runner, "identity", "reestablish-pin", new, "--reason", "year typo", "--birth-date", "1985-03-12", "--json")
    )
    assert (moved["old_pin"], moved["pin"][:6]) == (new, "001185")


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (["--sex", "female"], "invalid_input", "A reason is required"),
        (["--reason", "typo", "--birth-date", "1984-12-31"], "invalid_input", "same first six digits"),
        (["--reason", "typo", "--birth-place", "003"], "invalid_input", "neither one of the 63 province codes"),
        (["--reason", "typo", "--birth-date", "84-03-12"], "invalid_input", "not a date written YYYY-MM-DD"),
    ],
)
def test_reestablish_pin_refuses_bad_input(
    runner: FlaskCliRunner, session: Session, args: list[str], code: str, fragment: str
) -> None:
    pin = issue(runner)["pin"]
    assert_refused(runner, session, ["identity", "reestablish-pin", pin, *args], code, fragment)


# --- import --------------------------------------------------------------------------------------


HEADER = "pin,full_name,birth_date,sex,birth_place,nationality,place_of_origin,residence,card_issued,legacy_id_number\n"


def test_import_prints_a_summary_and_exits_1_when_rows_were_rejected(
    runner: FlaskCliRunner, session: Session, tmp_path: Path
) -> None:
    path = tmp_path / "people.csv"
    path.write_text(
        HEADER
        + "001084000101,Nguyễn Văn An,1984-03-12,male,001,VN,,,2021-05-05,012345678\n"
        + ",Trần Thị Bình,1995-07-01,female,079,,,,,\n"
        + "００１０８４０００１０２,Lê Văn Cường,1984-01-01,male,001,,,,,\n",
        "utf-8",
    )
    machine = run(runner, "identity", "import", str(path), "--json")
    assert machine.exit_code == 1
    assert as_object(machine) == {
        "created": 2,
        "unchanged": 0,
        "flagged": 0,
        "rejected": 1,
        "errors": [
            {
                "line": 4,
                "column": "pin",
                "reason": "The PIN contains '０' (U+FF10 FULLWIDTH DIGIT ZERO) at position 1; "
                "type it with the ASCII digits 0-9.",
            }
        ],
    }
    assert one_sentence(machine.stderr) == "1 row(s) were rejected; the other rows were imported."
    again = run(runner, "identity", "import", str(path))
    assert again.exit_code == 1
    assert again.stdout.splitlines() == [
        "line 4, column pin: The PIN contains '０' (U+FF10 FULLWIDTH DIGIT ZERO) at position 1; "
        "type it with the ASCII digits 0-9.",
        "0 created, 0 created and flagged, 2 unchanged, 1 rejected.",
    ]
    good = tmp_path / "good.csv"
    good.write_text(HEADER + ",Trần Thị Bình,1995-07-01,female,079,,,,,\n", "utf-8")
    clean = run(runner, "identity", "import", str(good))
    assert clean.exit_code == 0
    assert one_sentence(clean.stdout) == "0 created, 0 created and flagged, 1 unchanged, 0 rejected."


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ((HEADER + ",Đinh Văn Tư,1984-03-12,male,001,,,,,\n").encode("cp1258"), "is not UTF-8: line 2"),
        (b"pin,full_name,birth_date\n001084000101,An,1984-03-12\n", "missing: sex"),
        (HEADER.replace("residence", "address").encode(), "unknown: address"),
    ],
)
def test_import_refuses_a_broken_file_whole(
    runner: FlaskCliRunner, session: Session, tmp_path: Path, content: bytes, fragment: str
) -> None:
    path = tmp_path / "broken.csv"
    path.write_bytes(content)
    assert_refused(runner, session, ["identity", "import", str(path)], "import_refused", fragment)


# --- audit verify --------------------------------------------------------------------------------


def test_audit_verify_reports_an_intact_trail(runner: FlaskCliRunner) -> None:
    issue(runner)
    human = run(runner, "audit", "verify")
    assert (human.exit_code, one_sentence(human.stdout)) == (0, "The audit trail verifies: 1 events, chain intact.")
    assert as_object(run(runner, "audit", "verify", "--json"))["ok"] is True
