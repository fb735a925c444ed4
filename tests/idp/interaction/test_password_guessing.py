"""Guessing passwords over HTTP: the sign-in page never tells a PIN with an account from one without, in
its answer or in its work (exactly one argon2 verification on every path; ASVS 6.3.8), and the
per-account counters wait, lock at 100, ignore attempts made while waiting, follow the account whatever
spelling of its PIN was typed, and keep the one-time code apart (SECURITY.md decision 4; NIST 800-63B
§5.2.2; Keycloak #26177)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from identity import change_status, throttle
from identity.authn import find_account
from identity.models import Throttle
from identity.passwords import PasswordHasher
from identity.throttle import Factor, ThrottlePolicy, Verdict
from idp import context
from idp.context import session_factory
from tests import factories
from tests.idp.conftest import Citizen, Clock, csrf_token
from tests.idp.flows import change_account, login_form

REFUSED = "Số định danh cá nhân hoặc mật khẩu không đúng."
TYPE_ASCII_DIGITS = "Hãy nhập số định danh cá nhân chỉ bằng các chữ số từ 0 đến 9."
NOBODY = "001190000000"


class CountingHasher:
    """The app's hasher, counting the argon2 verifications a request makes."""

    def __init__(self, real: PasswordHasher) -> None:
        self.real = real
        self.verifications = 0

    def verify(self, stored_hash: str | None, password: str) -> bool:
        self.verifications += 1
        return self.real.verify(stored_hash, password)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


@pytest.fixture
def hasher(app: Flask) -> Iterator[CountingHasher]:
    real = context.hasher(app)
    counting = context.install(app, "hasher", CountingHasher(real))
    try:
        yield counting
    finally:
        context.install(app, "hasher", real)


def sign_in(client: FlaskClient, pin: str, password: str) -> TestResponse:
    _html, token, _ = login_form(client)
    return client.post("/login", data={"csrf_token": token, "pin": pin, "password": password})


def alert(response: TestResponse) -> str:
    return re.search(r'<p class="error" role="alert"[^>]*>([^<]*)</p>', response.text).group(1)


def page_of(response: TestResponse) -> str:
    """The page without what differs between any two answers: the form's token and the PIN typed back."""
    return re.sub(r'(name="(?:csrf_token|pin)"[^>]*value=")[^"]*"', r'\1"', response.text)


def answer(app: Flask, hasher: CountingHasher, pin: str, password: str) -> tuple[int, str, str, int]:
    """Status, message, page and argon2 verifications of one sign-in attempt from a new browser."""
    hasher.verifications = 0
    response = sign_in(app.test_client(), pin, password)
    return response.status_code, alert(response), page_of(response), hasher.verifications


def failures(app: Flask, pin: str, factor: Factor = Factor.PASSWORD) -> int:
    with session_factory(app)() as session:
        account = find_account(session, pin)
        assert account is not None
        row = session.get(Throttle, (account.id, factor.value))
        return row.failures if row is not None else 0


def count_failures(app: Flask, citizen: Citizen, times: int, policy: ThrottlePolicy) -> None:
    with session_factory(app)() as session:
        account = find_account(session, citizen.pin)
        assert account is not None
        for _ in range(times):
            throttle.record_failure(session, account.id, Factor.PASSWORD, policy)
        session.commit()


def _change_identity(transition: str, **extra: Any) -> Callable[[Flask, Citizen], None]:
    def change(app: Flask, citizen: Citizen) -> None:
        with session_factory(app)() as session:
            change_status(session, citizen.pin, transition, reason="test", actor="test", **extra)
            session.commit()

    return change


#: Each class of refusal, prepared on a citizen who then types their right password (except "wrong password").
REFUSALS: dict[str, Callable[[Flask, Citizen], None]] = {
    "wrong password": lambda app, citizen: None,
    "account waiting after failures": lambda app, citizen: count_failures(app, citizen, 12, ThrottlePolicy(1)),
    "account locked": lambda app, citizen: count_failures(app, citizen, 2, ThrottlePolicy(1, lock_after=2)),
    "account suspended": lambda app, citizen: change_account(app, citizen, "suspend"),
    "account revoked": lambda app, citizen: change_account(app, citizen, "revoke"),
    "identity suspended": _change_identity("suspend"),
    "identity revoked": _change_identity("revoke"),
    "identity deceased": _change_identity("deceased", died_on=dt.date(2025, 1, 1)),
}


@pytest.mark.parametrize("refusal", REFUSALS)
def test_every_refusal_looks_and_costs_like_an_unknown_pin(
    app: Flask, hasher: CountingHasher, citizen: Citizen, refusal: str
) -> None:
    unknown = answer(app, hasher, NOBODY, citizen.password)
    assert unknown[:2] == (401, REFUSED) and unknown[3] == 1
    REFUSALS[refusal](app, citizen)
    password = "not the password" if refusal == "wrong password" else citizen.password
    assert answer(app, hasher, citizen.pin, password) == unknown


@pytest.mark.parametrize(
    "typed",
    ["12345", "00119000000a", "0011900000001", "001-190-000-000"],
    ids=["too short", "a letter", "too long", "separators"],
)
def test_a_pin_of_the_wrong_shape_gets_the_same_answer_and_work(
    app: Flask, hasher: CountingHasher, citizen: Citizen, typed: str
) -> None:
    """Only what was typed decides it, but nothing is gained by answering it differently."""
    assert answer(app, hasher, typed, citizen.password) == answer(app, hasher, NOBODY, citizen.password)


def test_a_person_without_an_account_and_a_pending_account_are_unknown_pins(
    app: Flask, hasher: CountingHasher, citizen: Citizen
) -> None:
    with session_factory(app)() as session:
        person = factories.person(session, full_name="Lê Văn Tâm", birth_date="1970-01-01")
        session.commit()
        pending, _code = factories.opened_account(session, full_name="Hoàng Văn Đức", birth_date="1979-07-07")
        pins = (person.pin, pending.person.pin)
    unknown = answer(app, hasher, NOBODY, citizen.password)
    assert [answer(app, hasher, pin, citizen.password) for pin in pins] == [unknown, unknown]


def test_a_pin_typed_with_other_digits_gets_its_precise_message(
    app: Flask, hasher: CountingHasher, citizen: Citizen
) -> None:
    typed = citizen.pin.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    status, message, _page, _verifications = answer(app, hasher, typed, citizen.password)
    assert (status, message) == (400, TYPE_ASCII_DIGITS)


# -- the counters over HTTP ---------------------------------------------------------------------------


def test_a_hundred_wrong_passwords_in_a_row_lock_the_password(app: Flask, citizen: Citizen, clock: Clock) -> None:
    settings = context.settings(app)
    client = app.test_client()
    for attempt in range(1, settings.lock_after_failures + 1):
        clock.advance(16 * 60)  # past every delay, so that each attempt is counted
        refused = sign_in(client, citizen.pin, f"guess number {attempt}")
        assert (refused.status_code, alert(refused)) == (401, REFUSED)
        if attempt == settings.lock_after_failures - 1:
            assert failures(app, citizen.pin) == attempt
            with session_factory(app)() as session:
                assert throttle.locked_factors(session, find_account(session, citizen.pin).id) == []
    clock.advance(24 * 3600)
    right = sign_in(client, citizen.pin, citizen.password)
    assert (right.status_code, alert(right)) == (401, REFUSED)  # a lock does not wear off
    with session_factory(app)() as session:
        assert throttle.locked_factors(session, find_account(session, citizen.pin).id) == ["password"]


def test_attempts_while_waiting_do_not_count_and_tell_nothing(
    app: Flask, hasher: CountingHasher, citizen: Citizen, clock: Clock
) -> None:
    settings = context.settings(app)
    client = app.test_client()
    counted = settings.free_failures + 7  # the next attempt must wait 64 s
    for attempt in range(counted):
        clock.advance(16 * 60)
        sign_in(client, citizen.pin, f"guess number {attempt}")
    wrong_while_open = answer(app, hasher, NOBODY, "x")
    for password in ("yet another guess", citizen.password):
        assert answer(app, hasher, citizen.pin, password) == wrong_while_open
    assert failures(app, citizen.pin) == counted
    with session_factory(app)() as session:
        assert throttle.verdict(session, find_account(session, citizen.pin).id, Factor.PASSWORD) is Verdict.WAIT
    clock.advance(65)
    assert sign_in(client, citizen.pin, citizen.password).status_code == 303
    assert failures(app, citizen.pin) == 0  # a success clears the count


def test_every_accepted_spelling_of_a_pin_counts_against_its_one_account(app: Flask, citizen: Citizen) -> None:
    """``parse_pin`` accepts the twelve ASCII digits with white space around them, nothing else."""
    client = app.test_client()
    spellings = [citizen.pin, f" {citizen.pin} ", f"\t{citizen.pin}", f"\u00a0{citizen.pin}\u3000"]
    for typed in spellings:
        assert sign_in(client, typed, "a wrong guess").status_code == 401
    assert failures(app, citizen.pin) == len(spellings)
    full_width = citizen.pin.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    refused = sign_in(client, full_width, "a wrong guess")
    assert (refused.status_code, alert(refused)) == (400, TYPE_ASCII_DIGITS)
    for other in (f"\u200b{citizen.pin}", citizen.pin[:6] + "-" + citizen.pin[6:]):
        assert sign_in(client, other, "a wrong guess").status_code == 401  # no account has that PIN
    assert failures(app, citizen.pin) == len(spellings)
    assert sign_in(client, f" {citizen.pin}\n", citizen.password).status_code == 303


def test_the_code_has_its_own_counter(app: Flask, citizen_with_app: Citizen, clock: Clock) -> None:
    """Wrong passwords do not stop the code step, and wrong codes do not stop the password."""
    settings = context.settings(app)
    citizen = citizen_with_app

    def password_step(client: FlaskClient) -> TestResponse:
        return sign_in(client, citizen.pin, citizen.password)

    def code_step(client: FlaskClient, location: str, code: str) -> TestResponse:
        html = client.get(location).text
        interaction = re.search(r'name="interaction" type="hidden" value="([^"]*)"', html).group(1)
        form = {"csrf_token": csrf_token(html), "interaction": interaction, "code": code}
        return client.post("/login/code", data=form)

    first = app.test_client()
    location = password_step(first).headers["Location"]
    attacker = app.test_client()
    for attempt in range(settings.free_failures + 1):
        sign_in(attacker, citizen.pin, f"guess number {attempt}")
    assert failures(app, citizen.pin) == settings.free_failures + 1  # the password must now wait
    assert code_step(first, location, citizen.code()).status_code == 303  # the code step goes on
    assert failures(app, citizen.pin, Factor.OTP) == 0

    clock.advance(16 * 60)
    second = app.test_client()
    location = password_step(second).headers["Location"]
    for _ in range(settings.free_failures + 1):
        assert code_step(second, location, citizen.wrong_code()).status_code == 400
    assert code_step(second, location, citizen.code()).status_code == 429  # the code must now wait ...
    assert failures(app, citizen.pin, Factor.OTP) == settings.free_failures + 1
    third = app.test_client()
    assert password_step(third).status_code == 303  # ... and the password is as good as ever
    assert failures(app, citizen.pin) == 0

