"""Rules for a new password: NIST SP 800-63B §5.1.1.2 and ASVS 6.2, and nothing more.

- Length: at least :data:`MIN_LENGTH` characters (code points after NFKC, as NIST counts them).
  ASVS 6.2.1 strongly recommends 15 and NIST 800-63B rev. 4 requires 15 for a password used *alone*;
  here the password is always one factor of two (PIN + password + one-time code, AAL2), for which
  both allow 8. Long passphrases are welcome: up to :data:`MAX_LENGTH` characters (ASVS 6.2.9 asks
  for at least 64).
- Every Unicode character is allowed, spaces included; there are no composition rules (ASVS 6.2.5).
- Refused: the 10,000 most common passwords (``data/common-passwords.txt``, ASVS 6.2.4), also with
  digits or symbols added around them; words tied to the person or the service (ASVS 6.2.11);
  repetitive and sequential strings. Each refusal is a :class:`WeakPassword` whose ``reason`` code
  and sentence say exactly why.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import unicodedata
from collections.abc import Iterable
from functools import cache
from importlib import resources

from .errors import WeakPassword
from .passwords import MAX_PASSWORD_BYTES, normalise_password

MIN_LENGTH = 8
#: In code points; four UTF-8 bytes at most each, so an accepted password never exceeds the hash cap.
MAX_LENGTH = MAX_PASSWORD_BYTES // 4
#: The service's own names, refused inside any password (folded: lower case, no diacritics or separators).
SERVICE_WORDS = ("vneid", "dichvucong")
#: Keyboard rows and the digits (wrapping past 9), walked either way, count as sequential.
_KEYBOARD_ROWS = ("`1234567890-=", "qwertyuiop[]\\", "asdfghjkl;'", "zxcvbnm,./", "0123456789" * 3)
_AFFIXES = re.compile(r"^[\W\d_]+|[\W\d_]+$")


@cache
def common_passwords() -> frozenset[str]:
    """The shipped blocklist, case-folded. Origin: SecLists ``10k-most-common.txt`` (see docs/accounts.md)."""
    text = resources.files("identity").joinpath("data/common-passwords.txt").read_text(encoding="utf-8")
    return frozenset(normalise_password(line).casefold() for line in text.splitlines() if line)


def fold(text: str) -> str:
    """Lower case, no diacritics (đ -> d), letters and digits only: "Nguyễn Văn-An" -> "nguyenvanan"."""
    decomposed = unicodedata.normalize("NFD", normalise_password(text).casefold().replace("đ", "d"))
    return "".join(c for c in decomposed if c.isalnum() and unicodedata.category(c) != "Mn")


def birth_date_words(birth_date: dt.date) -> tuple[str, ...]:
    """The ways people write their birth date into a password, separators already folded away."""
    d, m, y = birth_date.day, birth_date.month, birth_date.year
    return (f"{d:02}{m:02}{y}", f"{y}{m:02}{d:02}", f"{m:02}{d:02}{y}", f"{d:02}{m:02}{y % 100:02}", f"{d}{m}{y}")


class PasswordPolicy:
    """Checks a proposed password; build one per process (the blocklist is loaded once)."""

    def __init__(self, *, min_length: int = MIN_LENGTH, blocklist: Iterable[str] | None = None) -> None:
        if min_length < 8:
            raise ValueError("NIST SP 800-63B does not allow passwords shorter than 8 characters.")
        self.min_length = min_length
        self.blocklist = common_passwords() if blocklist is None else frozenset(w.casefold() for w in blocklist)

    def check(self, password: str, *, context_words: Iterable[str] = (), name_parts: Iterable[str] = ()) -> None:
        """Raise WeakPassword with the first rule the password breaks.

        ``context_words`` (PIN, birth dates, full name, activation code …) are refused anywhere inside
        the password; ``name_parts`` are refused when the password's letters are nothing but them
        (in any order) — a short given name such as "An" may still appear inside a longer password.
        """
        text = normalise_password(password)
        self._check_length(text)
        self._check_patterns(text.casefold())
        self._check_common(text.casefold())
        self._check_context(fold(text), [*SERVICE_WORDS, *context_words], name_parts)

    def _check_length(self, text: str) -> None:
        if len(text) < self.min_length:
            raise WeakPassword(
                f"The password has {len(text)} characters; use at least {self.min_length} "
                "(a phrase of a few words is long and easy to remember).",
                reason="too_short",
            )
        if len(text) > MAX_LENGTH:
            raise WeakPassword(
                f"The password has {len(text)} characters; at most {MAX_LENGTH} are accepted.", reason="too_long"
            )

    @staticmethod
    def _check_patterns(text: str) -> None:
        if len(set(text)) <= 2 or re.fullmatch(r"(.{1,4})\1+", text, re.DOTALL):
            raise WeakPassword(
                "The password repeats the same few characters; choose one that does not.", reason="repetitive"
            )
        steps = {ord(b) - ord(a) for a, b in itertools.pairwise(text)}
        if steps in ({1}, {-1}) or any(text in row or text in row[::-1] for row in _KEYBOARD_ROWS):
            raise WeakPassword(
                "The password is a run of consecutive characters or keys (like 12345678, abcdefgh or "
                "qwertyui); choose another.",
                reason="sequential",
            )

    def _check_common(self, text: str) -> None:
        core = _AFFIXES.sub("", text)
        if text in self.blocklist or (core in self.blocklist and 2 * len(core) >= len(text)):
            raise WeakPassword(
                "The password is one of the 10,000 most common passwords (or one with digits or symbols "
                "added), which attackers try first; choose another.",
                reason="common",
            )

    @staticmethod
    def _check_context(folded: str, context_words: Iterable[str], name_parts: Iterable[str]) -> None:
        for word in context_words:
            key = fold(word)
            if len(key) >= 4 and key in folded:
                raise WeakPassword(
                    f"The password contains “{key}”, which is easy to guess from who you are or from this "
                    "service; choose one without it.",
                    reason="context",
                )
        letters = "".join(c for c in folded if not c.isdigit())
        if letters and _made_of(letters, {fold(part) for part in name_parts} - {""}):
            raise WeakPassword(
                "The password is your name with digits or symbols added; choose one that is not.", reason="context"
            )


def _made_of(text: str, parts: set[str]) -> bool:
    """Whether ``text`` is a concatenation of ``parts`` (each usable any number of times)."""
    reachable = [True] + [False] * len(text)
    for end in range(1, len(text) + 1):
        reachable[end] = any(reachable[end - len(p)] and text.endswith(p, 0, end) for p in parts if len(p) <= end)
    return reachable[-1]


def check_password(password: str, *, context_words: Iterable[str] = (), name_parts: Iterable[str] = ()) -> None:
    """:meth:`PasswordPolicy.check` with the default policy."""
    _default_policy().check(password, context_words=context_words, name_parts=name_parts)


@cache
def _default_policy() -> PasswordPolicy:
    return PasswordPolicy()
