"""Choosing free random serials for new PINs.

A prefix (place + century/sex + year) holds one million serials. Candidates come from a CSPRNG and
are checked against the register in stages of growing size: an uncrowded prefix is served by the
first, cheap stage; at 99% full the last stage's 4,096 candidates per wanted PIN hold a free serial
with probability 1 - 0.99^4096 (never observed to fail). Only a prefix fuller than that falls back
to listing its taken serials once. There is no unbounded retry loop, and a truly full prefix raises
PrefixExhausted. A bulk import asks for many prefixes at once and pays one query per stage for all.

Cancelled PINs count as taken: a PIN is never reissued to another person.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Mapping

from sqlalchemy import select, union_all
from sqlalchemy.orm import Session

from .bulk import among
from .errors import PrefixExhausted
from .models import Person, PinChange
from .pin import SERIAL_SPACE, compose_pin

#: Candidates drawn in each stage: ``wanted * factor + extra``. The first stage draws exactly what is
#: wanted (a bulk import pays for every extra candidate); the later ones absorb a crowded prefix.
CANDIDATE_STAGES = ((1, 0), (4, 16), (64, 16), (4096, 16))

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
    return allocate_by_prefix(session, {prefix: count}, reserved=reserved, randbelow=randbelow)[prefix]


def allocate_by_prefix(
    session: Session,
    wanted: Mapping[str, int],
    *,
    reserved: Iterable[str] = (),
    randbelow: RandomBelow = secrets.randbelow,
) -> dict[str, list[str]]:
    """For each prefix, that many distinct free PINs; each stage checks every prefix in one query."""
    chosen: dict[str, list[str]] = {prefix: [] for prefix in wanted}
    excluded = set(reserved)
    for factor, extra in CANDIDATE_STAGES:
        short = {prefix: count - len(chosen[prefix]) for prefix, count in wanted.items() if len(chosen[prefix]) < count}
        if not short:
            break
        candidates = {
            prefix: _random_candidates(prefix, missing * factor + extra, randbelow, exclude=excluded)
            for prefix, missing in short.items()
        }
        taken = taken_pins(session, [pin for pins in candidates.values() for pin in pins])
        for prefix, pins in candidates.items():
            fresh = [pin for pin in pins if pin not in taken][: short[prefix]]
            chosen[prefix].extend(fresh)
            excluded.update(fresh)
    for prefix, count in wanted.items():
        if len(chosen[prefix]) < count:
            chosen[prefix] += _exhaustive_pick(session, prefix, count - len(chosen[prefix]), exclude=excluded)
    return chosen


def _random_candidates(prefix: str, size: int, randbelow: RandomBelow, *, exclude: set[str]) -> list[str]:
    seen: dict[str, None] = {}
    for _ in range(size):
        pin = compose_pin(prefix, randbelow(SERIAL_SPACE))
        if pin not in exclude:
            seen[pin] = None
    return list(seen)


def taken_pins(session: Session, pins: list[str]) -> set[str]:
    """Which of these PINs are current or cancelled PINs of anybody."""
    if not pins:
        return set()
    pins = sorted(pins)  # neighbouring keys: the index pages are read in order
    query = union_all(
        select(Person.pin).where(among(session, Person.pin, pins)),
        select(PinChange.old_pin).where(among(session, PinChange.old_pin, pins)),
    )
    return set(session.scalars(query))


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
