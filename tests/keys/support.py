"""Helpers for the key tests: a clock that tests move by hand, and key rings on the test database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from flask import Flask

from identity import unit_of_work
from identity.types import utcnow
from idp.context import session_factory
from keys import KeyPolicy, KeyRing, ensure_keys
from keys.keyset import Spawn

KEK = bytes(range(32))
OTHER_KEK = bytes(range(1, 33))
#: One day between rotations, tokens live an hour: JWKS max-age 3600 s, a key leaves 3665 s after retiring.
DAY = 24 * 3600
POLICY = KeyPolicy(rotation_interval=DAY, max_token_ttl=3600, cache_ttl=5)


class Clock:
    """Callable clock for ``KeyRing``; starts at the real time and only moves when told."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


def run_inline(work: Callable[[], None]) -> None:
    work()


def make_ring(app: Flask, clock: Clock, *, kek: bytes = KEK, spawn: Spawn = run_inline, **policy: Any) -> KeyRing:
    """A ring on the test database; by default it refreshes inline, so a test sees a refresh at once."""
    values = {"rotation_interval": DAY, "max_token_ttl": 3600, "cache_ttl": 5, **policy}
    return KeyRing(session_factory(app), kek=kek, policy=KeyPolicy(**values), clock=clock, spawn=spawn)


def bootstrap(app: Flask, clock: Clock, *, kek: bytes = KEK) -> tuple[str, ...]:
    """What the app does at start: create the missing keys, committed."""
    with unit_of_work(session_factory(app)) as session:
        return ensure_keys(session, kek=kek, actor="test", now=clock())
