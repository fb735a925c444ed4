"""Choosing free random serials for new PINs.

A prefix (place + century/sex + year) holds one million serials. Candidates come from the operating
system's CSPRNG and are checked against the register in stages of growing size (CANDIDATE_STAGES):
an uncrowded prefix is served by the first, cheap stage; a crowded one by a few more. Only a prefix
so full that every stage missed falls back to listing its taken serials once. There is no unbounded
retry loop, and a truly full prefix raises PrefixExhausted. A bulk import asks for many prefixes at
once and pays one query per stage for all of them.

Cancelled PINs count as taken: a PIN is never reissued to another person.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterable, Mapping

from sqlalchemy import exists, select, union_all
from sqlalchemy.orm import Session

from .bulk import listed
from .errors import PrefixExhausted
from .models import Person, PinChange
from .pin import SERIAL_SPACE, compose_pin

#: Candidates drawn in each stage: ``wanted * factor + extra``. The first stage draws exactly what is
#: wanted (a bulk import pays for every extra candidate); the next ones grow fourfold, so a crowded
#: prefix costs a few small queries instead of one huge one. At 99% full, one wanted PIN is found after
#: about 220 candidates on average, and all six stages (5,797 candidates) miss with probability 5e-26.
CANDIDATE_STAGES = ((1, 0), (4, 16), (16, 64), (64, 256), (256, 1024), (4096, 0))

RandomBelow = Callable[[int], int]


def allocate_pins(
    session: Session,
    prefix: str,
    count: int,
    *,
    reserved: Iterable[str] = (),
    randbelow: RandomBelow | None = None,
) -> list[str]:  # randbelow is injectable so tests can force collisions
    """``count`` distinct PINs with this prefix, in random order, that are neither in the register
    nor ``reserved`` (PINs about to be written by the same transaction)."""
    return allocate_by_prefix(session, {prefix: count}, reserved=reserved, randbelow=randbelow)[prefix]


def allocate_by_prefix(
    session: Session,
    wanted: Mapping[str, int],
    *,
    reserved: Iterable[str] = (),
    randbelow: RandomBelow | None = None,
) -> dict[str, list[str]]:
    """For each prefix, that many distinct free PINs; each stage checks every prefix in one query.

    Serials come from the operating system's CSPRNG; ``randbelow`` replaces it in tests.
    """
    chosen: dict[str, list[str]] = {prefix: [] for prefix in wanted}
    excluded = set(reserved)
    for factor, extra in CANDIDATE_STAGES:
        short = {prefix: count - len(chosen[prefix]) for prefix, count in wanted.items() if len(chosen[prefix]) < count}
        if not short:
            break
        sizes = {prefix: missing * factor + extra for prefix, missing in short.items()}
        candidates = _random_candidates(sizes, randbelow, exclude=excluded)
        free = set(free_pins(session, [pin for pins in candidates.values() for pin in pins]))
        for prefix, pins in candidates.items():
            fresh = [pin for pin in pins if pin in free][: short[prefix]]
            chosen[prefix].extend(fresh)
            excluded.update(fresh)
    for prefix, count in wanted.items():
        if len(chosen[prefix]) < count:
            chosen[prefix] += _exhaustive_pick(session, prefix, count - len(chosen[prefix]), exclude=excluded)
    return chosen


def _random_candidates(
    sizes: Mapping[str, int], randbelow: RandomBelow | None, *, exclude: set[str]
) -> dict[str, list[str]]:
    """That many random candidates per prefix (fewer after removing repeats and ``exclude``).

    The serials for every prefix come from one draw: a bulk batch spans thousands of prefixes.
    """
    total = sum(sizes.values())
    serials = iter([randbelow(SERIAL_SPACE) for _ in range(total)] if randbelow else random_below(SERIAL_SPACE, total))
    candidates = {}
    for prefix, size in sizes.items():
        seen = dict.fromkeys(compose_pin(prefix, next(serials)) for _ in range(size))
        candidates[prefix] = [pin for pin in seen if pin not in exclude]
    return candidates


def random_below(limit: int, count: int) -> list[int]:
    """``count`` independent uniform integers in [0, limit) from os.urandom.

    What ``secrets.randbelow`` does, by the same rejection sampling, but with one system call for a
    whole batch instead of one per number (a crowded prefix draws thousands of candidates).
    """
    bits = max((limit - 1).bit_length(), 1)
    width, mask = (bits + 7) // 8, (1 << bits) - 1
    numbers: list[int] = []
    while len(numbers) < count:
        data = os.urandom(width * 2 * (count - len(numbers)))  # at least half of the draws are below limit
        for start in range(0, len(data), width):
            number = int.from_bytes(data[start : start + width], "big") & mask
            if number < limit:
                numbers.append(number)
    return numbers[:count]


def free_pins(session: Session, pins: list[str]) -> list[str]:
    """Those of these PINs that are neither the current nor a cancelled PIN of anybody.

    Asking for the free ones, not the taken ones, keeps the answer small in a crowded prefix, where
    nearly every candidate is taken.
    """
    if not pins:
        return []
    candidate = listed(session, sorted(pins)).c.value  # sorted: the index pages are read in order
    query = select(candidate).where(
        ~exists().where(Person.pin == candidate), ~exists().where(PinChange.old_pin == candidate)
    )
    return list(session.scalars(query).all())


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
