"""The PIN validator: exact reasons for every kind of wrong number."""

from __future__ import annotations

import datetime as dt

import pytest

from identity import InvalidPin, Sex, parse_pin, structural_problems
from identity.pin import century_sex_digit, decode_birth_year, decode_sex, pin_prefix


def test_a_well_formed_pin_is_returned_unchanged() -> None:
    assert parse_pin("087084000999") == "087084000999"
    assert parse_pin("  087084000999 ") == "087084000999"


@pytest.mark.parametrize(
    ("text", "code", "fragment"),
    [
        ("０８７０８４０００９９９", "non_ascii_digit", "FULLWIDTH DIGIT ZERO"),
        ("٠٨٧٠٨٤٠٠٠٩٩٩", "non_ascii_digit", "ARABIC-INDIC DIGIT ZERO"),
        ("08708400099९", "non_ascii_digit", "position 12"),
        ("08708400099", "length", "this one has 11"),
        ("0870840009999", "length", "this one has 13"),
        ("08708400O999", "not_a_digit", "position 9"),
        ("087-084-000999", "not_a_digit", "position 4"),
    ],
)
def test_malformed_pins_are_refused_with_the_exact_reason(text: str, code: str, fragment: str) -> None:
    with pytest.raises(InvalidPin) as caught:
        parse_pin(text)
    assert caught.value.problems == (code,)
    assert fragment in caught.value.message


def test_the_worked_example_decodes_as_the_circular_says() -> None:
    # 087 Đồng Tháp, digit 0 = male born 19xx, 84 = 1984 (Circular 07/2016 example).
    assert decode_sex("087084000999") is Sex.MALE
    assert decode_birth_year("087084000999") == 1984
    assert structural_problems("087084000999", birth_date=dt.date(1984, 5, 1), sex=Sex.MALE, birth_place="087") == ()


@pytest.mark.parametrize(
    ("year", "sex", "digit"),
    [(1900, Sex.MALE, 0), (1999, Sex.FEMALE, 1), (2000, Sex.MALE, 2), (2099, Sex.FEMALE, 3), (2399, Sex.FEMALE, 9)],
)
def test_century_and_sex_digit_follows_the_table(year: int, sex: Sex, digit: int) -> None:
    assert century_sex_digit(year, sex) == digit


def test_prefix_combines_place_century_sex_and_year() -> None:
    assert pin_prefix("079", dt.date(2005, 1, 1), Sex.FEMALE) == "079305"


def test_every_inconsistency_is_named() -> None:
    problems = structural_problems("003185000001", birth_date=dt.date(1984, 1, 1), sex=Sex.MALE, birth_place="001")
    assert [p.code for p in problems] == ["unknown_place", "sex_mismatch", "birth_year_mismatch"]
    place = structural_problems("079084000001", birth_date=dt.date(1984, 1, 1), sex=Sex.MALE, birth_place="001")
    assert [p.code for p in place] == ["place_mismatch"]
