"""PIN allocation: random, unique, bounded work in a crowded prefix, a clear error when full."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import textwrap
import threading
import time

import pytest
from sqlalchemy import insert
from sqlalchemy.orm import Session

from identity import PrefixExhausted, issue_person
from identity import pin_allocation as allocation
from identity.models import Person, PinChange
from identity.names import fold_for_search
from tests import factories

PREFIX = "001084"


def _fill(session: Session, serials: range | list[int]) -> None:
    rows = [
        {
            "pin": f"{PREFIX}{s:06d}",
            "full_name": "Lê Văn Bảy",
            "name_key": fold_for_search("Lê Văn Bảy"),
            "birth_date": factories.facts().birth_date,
            "sex": "male",
            "birth_place": "001",
        }
        for s in serials
    ]
    session.execute(insert(Person), rows)
    session.commit()


def test_allocated_pins_are_distinct_and_free(session: Session) -> None:
    _fill(session, range(0, 1000))
    pins = allocation.allocate_pins(session, PREFIX, 500)
    assert len(set(pins)) == 500
    assert all(p.startswith(PREFIX) and int(p[6:]) >= 1000 for p in pins)


def test_a_crowded_prefix_falls_back_to_listing_the_free_serials(session: Session, monkeypatch) -> None:
    # A generator that only ever proposes taken serials forces the bounded fallback.
    _fill(session, range(0, 50))
    proposals = itertools.cycle(range(50))
    pins = allocation.allocate_pins(session, PREFIX, 3, randbelow=lambda _n: next(proposals))
    assert len(set(pins)) == 3 and all(int(p[6:]) >= 50 for p in pins)


def test_a_full_prefix_gives_a_clear_error(session: Session, monkeypatch) -> None:
    monkeypatch.setattr(allocation, "SERIAL_SPACE", 40)
    _fill(session, range(0, 40))
    with pytest.raises(PrefixExhausted, match="0 free numbers left"):
        allocation.allocate_pins(session, PREFIX, 1)


def test_cancelled_pins_are_never_reissued(session: Session) -> None:
    person = factories.person(session)
    session.add(PinChange(person_id=person.id, old_pin=f"{PREFIX}000007", new_pin=person.pin, reason="r", actor="t"))
    session.commit()
    proposals = iter([7, 7, 8, *list(range(9, 200))])
    pins = allocation.allocate_pins(session, PREFIX, 1, randbelow=lambda _n: next(proposals))
    assert pins == [f"{PREFIX}000008"]


def _proposing(first: int, then: int, *, switch_after: int) -> allocation.RandomBelow:
    calls = itertools.count()
    return lambda _n: first if next(calls) < switch_after else then


def test_a_pin_taken_by_a_concurrent_transaction_is_not_issued_twice(app) -> None:
    """Both issuers draw serial 5 before either commits; the loser retries and gets serial 6."""
    from idp.context import session_factory

    facts = factories.facts(birth_date="1984-01-01")
    results: list[str] = []
    with session_factory(app)() as one, session_factory(app)() as two:
        first = issue_person(one, facts, actor="t", randbelow=_proposing(5, 5, switch_after=0))

        def second() -> None:
            results.append(issue_person(two, facts, actor="t", randbelow=_proposing(5, 6, switch_after=20)).pin)
            two.commit()

        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.5)  # the second issuer is now waiting on the first one's lock
        one.commit()
        thread.join(timeout=60)
    assert first.pin == f"{PREFIX}000005"
    assert results == [f"{PREFIX}000006"]


@pytest.mark.slow
def test_two_processes_issuing_in_the_same_prefix_never_collide(session: Session, settings, tmp_path) -> None:
    script = textwrap.dedent(
        """
        import json, sys, time
        from identity import issue_person, make_engine, make_session_factory, person_facts, unit_of_work
        factory = make_session_factory(make_engine(sys.argv[1]))
        facts = person_facts(full_name="Hồ Văn Song", birth_date="1999-09-09", sex="male", birth_place="079")
        while time.time() < float(sys.argv[2]):
            time.sleep(0.001)
        pins = []
        for _ in range(150):
            with unit_of_work(factory) as s:
                pins.append(issue_person(s, facts, actor="proc").pin)
        print(json.dumps(pins))
        """
    )
    start = str(time.time() + 2.0)
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, settings.database_url, start], stdout=subprocess.PIPE, text=True, env=env
        )
        for _ in range(2)
    ]
    outputs = [json.loads(p.communicate(timeout=120)[0]) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    pins = outputs[0] + outputs[1]
    assert len(pins) == 300 and len(set(pins)) == 300
    assert all(pin.startswith("079099") for pin in pins)


def test_batched_csprng_draws_are_in_range_and_cover_it() -> None:
    draws = allocation.random_below(40, 4000)
    assert len(draws) == 4000
    assert set(draws) == set(range(40))
    assert len(set(allocation.random_below(1_000_000, 1000))) > 990  # collisions are rare, never systematic


def test_free_pins_leaves_out_current_and_cancelled_pins(session: Session) -> None:
    _fill(session, [1, 2])
    person = factories.person(session)
    session.add(PinChange(person_id=person.id, old_pin=f"{PREFIX}000003", new_pin=person.pin, reason="r", actor="t"))
    session.commit()
    asked = [f"{PREFIX}{serial:06d}" for serial in (4, 1, 3, 2, 5)]
    assert sorted(allocation.free_pins(session, asked)) == [f"{PREFIX}000004", f"{PREFIX}000005"]
