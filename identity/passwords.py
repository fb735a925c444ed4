"""Password hashing with argon2id: hash, verify, needs-rehash, and equal-cost verification of nothing.

- The parameters (time cost, memory in KiB, lanes) come from configuration and are written into
  every hash (``$argon2id$v=19$m=65536,t=3,p=1$salt$digest``), so raising them later needs no
  migration: :meth:`PasswordHasher.needs_rehash` tells the sign-in to store a fresh hash.
- A password is normalised with NFKC before it is hashed *and* before it is verified (NIST SP 800-63B
  §5.1.1.2; see :func:`normalise_password`). Nothing else is done to it: no case change, no trimming,
  no truncation (ASVS 6.2.8).
- argon2 itself has no length limit (unlike bcrypt's 72 bytes), so the cap of
  :data:`MAX_PASSWORD_BYTES` is ours, against denial of service (SECURITY.md §6.10).
- ``verify(None, password)`` runs one full verification against a dummy hash made with the configured
  parameters and returns False, so a sign-in for an unknown PIN costs what a wrong password costs
  (ASVS 6.3.8).
"""

from __future__ import annotations

import secrets
import unicodedata
from typing import Any

import argon2
from argon2.exceptions import InvalidHashError, VerificationError

from .errors import WeakPassword

#: Largest password accepted, in UTF-8 bytes after normalisation. The policy's character limit keeps
#: every password it accepts below this; longer input is never hashed and never verifies.
MAX_PASSWORD_BYTES = 1024


def normalise_password(password: str) -> str:
    """NFKC, as NIST SP 800-63B §5.1.1.2 suggests.

    Vietnamese keyboards differ in how they type a toned letter: "ắ" may arrive as one precomposed
    code point (Telex) or as a letter plus combining marks (VNI, "Unicode tổ hợp"). NFC would already
    make those equal; NFKC also folds compatibility forms such as full-width letters and digits from
    East Asian input methods, so the same password typed on another device still matches. It costs a
    negligible amount of entropy. The policy checks the normalised form, which is what is hashed.
    """
    return unicodedata.normalize("NFKC", password)


def _secret(password: str) -> bytes | None:
    """The bytes that are hashed, or None when the input is over the cap (checked before normalising, too)."""
    if len(password) > MAX_PASSWORD_BYTES:
        return None
    encoded = normalise_password(password).encode("utf-8")
    return encoded if len(encoded) <= MAX_PASSWORD_BYTES else None


class PasswordHasher:
    """argon2id with the deployment's parameters; build one per process and share it."""

    def __init__(self, time_cost: int, memory_cost: int, parallelism: int) -> None:
        self._argon2 = argon2.PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_cost,
            parallelism=parallelism,
            hash_len=32,
            salt_len=16,
            type=argon2.Type.ID,
        )
        #: A hash of a random password nobody knows, with exactly the configured parameters, so that
        #: verifying against it costs the same as verifying a real, current hash.
        self.dummy_hash = self._argon2.hash(secrets.token_urlsafe(32))

    @classmethod
    def from_settings(cls, settings: Any) -> PasswordHasher:
        """From any object with ``argon2_time_cost``, ``argon2_memory_cost`` and ``argon2_parallelism``
        (``idp.config.Settings``; this package does not import the web layer)."""
        return cls(settings.argon2_time_cost, settings.argon2_memory_cost, settings.argon2_parallelism)

    def hash(self, password: str) -> str:
        """A new salted hash; a password over the byte cap is refused, never truncated."""
        secret = _secret(password)
        if secret is None:
            raise WeakPassword(
                f"The password is longer than {MAX_PASSWORD_BYTES} bytes; choose a shorter one.", reason="too_long"
            )
        return self._argon2.hash(secret)

    def verify(self, stored_hash: str | None, password: str) -> bool:
        """Whether ``password`` matches ``stored_hash``; always exactly one argon2 verification.

        With no stored hash (unknown PIN, no usable account) or an over-long password, the dummy hash
        is verified instead and the answer is False. A stored hash that is not a valid argon2 string
        never matches.
        """
        secret = _secret(password)
        target = stored_hash if stored_hash is not None and secret is not None else self.dummy_hash
        try:
            self._argon2.verify(target, secret or b"")
        except (VerificationError, InvalidHashError):
            return False
        return target is stored_hash

    def needs_rehash(self, stored_hash: str) -> bool:
        """True when the hash was made with other parameters (or another argon2 variant) than today's."""
        try:
            return self._argon2.check_needs_rehash(stored_hash)
        except InvalidHashError:
            return True
