"""Choosing free random serials for new PINs.

A prefix (place + century/sex + year) holds one million serials. Candidates come from a CSPRNG and
are checked against the register in batches, growing when the prefix is crowded: at 99% full a
batch of 4,096 candidates holds a free serial with probability 1 - 0.99^4096 (never observed to
fail). Only a prefix fuller than that falls back to listing its taken serials once. There is no
unbounded retry loop, and a truly full prefix raises PrefixExhausted.

Cancelled PINs count as taken: a PIN is never reissued to another person.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable

from sqlalchemy import select, union_all
from sqlalchemy.orm import Session

from .errors import PrefixExhausted
from .models import Person, PinChange
from .pin import SERIAL_SPACE, compose_pin

#: Candidate batch sizes tried in turn, relative to the number of PINs wanted.
CANDIDATE_STAGES = (4, 64, 4096)
#: Bound parameters per IN query, below SQLite's limit.
_QUERY_CHUNK = 5000

RandomBelow = Callable[[int], int]


def allocate_pins(
    session: Session,
    prefix: str,
    count: int,
    *,
    reserved: Iterable[str] = (),
    randbelow: RandomBelow = secrets.randbelow,
) -> list[str]:  # randbelow is injectable so tests can force collisions
    """``count`` distinct PINs with this prefix, in random order, that are neither in the register
    nor ``reserved`` (PINs about to be written by the same transaction)."""
    chosen: list[str] = []
    excluded = set(reserved)
    for factor in CANDIDATE_STAGES:
        wanted = count - len(chosen)
        candidates = _random_candidates(prefix, wanted * factor + 16, randbelow, exclude=excluded)
        taken = taken_pins(session, candidates)
        fresh = [pin for pin in candidates if pin not in taken]
        chosen.extend(fresh)
        excluded.update(fresh)
        if len(chosen) >= count:
            return chosen[:count]
    return chosen + _exhaustive_pick(session, prefix, count - len(chosen), exclude=excluded)


def _random_candidates(prefix: str, size: int, randbelow: RandomBelow, *, exclude: set[str]) -> list[str]:
    seen: dict[str, None] = {}
    for _ in range(size):
        pin = compose_pin(prefix, randbelow(SERIAL_SPACE))
        if pin not in exclude:
            seen[pin] = None
    return list(seen)


def taken_pins(session: Session, pins: list[str]) -> set[str]:
    """Which of these PINs are current or cancelled PINs of anybody."""
    taken: set[str] = set()
    for start in range(0, len(pins), _QUERY_CHUNK):
        chunk = pins[start : start + _QUERY_CHUNK]
        query = union_all(
            select(Person.pin).where(Person.pin.in_(chunk)),
            select(PinChange.old_pin).where(PinChange.old_pin.in_(chunk)),
        )
        taken.update(session.scalars(query))
    return taken


def _exhaustive_pick(session: Session, prefix: str, count: int, *, exclude: set[str]) -> list[str]:
    """List the prefix's taken serials once and pick uniformly among what is left."""
    low, high = compose_pin(prefix, 0), compose_pin(prefix, SERIAL_SPACE - 1)
    query = union_all(
        select(Person.pin).where(Person.pin.between(low, high)),
        select(PinChange.old_pin).where(PinChange.old_pin.between(low, high)),
    )
    taken = {int(pin[-6:]) for pin in session.scalars(query)}
    taken.update(int(pin[-6:]) for pin in exclude if pin.startswith(prefix))
    free = [serial for serial in range(SERIAL_SPACE) if serial not in taken]
    if len(free) < count:
        raise PrefixExhausted(
            f"PIN prefix {prefix} has {len(free)} free numbers left of {SERIAL_SPACE:,}; "
            f"{count} were needed. No further PIN can be issued for this place, sex and birth year."
        )
    picks: list[str] = []
    for _ in range(count):
        serial = free.pop(secrets.randbelow(len(free)))
        picks.append(compose_pin(prefix, serial))
    return picks
