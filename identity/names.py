"""Personal names at the input boundary: NFC normalisation, validation and the search key.

Full names are stored exactly as registered (after NFC) and never split by position. The folded
search key drops tone marks and maps đ to d; it serves search only and must never be used to decide
that two records are the same person (Vietnamese names that differ only in tone are different names).
"""

from __future__ import annotations

import unicodedata

from .errors import InvalidInput

MAX_NAME_LENGTH = 200

#: Lookalike letters seen in real data, replaced by the Vietnamese letter they imitate.
_LOOKALIKES = str.maketrans({"\u00d0": "\u0110", "\u00f0": "\u0111"})  # Ð (eth) -> Đ, ð -> đ
_ALLOWED_PUNCTUATION = frozenset(" '-.")


def normalise_text(value: str) -> str:
    """NFC with lookalikes fixed and runs of whitespace collapsed to one space."""
    text = unicodedata.normalize("NFC", value.translate(_LOOKALIKES))
    return " ".join(text.split())


def normalise_name(value: str, *, label: str = "full name") -> str:
    """A registrable name, or InvalidInput naming the first offending character."""
    name = normalise_text(value)
    if not name:
        raise InvalidInput(f"The {label} is empty.")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(f"The {label} is longer than {MAX_NAME_LENGTH} characters.")
    for char in name:
        category = unicodedata.category(char)
        if not (category.startswith(("L", "M")) or char in _ALLOWED_PUNCTUATION):
            raise InvalidInput(f"The {label} contains {char!r} (U+{ord(char):04X}), which is not a letter.")
    return name


def fold_for_search(value: str) -> str:
    """Lower-case ASCII-ish key without tone marks: "Nguyễn Đức Anh" -> "nguyen duc anh"."""
    decomposed = unicodedata.normalize("NFD", value.translate(_LOOKALIKES))
    stripped = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    stripped = stripped.replace("\u0111", "d").replace("\u0110", "D")
    return " ".join(stripped.casefold().split())
