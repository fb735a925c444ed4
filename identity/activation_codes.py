"""One-time activation codes: random, short-lived, shown once, stored only as a SHA-256 digest.

A code is :data:`LENGTH` = 12 symbols drawn with ``secrets`` from a 32-symbol alphabet without the
look-alikes 0/O and 1/I, printed in groups of four (``7KQ4-M2XH-9RTE``): 12 × log2(32) = **60 bits**.
It is typed back case-insensitively, with or without the dashes or spaces.

Why SHA-256 and not argon2, as for passwords: a password is chosen by a person and has little entropy,
so its hash must be slow. An activation code is random, and (a) online, at most
:data:`MAX_ATTEMPTS` wrong codes are accepted per issued code, a 5 in 2^60 chance of a hit; (b)
offline, someone who stole the database would need about 2^59 SHA-256 evaluations to recover a code,
years of GPU time, while the code lives for hours (``IDP_ACTIVATION_CODE_TTL``, 72 h by default) and
dies at first use. A slow hash would add nothing but cost.

A code is not a password (ASVS 6.4.1): it only opens the activation step, where the holder must
choose a password, and the policy refuses a password that contains the code.
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
LENGTH = 12
GROUP = 4
#: Wrong codes accepted per issued code; then only a new code (from a registrar) helps.
MAX_ATTEMPTS = 5
_SEPARATORS = str.maketrans("", "", " -\t")
#: Input is cut here before folding: a code is 14 characters with its dashes, so nothing longer matches.
_MAX_INPUT = 64


def new_code() -> str:
    """A fresh code for display, e.g. ``7KQ4-M2XH-9RTE``."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return "-".join(raw[i : i + GROUP] for i in range(0, LENGTH, GROUP))


def code_digest(code: str) -> str:
    """Hex SHA-256 of the code as typed, after folding case, width and separators."""
    canonical = unicodedata.normalize("NFKC", code[:_MAX_INPUT]).translate(_SEPARATORS).upper()
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
