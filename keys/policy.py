"""The timing rules of the key lifecycle: when a key rotates, how long it stays published, how long JWKS is cached.

Everything here is arithmetic on plain numbers from the settings, so the web layer, the CLI and the
tests build the same policy without importing each other.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .models import SigningKey

#: Margin for the clocks of relying parties and resource servers that check our tokens themselves, so a
#: retired key stays published this much longer. Our own checks of our own tokens allow none.
CLOCK_SKEW = 60
#: Upper bound of the JWKS ``Cache-Control: max-age``.
MAX_JWKS_AGE = 3600


@dataclass(frozen=True, slots=True)
class KeyPolicy:
    """Timing of rotation and removal, in seconds.

    ``rotation_interval``: age at which the current key is replaced (0: never automatically).
    ``max_token_ttl``: the longest lifetime of any token we sign (``max(access_token_ttl, id_token_ttl)``).
    ``cache_ttl``: how long a process may sign with its cached copy of the key ring.
    """

    rotation_interval: int
    max_token_ttl: int
    cache_ttl: int
    clock_skew: int = CLOCK_SKEW

    def __post_init__(self) -> None:
        if min(self.rotation_interval, self.max_token_ttl, self.cache_ttl, self.clock_skew) < 0:
            raise ValueError("key policy durations cannot be negative")
        if self.rotation_interval and self.rotation_interval <= self.publish_lead.total_seconds():
            raise ValueError(
                f"IDP_KEY_ROTATION_INTERVAL={self.rotation_interval} is too short: a new key must be visible "
                f"to relying parties ({int(self.publish_lead.total_seconds())} s) before it starts signing"
            )

    @property
    def jwks_max_age(self) -> int:
        """``Cache-Control: max-age`` of the JWKS: ``min(3600, rotation_interval / 10)``.

        A next key is published one whole rotation interval before it signs (it is created when its
        predecessor is promoted). A relying party sees it at the latest ``max_age + cache_ttl`` after
        that; a tenth of the interval leaves nine tenths as margin for relying parties that cache
        longer than told or miss a few fetches. The one-hour cap bounds how late relying parties see
        a key that an operator rotated by hand (for example after a compromise) and a removed key
        leave; refetching costs them little, as the document and its ETag are precomputed and a
        conditional request is answered with 304. Without automatic rotation the cap applies.
        """
        if not self.rotation_interval:
            return MAX_JWKS_AGE
        return min(MAX_JWKS_AGE, self.rotation_interval // 10)

    @property
    def publish_lead(self) -> dt.timedelta:
        """How long a next key must have been published before automatic rotation lets it sign."""
        return dt.timedelta(seconds=self.jwks_max_age + self.cache_ttl)

    def may_sign_from(self, next_key: SigningKey) -> dt.datetime:
        """When *next_key* has been published long enough for every relying party to have fetched it."""
        return next_key.created_at + self.publish_lead

    def remove_after(self, retired_at: dt.datetime) -> dt.datetime:
        """When a key retired at *retired_at* can leave the JWKS.

        Processes may still sign with it for ``cache_ttl`` after retirement (their cached ring), each
        such token lives at most ``max_token_ttl``, and relying parties may allow ``clock_skew``.
        """
        return retired_at + dt.timedelta(seconds=self.cache_ttl + self.max_token_ttl + self.clock_skew)

    def rotation_due(self, current: SigningKey, next_key: SigningKey | None, now: dt.datetime) -> bool:
        """True when *current* is older than the interval and *next_key* has been published long enough."""
        if not self.rotation_interval or current.activated_at is None or next_key is None:
            return False
        old_enough = current.activated_at + dt.timedelta(seconds=self.rotation_interval) <= now
        return old_enough and self.may_sign_from(next_key) <= now
