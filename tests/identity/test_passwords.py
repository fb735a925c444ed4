"""Password hashing (argon2id) and the password policy (NIST SP 800-63B, ASVS 6.2)."""

from __future__ import annotations

import unicodedata

import pytest

from identity import InvalidInput, PasswordHasher, PasswordPolicy, WeakPassword, check_password
from identity.password_policy import MAX_LENGTH, MIN_LENGTH, common_passwords
from identity.passwords import MAX_PASSWORD_BYTES
from tests.conftest import TEST_ARGON2

PARAMS = f"$argon2id$v=19$m={TEST_ARGON2['argon2_memory_cost']},t={TEST_ARGON2['argon2_time_cost']},p=1$"
GOOD = "mưa rào trên phố cổ"


@pytest.fixture(scope="module")
def hasher() -> PasswordHasher:
    return PasswordHasher(
        TEST_ARGON2["argon2_time_cost"], TEST_ARGON2["argon2_memory_cost"], TEST_ARGON2["argon2_parallelism"]
    )


@pytest.fixture(scope="module")
def policy() -> PasswordPolicy:
    return PasswordPolicy()


def reason_of(policy: PasswordPolicy, password: str, **context: object) -> str | None:
    """The policy's reason code for refusing ``password``, or None when it is accepted."""
    try:
        policy.check(password, **context)  # type: ignore[arg-type]
    except WeakPassword as error:
        refusal = error
    else:
        return None
    assert refusal.message and isinstance(refusal, InvalidInput)
    return refusal.reason


# Hashing


def test_hashes_are_argon2id_with_their_parameters_recorded_and_never_contain_the_password(hasher) -> None:
    first, second = hasher.hash(GOOD), hasher.hash(GOOD)
    assert first.startswith(PARAMS)
    assert first != second  # a fresh salt each time
    assert GOOD not in first
    assert GOOD.encode().hex() not in first


def test_hasher_from_settings_uses_the_configured_parameters(settings) -> None:
    assert PasswordHasher.from_settings(settings).hash(GOOD).startswith(PARAMS)


def test_verification_is_exact_no_case_change_trimming_or_truncation(hasher) -> None:
    long = "x" * 150 + GOOD
    stored, stored_long = hasher.hash(GOOD), hasher.hash(long)
    assert hasher.verify(stored, GOOD)
    assert not hasher.verify(stored, GOOD.upper())
    assert not hasher.verify(stored, GOOD + " ")
    assert not hasher.verify(stored, " " + GOOD)
    assert hasher.verify(stored_long, long)
    assert not hasher.verify(stored_long, long[:-1])
    assert not hasher.verify(stored_long, long[:72])


def test_nfkc_makes_differently_typed_equal_passwords_match(hasher) -> None:
    composed = unicodedata.normalize("NFC", "Phở bò tái chín 2024")
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    assert hasher.verify(hasher.hash(composed), decomposed)
    full_width = "ｍｙ ｌｏｎｇ ｐａｓｓｐｈｒａｓｅ １２３"
    assert hasher.verify(hasher.hash("my long passphrase 123"), full_width)


def test_input_over_the_byte_cap_is_neither_hashed_nor_verified(hasher) -> None:
    at_cap = "é" * (MAX_PASSWORD_BYTES // 2)
    assert hasher.verify(hasher.hash(at_cap), at_cap)
    with pytest.raises(WeakPassword) as refused:
        hasher.hash(at_cap + "a")
    assert refused.value.reason == "too_long"
    assert not hasher.verify(hasher.hash(at_cap), at_cap + "a")
    assert not hasher.verify(hasher.hash(at_cap), "a" * 100_000)


def test_no_stored_hash_or_a_broken_one_never_verifies(hasher) -> None:
    assert hasher.dummy_hash.startswith(PARAMS)  # same cost as a current hash
    assert not hasher.verify(None, GOOD)
    assert not hasher.verify("not-an-argon2-hash", GOOD)
    assert not hasher.verify(hasher.dummy_hash, "")


def test_needs_rehash_when_the_parameters_were_raised(hasher) -> None:
    stored = hasher.hash(GOOD)
    assert not hasher.needs_rehash(stored)
    stronger = PasswordHasher(TEST_ARGON2["argon2_time_cost"] + 1, TEST_ARGON2["argon2_memory_cost"], 1)
    assert stronger.needs_rehash(stored)
    assert stronger.verify(stored, GOOD)  # old hashes keep working until they are replaced


# Policy


def test_length_minimum_is_eight_and_long_passphrases_are_welcome(policy) -> None:
    assert MIN_LENGTH == 8
    assert reason_of(policy, "Tr0ub4d") == "too_short"
    assert reason_of(policy, "Tr0ub4d&") is None
    assert reason_of(policy, "") == "too_short"
    sixty_four = "correct horse battery staple " * 2 + "abcdef"
    assert len(sixty_four) == 64
    assert reason_of(policy, sixty_four) is None
    assert reason_of(policy, ("zebra lamp ocean " * 20)[:MAX_LENGTH]) is None
    assert reason_of(policy, ("zebra lamp ocean " * 20)[: MAX_LENGTH + 1]) == "too_long"


def test_the_minimum_cannot_be_set_below_nist() -> None:
    with pytest.raises(ValueError, match="8"):
        PasswordPolicy(min_length=7)


def test_every_unicode_character_is_allowed_and_there_are_no_composition_rules(policy) -> None:
    emoji, kanji = "😀 🎉 🚀 🌏 ✨ 🐉 🍜 🎋", "漢字のパスワードです"
    for password in (GOOD, "all lower case words here", emoji, kanji, "   spaces   inside   "):
        assert reason_of(policy, password) is None, password


def test_the_shipped_blocklist_holds_at_least_the_top_three_thousand(policy) -> None:
    assert len(common_passwords()) >= 10_000
    for password in ("baseball", "iloveyou", "trustno1", "jennifer", "football", "starwars"):
        assert reason_of(policy, password) == "common", password


def test_common_passwords_are_refused_whatever_the_case_or_a_digit_suffix(policy) -> None:
    for password in ("Sunshine", "SUNSHINE1", "Password123!", "iloveyou2024", "!!baseball!!"):
        assert reason_of(policy, password) == "common", password
    assert reason_of(policy, "love839201748362") is None  # a short common word inside a strong password


def test_repetitive_and_sequential_strings_are_refused(policy) -> None:
    for password in ("aaaaaaaa", "abababab", "abcabcabc", "12121212", "aaaaaaab"):
        assert reason_of(policy, password) == "repetitive", password
    for password in ("abcdefgh", "98765432", "qwertyuiop", "lkjhgfdsa", "ABCDEFGHIJ", "3456789012"):
        assert reason_of(policy, password) == "sequential", password


def test_service_names_are_refused_inside_any_password(policy) -> None:
    for password in ("vneid-2024-ok", "My VNeID account", "DichVuCong!!x", "dịch vụ công 123"):
        assert reason_of(policy, password) == "context", password


def test_person_context_words_are_refused(policy) -> None:
    context = {"context_words": ("001084000123", "Nguyễn Văn An", "12031984"), "name_parts": ("Nguyễn", "Văn", "An")}
    guessable = ("x001084000123", "12/03/1984 hoa", "nguyen van an!", "NGUYEN-VAN-AN", "AnNguyen@1984", "Văn An 99!")
    for password in guessable:
        assert reason_of(policy, password, **context) == "context", password
    assert reason_of(policy, "bánh mì thịt nướng", **context) is None
    assert reason_of(policy, "banana split cake", **context) is None  # "an" inside other words is fine


def test_refusals_explain_themselves_with_a_stable_reason_code(policy) -> None:
    with pytest.raises(WeakPassword) as refused:
        policy.check("short")
    expected = {"error": "weak_password", "message": refused.value.message, "reason": "too_short"}
    assert refused.value.as_dict() == expected
    assert "8" in refused.value.message


def test_check_password_uses_the_default_policy() -> None:
    check_password(GOOD)
    with pytest.raises(WeakPassword):
        check_password("password")
