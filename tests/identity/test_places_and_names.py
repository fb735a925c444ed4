"""Place codes of birth registration, and names at the input boundary."""

from __future__ import annotations

import unicodedata

import pytest

from identity import InvalidInput
from identity.names import fold_for_search, normalise_name
from identity.pin import parse_place_code
from identity.places import find_place, places


def test_the_63_legacy_provinces_and_the_countries_are_shipped() -> None:
    provinces = [p for p in places().values() if not p.abroad]
    assert len(provinces) == 63
    assert find_place("001").name == "Hà Nội"
    assert find_place("232").name == "Nhật Bản"
    assert find_place("232").abroad


def test_a_pin_prefix_is_never_read_through_the_2025_province_list() -> None:
    # 24 is the new Bắc Ninh's administrative code, but PIN prefix 024 means Bắc Giang.
    assert find_place("024").name == "Bắc Giang"


@pytest.mark.parametrize("code", ["003", "100", "296", "999"])
def test_unknown_place_codes_are_refused(code: str) -> None:
    with pytest.raises(InvalidInput, match="neither one of the 63 province codes nor a country code"):
        parse_place_code(code)


def test_short_place_codes_are_padded_and_other_digits_refused() -> None:
    assert parse_place_code("1") == "001"
    with pytest.raises(InvalidInput):
        parse_place_code("０01")


def test_nfd_names_are_stored_as_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", "Nguyễn  Thị   Ánh")
    assert decomposed != "Nguyễn Thị Ánh"
    assert normalise_name(decomposed) == "Nguyễn Thị Ánh"


def test_lookalike_eth_is_replaced_by_vietnamese_d_with_stroke() -> None:
    assert normalise_name("\u00d0ặng Văn Lâm") == "Đặng Văn Lâm"


@pytest.mark.parametrize("bad", ["", "   ", "Nguyễn Văn 2", "Trần <b>Bình</b>", "A\u0000B"])
def test_names_with_no_letters_or_with_symbols_are_refused(bad: str) -> None:
    with pytest.raises(InvalidInput):
        normalise_name(bad)


def test_the_search_key_drops_tones_and_maps_d_with_stroke() -> None:
    assert fold_for_search("Đặng Thị Thủy") == "dang thi thuy"
    assert fold_for_search(unicodedata.normalize("NFD", "NGUYỄN Đức")) == "nguyen duc"
