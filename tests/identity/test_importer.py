"""Bulk import: counts, idempotence, per-row errors, refused files, flagged legacy PINs, new PINs."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from identity import ImportRefused, ImportSummary, import_csv, reestablish_pin
from identity import pin_allocation as allocation
from identity.cards import AUTHORITY_BEFORE_2024
from identity.import_reader import COLUMNS
from identity.models import AuditEvent, CitizenCard, Person, PinChange
from idp.context import session_factory
from tests import factories

#: Hà Nội, male, born 1984: the prefix of PIN 001084xxxxxx.
PIN_A, PIN_B, PIN_C = "001084000101", "079195000202", "048200000303"


def row(**values: str) -> dict[str, str]:
    """A valid row for Nguyễn Văn An (PIN_A) unless overridden."""
    base = {
        "pin": PIN_A,
        "full_name": "Nguyễn Văn An",
        "birth_date": "1984-03-12",
        "sex": "male",
        "birth_place": "001",
        "nationality": "VN",
        "place_of_origin": "Xã Phú Xuân, Hà Nội",
        "residence": "Số 5 Lê Lợi, Hà Nội",
        "card_issued": "",
        "legacy_id_number": "",
    }
    base.update(values)
    return base


def person_b(**values: str) -> dict[str, str]:
    """A valid row for Trần Thị Bình (PIN_B) unless overridden."""
    b = {"pin": PIN_B, "full_name": "Trần Thị Bình", "birth_date": "1995-07-01", "sex": "female", "birth_place": "079"}
    return row(**{**b, **values})


def write(
    path: Path, rows: list[dict[str, str]], *, header: tuple[str, ...] = COLUMNS, encoding: str = "utf-8"
) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for values in rows:
        writer.writerow([values.get(column, "") for column in header])
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def run(app: Flask, path: Path, **options: Any) -> ImportSummary:
    return import_csv(session_factory(app), path, actor="import:test", **options)


def stored(session: Session) -> tuple[int, int, int, int]:
    """Persons, cards, PIN changes and audit events; ends the read so that an import can write."""
    counts = tuple(
        session.scalar(select(func.count()).select_from(model)) or 0
        for model in (Person, CitizenCard, PinChange, AuditEvent)
    )
    session.rollback()
    return counts  # type: ignore[return-value]


def by_pin(session: Session, pin: str) -> Person:
    """The person, detached with every column loaded; ends the read so that an import can write."""
    person = session.scalars(select(Person).where(Person.pin == pin)).one()
    session.expunge(person)
    session.rollback()
    return person


def errors(summary: ImportSummary) -> list[tuple[int, str | None]]:
    return [(error.line, error.column) for error in summary.errors]


def test_counts_of_created_unchanged_flagged_and_rejected(app: Flask, session: Session, tmp_path: Path) -> None:
    path = write(
        tmp_path / "mixed.csv",
        [
            row(),
            person_b(card_issued="2021-06-01", legacy_id_number="025123456"),
            row(pin="", full_name="Lê Văn Cường", birth_date="2001-02-03", birth_place="048"),
            row(pin="001184000404", full_name="Phạm Văn Dũng"),  # digit 4 says female: flagged
            row(pin="", full_name="Hồ Thị Em", sex="nữ"),  # rejected: sex
            row(),  # the same as line 2: unchanged
            row(pin="００１０８４０００５０５"),  # rejected: full-width digits
        ],
    )
    summary = run(app, path)
    assert (summary.created, summary.flagged, summary.unchanged, summary.rejected) == (3, 1, 1, 2)
    assert errors(summary) == [(6, "sex"), (8, "pin")]
    assert stored(session)[:2] == (4, 1)
    assert summary.as_dict()["errors"][1] == {
        "line": 8,
        "column": "pin",
        "reason": "The PIN contains '０' (U+FF10 FULLWIDTH DIGIT ZERO) at position 1; "
        "type it with the ASCII digits 0-9.",
    }


def test_importing_the_same_file_twice_changes_nothing(app: Flask, session: Session, tmp_path: Path) -> None:
    path = write(
        tmp_path / "twice.csv",
        [
            row(card_issued="2019-05-05", legacy_id_number="012345678"),
            person_b(),
            row(pin="", full_name="Lê Văn Cường", birth_date="2001-02-03", birth_place="048", card_issued="2022-01-01"),
            row(pin="", full_name="Đỗ Thị Hoa", birth_date="1950-10-10", sex="female", birth_place="232"),
            row(pin="001184000404", full_name="Phạm Văn Dũng"),
        ],
    )
    first = run(app, path)
    assert (first.created, first.flagged, first.rejected) == (4, 1, 0)
    after_first = stored(session)
    pins = set(session.scalars(select(Person.pin)))
    session.rollback()
    second = run(app, path)
    assert (second.created, second.flagged, second.unchanged, second.rejected) == (0, 0, 5, 0)
    assert stored(session) == after_first
    assert set(session.scalars(select(Person.pin))) == pins


def test_a_registered_card_survives_revocation_for_reimport(app: Flask, session: Session, tmp_path: Path) -> None:
    """A re-import compares with every card the person ever had, so a closed card is still 'the same'."""
    from identity import change_status

    path = write(tmp_path / "card.csv", [row(card_issued="2019-05-05")])
    run(app, path)
    change_status(session, PIN_A, "revoke", reason="court order", actor="supervisor:s")
    session.commit()
    assert run(app, path).unchanged == 1


@pytest.mark.parametrize(
    ("values", "column", "reason"),
    [
        ({"birth_date": "1984-13-01"}, "birth_date", "is not a real calendar date"),
        ({"birth_date": "12/03/1984"}, "birth_date", "is not a date written YYYY-MM-DD"),
        ({"birth_date": "2999-01-01"}, "birth_date", "is in the future"),
        ({"sex": "nam"}, "sex", "must be 'male' or 'female'"),
        ({"birth_place": "003"}, "birth_place", "neither one of the 63 province codes nor a country code"),
        ({"birth_place": "٠٠١"}, "birth_place", "not a number of up to three ASCII digits"),
        ({"pin": "００１０８４０００１０１"}, "pin", "FULLWIDTH DIGIT ZERO"),
        ({"pin": "٠٠١٠٨٤٠٠٠١٠١"}, "pin", "ARABIC-INDIC DIGIT ZERO"),
        ({"pin": "00108400010"}, "pin", "this one has 11"),
        ({"full_name": "Nguyễn Văn 2"}, "full_name", "which is not a letter"),
        ({"full_name": "  "}, "full_name", "is empty"),
        ({"nationality": "Việt Nam"}, "nationality", "not a two-letter ISO 3166 country code"),
        ({"card_issued": "2015-06-01"}, "card_issued", "first issued in 2016"),
        ({"card_issued": "2021-02-30"}, "card_issued", "not a real calendar date"),
        ({"legacy_id_number": "012345678"}, "card_issued", "give card_issued too"),
        ({"card_issued": "2021-01-01", "legacy_id_number": "０12345678"}, "legacy_id_number", "not 9 ASCII digits"),
        ({"residence": "x" * 301}, "residence", "longer than 300"),
    ],
)
def test_a_bad_row_is_reported_with_line_column_and_reason(
    app: Flask, session: Session, tmp_path: Path, values: dict[str, str], column: str, reason: str
) -> None:
    third = row(pin=PIN_C, full_name="Lê Văn Cường", birth_date="2000-01-01", birth_place="048")
    path = write(tmp_path / "bad.csv", [person_b(), row(**values), third])
    summary = run(app, path)
    assert (summary.created, summary.flagged, summary.rejected) == (2, 0, 1)
    (error,) = summary.errors
    assert (error.line, error.column) == (3, column)
    assert reason in error.reason
    assert PIN_A not in set(session.scalars(select(Person.pin)))


def test_records_with_the_wrong_number_of_fields_are_rejected(app: Flask, session: Session, tmp_path: Path) -> None:
    path = write(tmp_path / "short.csv", [person_b()])
    good = path.read_text("utf-8").splitlines()[1]
    path.write_text(path.read_text("utf-8") + f"001084000101,Nguyễn Văn An,1984-03-12\n{good},extra\n", "utf-8")
    summary = run(app, path)
    assert [(e.line, e.column, e.reason) for e in summary.errors] == [
        (3, None, "3 fields, the header has 10"),
        (4, None, "11 fields, the header has 10"),
    ]
    assert (summary.created, summary.unchanged) == (1, 0)


def test_quoted_line_breaks_keep_line_numbers_right(app: Flask, session: Session, tmp_path: Path) -> None:
    path = write(
        tmp_path / "multiline.csv",
        [
            person_b(residence="Tổ 3\nPhường Bến Nghé\nQuận 1"),  # lines 2-4
            row(sex="?"),  # line 5
            row(pin="", full_name="Lê Văn Cường", place_of_origin="Thôn Đông\nxã Tây", birth_date="1999-99-99"),  # 6-7
            row(pin=PIN_C, birth_date="2000-01-01", sex="female", nationality="X"),  # line 8
        ],
    )
    progress: list[int] = []
    summary = run(app, path, progress=progress.append)
    assert errors(summary) == [(5, "sex"), (6, "birth_date"), (8, "nationality")]
    assert summary.created == 1
    assert by_pin(session, PIN_B).residence == "Tổ 3 Phường Bến Nghé Quận 1"
    assert sum(progress) == 7  # every line after the header, once


def test_blank_lines_are_skipped(app: Flask, session: Session, tmp_path: Path) -> None:
    path = write(tmp_path / "blank.csv", [person_b(), {}, row()])
    path.write_text(path.read_text("utf-8") + "\n\n", "utf-8")
    summary = run(app, path)
    assert (summary.created, summary.rejected) == (2, 0)


@pytest.mark.parametrize(
    ("encoding", "name", "byte"),
    [("cp1258", "Đinh Văn Tư", "0xD0"), ("latin-1", "José Martí", "0xE9"), ("utf-16", "Nguyễn Văn An", "0xFF")],
)
def test_a_file_in_another_encoding_is_refused_whole(
    app: Flask, session: Session, tmp_path: Path, encoding: str, name: str, byte: str
) -> None:
    ascii_only = {"place_of_origin": "", "residence": ""}
    rows = [person_b(full_name="Tran Thi Binh", **ascii_only), row(full_name=name, **ascii_only)]
    path = write(tmp_path / "legacy.csv", rows, encoding=encoding)
    before = stored(session)
    with pytest.raises(ImportRefused) as refused:
        run(app, path)
    line = 1 if encoding == "utf-16" else 3
    assert f"legacy.csv is not UTF-8: line {line} has the byte {byte}" in refused.value.message
    assert stored(session) == before


def test_broken_utf8_deep_in_a_file_is_refused_before_anything_is_written(
    app: Flask, session: Session, tmp_path: Path
) -> None:
    path = write(tmp_path / "late.csv", [person_b()] + [row(pin=f"0010840{n:05d}") for n in range(3, 400)])
    path.write_bytes(path.read_bytes() + "Nguyễ".encode()[:-1] + b"\n")  # the last letter cut in half
    with pytest.raises(ImportRefused, match="line 400 has the byte 0xE1 at byte 5"):
        run(app, path, batch_size=10)
    assert stored(session) == (0, 0, 0, 0)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (COLUMNS[:-1], "missing: legacy_id_number"),
        (("pin", "name", *COLUMNS[2:]), "missing: full_name; unknown: name"),
        ((*COLUMNS, "email"), "unknown: email"),
        ((*COLUMNS, "pin"), "repeated: pin"),
    ],
)
def test_missing_or_unknown_columns_are_refused_whole(
    app: Flask, session: Session, tmp_path: Path, header: tuple[str, ...], message: str
) -> None:
    path = write(tmp_path / "header.csv", [row(), person_b()], header=header)
    with pytest.raises(ImportRefused, match=message):
        run(app, path)
    assert stored(session) == (0, 0, 0, 0)


def test_an_empty_file_is_refused(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(ImportRefused, match="is empty"):
        run(app, path)


def test_a_bom_and_windows_line_ends_are_accepted(app: Flask, session: Session, tmp_path: Path) -> None:
    path = write(tmp_path / "excel.csv", [row(), person_b()])
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    summary = run(app, path)
    assert (summary.created, summary.rejected) == (2, 0)


def test_nfd_names_are_stored_nfc(app: Flask, session: Session, tmp_path: Path) -> None:
    decomposed = unicodedata.normalize("NFD", "Nguyễn Văn An")
    assert decomposed != "Nguyễn Văn An"
    path = write(tmp_path / "nfd.csv", [row(full_name=decomposed, residence=unicodedata.normalize("NFD", "Huế"))])
    run(app, path)
    person = by_pin(session, PIN_A)
    assert (person.full_name, person.residence, person.name_key) == ("Nguyễn Văn An", "Huế", "nguyen van an")
    again = write(tmp_path / "nfc.csv", [row(residence="Huế")])
    assert run(app, again).unchanged == 1  # NFC and NFD spellings are the same person


@pytest.mark.parametrize(
    ("pin", "problems"),
    [
        ("001184000606", ["sex_mismatch"]),  # the row says male, digit 4 = 1 says female
        ("001284000606", ["birth_year_mismatch"]),  # digit 4 = 2 says born 20xx
        ("001185000606", ["sex_mismatch", "birth_year_mismatch"]),
        ("001083000606", ["birth_year_mismatch"]),
        ("003084000606", ["unknown_place"]),
        ("079084000606", ["place_mismatch"]),
    ],
)
def test_a_legacy_pin_that_contradicts_its_row_is_imported_and_flagged_never_fixed(
    app: Flask, session: Session, tmp_path: Path, pin: str, problems: list[str]
) -> None:
    summary = run(app, write(tmp_path / "legacy.csv", [row(pin=pin)]))
    assert (summary.created, summary.flagged, summary.rejected) == (0, 1, 0)
    person = by_pin(session, pin)
    assert person.pin == pin
    assert person.pin_problems == ",".join(problems)
    assert (person.sex.value, person.birth_date, person.birth_place) == ("male", dt.date(1984, 3, 12), "001")


def test_a_pin_that_contradicts_a_registered_person_is_rejected(app: Flask, session: Session, tmp_path: Path) -> None:
    run(app, write(tmp_path / "first.csv", [row(), person_b()]))
    before = stored(session)
    summary = run(
        app,
        write(
            tmp_path / "second.csv",
            [row(full_name="Nguyễn Văn Ân"), person_b(birth_date="1995-07-02"), row(card_issued="2022-02-02")],
        ),
    )
    assert [(e.line, e.column) for e in summary.errors] == [(2, "full_name"), (3, "birth_date"), (4, "card_issued")]
    assert "nothing was changed" in summary.errors[0].reason
    assert summary.rejected == 3
    assert stored(session) == before
    assert by_pin(session, PIN_A).full_name == "Nguyễn Văn An"


def test_a_pin_repeated_in_the_file_with_other_facts_is_rejected(app: Flask, tmp_path: Path) -> None:
    summary = run(app, write(tmp_path / "twins.csv", [row(), row(residence="Đà Nẵng")]))
    assert (summary.created, summary.rejected) == (1, 1)
    assert summary.errors[0].reason == f"PIN {PIN_A} appears earlier in the file (line 2) with a different residence."


def test_a_cancelled_pin_is_rejected_naming_its_replacement(app: Flask, session: Session, tmp_path: Path) -> None:
    person = factories.person(session, sex="male", birth_date="1990-01-01")
    old_pin = person.pin
    reestablish_pin(session, old_pin, factories.facts(sex="female", birth_date="1990-01-01"), reason="r", actor="x")
    session.commit()
    summary = run(app, write(tmp_path / "old.csv", [row(pin=old_pin, birth_date="1990-01-01")]))
    assert summary.errors[0].reason == f"PIN {old_pin} was cancelled and replaced by {person.pin}."


def test_rows_without_a_pin_get_one_with_the_right_prefix(app: Flask, session: Session, tmp_path: Path) -> None:
    rows = [
        row(pin="", full_name="Lê Văn Cường", birth_date="2001-02-03", birth_place="048"),
        row(pin="", full_name="Đỗ Thị Hoa", birth_date="1950-10-10", sex="female", birth_place="232"),
        row(pin="", full_name="Vũ Thị Lan", birth_date="2010-12-31", sex="female", birth_place="96"),
    ]
    path = write(tmp_path / "new.csv", rows)
    assert run(app, path).created == 3
    pins = {p.full_name: p.pin for p in session.scalars(select(Person))}
    session.rollback()
    assert pins["Lê Văn Cường"].startswith("048201")
    assert pins["Đỗ Thị Hoa"].startswith("232150")
    assert pins["Vũ Thị Lan"].startswith("096310")
    assert all(len(pin) == 12 and pin.isascii() and pin.isdigit() for pin in pins.values())
    assert run(app, path).unchanged == 3
    assert {p.full_name: p.pin for p in session.scalars(select(Person))} == pins


def test_a_new_pin_never_takes_the_pin_a_later_row_brings(
    app: Flask, session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The generator first proposes serial 000101, which line 3 of the same file owns."""
    proposals = itertools.chain([101, 101], itertools.count(102))
    monkeypatch.setitem(allocation.allocate_by_prefix.__kwdefaults__, "randbelow", lambda _n: next(proposals))
    path = write(tmp_path / "clash.csv", [row(pin="", full_name="Nguyễn Văn Bảy"), row()])
    summary = run(app, path)
    assert (summary.created, summary.rejected) == (2, 0)
    assert by_pin(session, PIN_A).full_name == "Nguyễn Văn An"
    assert by_pin(session, "001084000102").full_name == "Nguyễn Văn Bảy"


def test_good_rows_of_a_batch_with_bad_rows_are_imported(app: Flask, session: Session, tmp_path: Path) -> None:
    rows = [row(pin=f"0010840{n:05d}", full_name="Hà Văn Tư") for n in range(20)]
    rows[3]["sex"] = "x"
    rows[4]["birth_place"] = "999"
    rows[11]["card_issued"] = "yesterday"
    summary = run(app, write(tmp_path / "batches.csv", rows), batch_size=4)
    assert (summary.created, summary.rejected) == (17, 3)
    assert errors(summary) == [(5, "sex"), (6, "birth_place"), (13, "card_issued")]
    assert stored(session)[0] == 17
    events = session.scalars(select(AuditEvent.action)).all()
    session.rollback()
    assert events == ["identity.imported"] * 5  # one per written batch of four


def test_imported_cards_get_the_computed_expiry_and_authority(app: Flask, session: Session, tmp_path: Path) -> None:
    path = write(tmp_path / "cards.csv", [row(card_issued="2021-04-01", legacy_id_number="012345678")])
    run(app, path)
    card = session.scalars(select(CitizenCard)).one()
    session.rollback()
    # Born 1984-03-12, issued at 37: valid until the 40th birthday.
    assert (card.number, card.legacy_number, card.expires_on) == (PIN_A, "012345678", dt.date(2024, 3, 12))
    assert (card.authority, card.status.value) == (AUTHORITY_BEFORE_2024, "valid")


def _mixed_rows() -> list[dict[str, str]]:
    rows = [row(pin=f"0010840{n:05d}", full_name="Hà Văn Tư") for n in range(30)]
    rows += [row(pin="", full_name=f"Lê Văn {name}", birth_place="048") for name in ("Ba", "Bốn", "Năm", "Sáu")]
    rows[7]["birth_date"] = "1984-02-30"
    rows[31]["sex"] = "?"
    rows[12]["card_issued"] = "2020-10-10"
    return rows


@pytest.mark.parametrize("parallel", [True, False])
def test_parsing_in_a_second_process_gives_the_same_result(
    app: Flask, session: Session, tmp_path: Path, parallel: bool
) -> None:
    path = write(tmp_path / "mixed.csv", _mixed_rows())
    progress: list[int] = []
    summary = run(app, path, batch_size=7, parallel=parallel, progress=progress.append)
    assert (summary.created, summary.flagged, summary.unchanged, summary.rejected) == (32, 0, 0, 2)
    assert errors(summary) == [(9, "birth_date"), (33, "sex")]
    assert sum(progress) == 34
    assert stored(session)[:2] == (32, 1)
    assert run(app, path, batch_size=7, parallel=parallel).unchanged == 32


def test_a_header_refused_in_the_parsing_process_is_raised_here(app: Flask, session: Session, tmp_path: Path) -> None:
    path = write(tmp_path / "header.csv", [row()], header=(*COLUMNS[:-1], "legacy"))
    with pytest.raises(ImportRefused, match="missing: legacy_id_number; unknown: legacy"):
        run(app, path, parallel=True)
    assert stored(session) == (0, 0, 0, 0)


def test_a_batch_that_meets_a_concurrent_writer_is_run_again_with_new_pins(
    app: Flask, session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another registrar takes a PIN between our draw and our insert: the batch is re-run, nothing is lost."""
    import identity.import_store as store

    taken = factories.person(session, full_name="Trần Văn Khác", birth_date="1984-01-01").pin
    session.rollback()
    draws = iter([{"001084": [taken]}, {"001084": ["001084777777"]}])
    monkeypatch.setattr(store, "allocate_by_prefix", lambda _session, _wanted: next(draws))
    summary = run(app, write(tmp_path / "race.csv", [row(pin="", full_name="Nguyễn Văn Bảy"), person_b()]))
    assert (summary.created, summary.rejected) == (2, 0)
    assert by_pin(session, "001084777777").full_name == "Nguyễn Văn Bảy"
    assert by_pin(session, taken).full_name == "Trần Văn Khác"
