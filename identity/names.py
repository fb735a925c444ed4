"""Personal names at the input boundary: NFC normalisation, validation and the search key.

Full names are stored exactly as registered (after NFC) and never split by position. The folded
search key drops tone marks and maps đ to d; it serves search only and must never be used to decide
that two records are the same person (Vietnamese names that differ only in tone are different names).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from .errors import InvalidInput

MAX_NAME_LENGTH = 200

#: Lookalike letters seen in real data, replaced by the Vietnamese letter they imitate.
_LOOKALIKES = str.maketrans({"\u00d0": "\u0110", "\u00f0": "\u0111"})  # Ð (eth) -> Đ, ð -> đ
_ALLOWED_PUNCTUATION = frozenset(" '-.")
_SEPARATORS = re.compile(r"[ '\-.]")


def normalise_text(value: str) -> str:
    """NFC with lookalikes fixed and runs of whitespace collapsed to one space."""
    if "\u00d0" in value or "\u00f0" in value:  # translate() is slow; most text has no lookalike
        value = value.translate(_LOOKALIKES)
    return " ".join(unicodedata.normalize("NFC", value).split())


def normalise_name(value: str, *, label: str = "full name") -> str:
    """A registrable name, or InvalidInput naming the first offending character."""
    name = normalise_text(value)
    if not name:
        raise InvalidInput(f"The {label} is empty.")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(f"The {label} is longer than {MAX_NAME_LENGTH} characters.")
    if _SEPARATORS.sub("", name).isalpha():  # the common case, checked in C: letters and separators only
        return name
    for char in name:
        category = unicodedata.category(char)
        if not (category.startswith(("L", "M")) or char in _ALLOWED_PUNCTUATION):
            raise InvalidInput(f"The {label} contains {char!r} (U+{ord(char):04X}), which is not a letter.")
    if not any(char.isalpha() for char in name):
        raise InvalidInput(f"The {label} {name!r} contains no letter.")
    return name


def fold_for_search(value: str) -> str:
    """Lower-case ASCII-ish key without tone marks: "Nguyễn Đức Anh" -> "nguyen duc anh".

    Words are folded one by one through a cache (names repeat the same few hundred syllables).
    Case folding can lengthen a name ("ß" -> "ss"), so the key is cut to the column's length.
    """
    words = (_fold_word(word) for word in value.split())
    return " ".join(word for word in words if word)[:MAX_NAME_LENGTH]


@lru_cache(maxsize=65536)
def _fold_word(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word.translate(_LOOKALIKES))
    stripped = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return stripped.replace("\u0111", "d").replace("\u0110", "D").casefold()
