"""Places of birth registration: the codes in the first three digits of a PIN.

Two tables, both shipped with the package and loaded once:

* the 63 legacy province codes (001-096 with gaps) of Circular 07/2016/TT-BCA, Appendix 1;
* the country codes (101-295) used when the birth was registered abroad.

A PIN prefix is never resolved through the 2025 list of 34 provinces: "024" means Bắc Giang, the
province where the birth was registered, even though 24 is the new Bắc Ninh's administrative code.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True, slots=True)
class Place:
    code: str
    name: str
    abroad: bool


@cache
def places() -> dict[str, Place]:
    """Every known place code, provinces first, then countries."""
    table: dict[str, Place] = {}
    data = resources.files("identity") / "data"
    with (data / "provinces.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            table[row["code"]] = Place(row["code"], row["name_vi"], abroad=False)
    with (data / "countries.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            table[row["code"]] = Place(row["code"], row["name_vi"], abroad=True)
    return table


def find_place(code: str) -> Place | None:
    """The place for a three-digit code, or None when the code is not in either table."""
    return places().get(code)
