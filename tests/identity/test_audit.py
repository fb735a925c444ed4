"""The hash-chained audit trail: it verifies, and every kind of tampering names the first broken event."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from identity import AuditChainBroken, audit, bind_card, change_status, issue_person, unit_of_work
from identity.audit import GENESIS_HASH, chain_hash, verify_chain
from identity.models import AuditEvent, CitizenCard, Person
from idp import cli
from idp.context import session_factory
from tests import factories


def _busy_register(session: Session) -> int:
    """Eleven changes of every kind; returns how many events they wrote."""
    people = [factories.person(session, full_name=name) for name in ("Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường")]
    for person in people:
        bind_card(session, person.pin, issued_on=dt.date(2021, 1, 4), actor="registrar:r")
    change_status(session, people[0].pin, "suspend", reason="lost phone", actor="supervisor:s")
    change_status(session, people[0].pin, "restore", reason="found it", actor="supervisor:s")
    change_status(session, people[1].pin, "revoke", reason="fraud", actor="supervisor:s")
    change_status(session, people[2].pin, "deceased", reason="certificate", actor="supervisor:s")
    audit.record(session, audit.Event("client.registered", "admin:a", "client:portal", None, {"n": 1, "ü": "ở"}))
    session.commit()
    return 11


def _verify(app: Flask) -> audit.ChainReport:
    """Verify on a fresh session, as ``idp audit verify`` does."""
    with session_factory(app)() as fresh:
        return verify_chain(fresh)


def _tamper(session: Session, *statements: str) -> None:
    for statement in statements:
        session.execute(text(statement))
    session.commit()


def test_the_chain_verifies_after_many_changes(app: Flask, session: Session) -> None:
    written = _busy_register(session)
    report = _verify(app)
    assert report.ok
    assert report.checked == written == session.scalar(select(func.count()).select_from(AuditEvent))


def test_an_empty_trail_verifies(app: Flask) -> None:
    assert _verify(app) == audit.ChainReport(0)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("reason", "'nothing to see'"),
        ("details", '\'{"from":"active"}\''),
        ("actor", "'supervisor:someone-else'"),
        ("action", "'identity.suspend'"),
        ("subject", "'person:999'"),
    ],
)
def test_an_edited_row_is_named(app: Flask, session: Session, column: str, value: str) -> None:
    _busy_register(session)
    _tamper(session, f"UPDATE audit_events SET {column} = {value} WHERE seq = 8")
    report = _verify(app)
    assert (report.ok, report.broken_seq, report.checked) == (False, 8, 7)
    assert report.problem == "event 8 was edited after it was written"


def test_an_edit_that_also_rewrites_its_hash_breaks_the_next_link(app: Flask, session: Session) -> None:
    _busy_register(session)
    _tamper(session, f"UPDATE audit_events SET reason = 'x', hash = '{'f' * 64}' WHERE seq = 5")
    report = _verify(app)
    assert report.broken_seq == 5
    row = session.get(AuditEvent, 5)
    assert row is not None
    recomputed = chain_hash(
        row.prev_hash,
        seq=5,
        occurred_at=row.occurred_at,
        actor=row.actor,
        action=row.action,
        subject=row.subject,
        reason=row.reason,
        details=row.details,
    )
    _tamper(session, f"UPDATE audit_events SET hash = '{recomputed}' WHERE seq = 5")
    assert _verify(app).broken_seq == 6
    assert "does not link" in (_verify(app).problem or "")


def test_a_deleted_middle_row_is_named(app: Flask, session: Session) -> None:
    _busy_register(session)
    _tamper(session, "DELETE FROM audit_events WHERE seq = 4")
    report = _verify(app)
    assert (report.ok, report.broken_seq) == (False, 4)
    assert "event 4 is missing" in (report.problem or "")


def test_a_deleted_first_row_is_named(app: Flask, session: Session) -> None:
    _busy_register(session)
    _tamper(session, "DELETE FROM audit_events WHERE seq = 1")
    assert _verify(app).broken_seq == 1


def test_deleting_the_newest_rows_is_caught_by_the_head(app: Flask, session: Session) -> None:
    written = _busy_register(session)
    _tamper(session, f"DELETE FROM audit_events WHERE seq >= {written - 1}")
    report = _verify(app)
    assert (report.ok, report.broken_seq, report.checked) == (False, written - 1, written - 2)
    assert "the newest events were deleted" in (report.problem or "")


def test_deleting_every_row_is_caught_by_the_head(app: Flask, session: Session) -> None:
    _busy_register(session)
    _tamper(session, "DELETE FROM audit_events")
    assert _verify(app).broken_seq == 1


def test_swapped_rows_are_named(app: Flask, session: Session) -> None:
    _busy_register(session)
    _tamper(
        session,
        "UPDATE audit_events SET seq = -1 WHERE seq = 6",
        "UPDATE audit_events SET seq = 6 WHERE seq = 7",
        "UPDATE audit_events SET seq = 7 WHERE seq = -1",
    )
    report = _verify(app)
    assert (report.ok, report.broken_seq) == (False, 6)


def _forge(session: Session, seq: int, prev_hash: str, digest: str) -> None:
    session.execute(
        text(
            "INSERT INTO audit_events (seq, occurred_at, actor, action, subject, reason, details, prev_hash, hash) "
            "VALUES (:seq, :at, 'cli:intruder', 'identity.restore', 'person:1', 'forged', '{}', :prev, :hash)"
        ),
        {"seq": seq, "at": dt.datetime(2024, 1, 1, 12, 0), "prev": prev_hash, "hash": digest},
    )
    session.commit()


def test_a_row_inserted_in_the_middle_is_named(app: Flask, session: Session) -> None:
    _busy_register(session)
    previous = session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == 3))
    assert previous is not None
    # Make room at 4 (two steps, so that no unique check sees two rows with one seq) and forge it.
    _tamper(
        session,
        "UPDATE audit_events SET seq = -(seq + 1) WHERE seq >= 4",
        "UPDATE audit_events SET seq = -seq WHERE seq < 0",
    )
    _forge(session, 4, previous, "e" * 64)
    assert _verify(app).broken_seq == 4


def test_a_row_appended_with_a_fake_hash_is_named(app: Flask, session: Session) -> None:
    written = _busy_register(session)
    last = session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == written))
    assert last is not None
    _forge(session, written + 1, last, "e" * 64)
    report = _verify(app)
    assert (report.broken_seq, report.problem) == (written + 1, f"event {written + 1} was edited after it was written")


def test_a_row_appended_with_a_correct_hash_is_caught_by_the_head(app: Flask, session: Session) -> None:
    """Attack: the algorithm is public, so a forger can compute a valid hash; the head row still disagrees."""
    written = _busy_register(session)
    last = session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == written))
    assert last is not None
    at = dt.datetime(2024, 1, 1, 12, 0, tzinfo=dt.UTC)
    digest = chain_hash(
        last,
        seq=written + 1,
        occurred_at=at,
        actor="cli:intruder",
        action="identity.restore",
        subject="person:1",
        reason="forged",
        details="{}",
    )
    _forge(session, written + 1, last, digest)
    report = _verify(app)
    assert report.broken_seq == written + 1
    assert "added outside the register" in (report.problem or "")


def test_a_missing_head_row_is_reported_and_blocks_new_events(app: Flask, session: Session) -> None:
    _busy_register(session)
    _tamper(session, "DELETE FROM audit_head")
    try:
        report = _verify(app)
        assert not report.ok
        assert report.problem == "the audit head row is missing"
        with pytest.raises(AuditChainBroken, match="head row is missing"):
            factories.person(session, full_name="Vũ Văn Sáu")
        session.rollback()
    finally:
        _tamper(session, f"INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '{GENESIS_HASH}')")


def test_idp_audit_verify_exits_1_naming_the_first_broken_event(
    app: Flask, session: Session, runner: FlaskCliRunner
) -> None:
    written = _busy_register(session)
    good = runner.invoke(cli.cli, ["audit", "verify", "--json"])
    assert good.exit_code == 0
    assert json.loads(good.stdout) == {"ok": True, "checked": written, "broken_event": None, "problem": None}
    _tamper(session, "UPDATE audit_events SET reason = 'rewritten' WHERE seq = 9")
    human = runner.invoke(cli.cli, ["audit", "verify"])
    assert human.exit_code == 1
    assert human.stdout == ""
    assert human.stderr.strip() == "The audit trail is broken: event 9 was edited after it was written."
    machine = runner.invoke(cli.cli, ["audit", "verify", "--json"])
    assert machine.exit_code == 1
    lines = machine.stdout.strip().splitlines()
    assert len(lines) == 1
    data = json.loads(lines[0])
    assert (data["ok"], data["broken_event"], data["checked"]) == (False, 9, 8)
    assert "event 9" in machine.stderr


def test_a_failed_change_leaves_no_event(session: Session, app: Flask) -> None:
    pin = factories.person(session).pin
    before = session.scalar(select(func.count()).select_from(AuditEvent))
    session.rollback()  # end the read: on SQLite every transaction holds the write lock

    # The change and its event are one unit of work: an error after both were written undoes both.
    def bind_then_fail() -> None:
        with unit_of_work(session_factory(app)) as work:
            bind_card(work, pin, issued_on=dt.date(2022, 1, 1), actor="registrar:r")
            assert work.scalar(select(func.count()).select_from(AuditEvent)) == before + 1
            raise RuntimeError("the registrar's terminal lost power")

    with pytest.raises(RuntimeError):
        bind_then_fail()
    issue_person(session, factories.facts(full_name="Đỗ Văn Em"), actor="registrar:r")
    session.rollback()
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == before
    assert session.scalar(select(func.count()).select_from(CitizenCard)) == 0
    assert session.scalar(select(func.count()).select_from(Person)) == 1
    session.rollback()
    assert _verify(app).ok


def test_concurrent_writers_extend_one_unbroken_chain(app: Flask) -> None:
    """Two threads, each with its own connection, issue persons at once; the head lock orders them."""
    factory = session_factory(app)
    errors: list[BaseException] = []

    def issue(name: str) -> None:
        try:
            for _ in range(15):
                with unit_of_work(factory) as work:
                    issue_person(work, factories.facts(full_name=name), actor=f"registrar:{name}")
        except BaseException as error:  # surfaced by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=issue, args=(name,)) for name in ("Hà Văn Một", "Hà Thị Hai")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    report = _verify(app)
    assert (report.ok, report.checked) == (True, 30)
