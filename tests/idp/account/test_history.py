"""The citizen's own sign-ins and the other events about them, in plain translated sentences: the portal
by name, the outcome and its reason, the place only as a network, never an address; an action the page
does not know gets a general sentence, never the register's English."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from identity import audit
from idp.account.places import network_of
from idp.context import session_factory
from tests.idp.account.conftest import account_page, signed_in
from tests.idp.conftest import Citizen, Clock, Portal, csrf_token, make_citizen
from tests.idp.flows import login_form, start


def sign_ins(html: str) -> list[str]:
    """Each sign-in line as its visible text without its time, newest first."""
    section = re.sub(r"<time[^>]*>[^<]*</time>", "", html.split('id="sign-ins"')[1].split("</section>", maxsplit=1)[0])
    items = re.findall(r'<li class="(?:ok|failed)">(.*?)</li>', section, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in items]


def events(html: str) -> list[str]:
    section = html.split('id="events"')[1].split("</section>", maxsplit=1)[0]
    return [re.sub(r"<time[^>]*>[^<]*</time><br>", "", item) for item in re.findall(r"<li>(.*?)</li>", section, re.S)]


def wrong_password(app: Flask, citizen: Citizen, address: str, *, portal: Portal | None = None) -> None:
    stranger = app.test_client()
    stranger.environ_base["REMOTE_ADDR"] = address
    location = start(stranger, portal).headers["Location"] if portal else "/login"
    _html, token, interaction = login_form(stranger, location)
    form = {"csrf_token": token, "interaction": interaction, "pin": citizen.pin, "password": "not the password"}
    assert stranger.post("/login", data=form).status_code == 401


@pytest.mark.parametrize(
    ("address", "network"),
    [
        ("203.113.5.77", "203.113.5.x"),
        ("10.0.0.1", "10.0.0.x"),
        ("2001:db8:1234:5678::1", "2001:db8:1234::/48"),
        ("::ffff:203.113.5.77", "203.113.5.x"),
        ("", None),
        (None, None),
        ("not an address", None),
    ],
)
def test_a_place_is_the_network_never_the_address(address: str | None, network: str | None) -> None:
    assert network_of(address) == network


def test_failed_and_successful_sign_ins_with_their_portal_and_network(
    app: Flask, portal: Portal, citizen: Citizen
) -> None:
    wrong_password(app, citizen, "203.113.5.77", portal=portal)
    wrong_password(app, citizen, "2001:db8:1234:5678::1")
    html = account_page(signed_in(app, citizen, address="198.51.100.23"))
    assert sign_ins(html) == [
        "Password correct On this service From network 198.51.100.x",
        "Wrong password On this service From network 2001:db8:1234::/48",
        "Wrong password For Cổng dịch vụ công Hà Nội From network 203.113.5.x",
    ]
    for address in ("203.113.5.77", "2001:db8:1234:5678::1", "198.51.100.23"):
        assert address not in html


def test_a_refusal_says_why_in_plain_words(app: Flask, citizen_with_app: Citizen) -> None:
    browser = signed_in(app, citizen_with_app)
    stranger = app.test_client()
    _html, token, _ = login_form(stranger)
    form = {"csrf_token": token, "pin": citizen_with_app.pin, "password": citizen_with_app.password}
    location = stranger.post("/login", data=form).headers["Location"]
    html = stranger.get(location).get_data(as_text=True)
    stranger.post("/login/code", data={"csrf_token": csrf_token(html), "code": citizen_with_app.wrong_code()})
    lines = sign_ins(account_page(browser))
    assert "Wrong code from the app" in lines[0]
    assert "Password correct" in lines[1]


def test_an_attempt_refused_while_the_account_must_wait_is_named(
    app: Flask,
    citizen: Citizen,
    settings,
    clock: Clock,  # type: ignore[no-untyped-def]
) -> None:
    for _ in range(settings.free_failures + 2):  # the last one comes before the wait is over
        wrong_password(app, citizen, "203.113.5.77")
    clock.advance(5)
    lines = sign_ins(account_page(signed_in(app, citizen)))
    assert "Refused without checking: too many wrong attempts just before" in lines[1]
    assert all("Wrong password" in line for line in lines[2:])


def test_the_events_about_the_citizen_are_sentences(app: Flask, citizen: Citizen) -> None:
    lines = events(account_page(signed_in(app, citizen)))
    assert lines == [
        "You signed in with your password.",
        "You activated your account.",
        "A registrar opened your e-ID account.",
        "Your personal identification number was issued.",
    ]


def test_a_sign_in_with_a_code_says_so(app: Flask, citizen_with_app: Citizen) -> None:
    assert events(account_page(signed_in(app, citizen_with_app)))[0] == "You signed in with your password and a code."


def test_an_event_the_page_does_not_know_gets_a_general_sentence(app: Flask, citizen: Citizen) -> None:
    browser = signed_in(app, citizen)
    with session_factory(app)() as session:
        event = audit.Event("account.something_new", "test", f"person:{citizen.person_id}", "an English reason")
        audit.record(session, event)
        session.commit()
    for lang, sentence in (("en", "A change to your account was recorded."), ("vi", "Một thay đổi")):
        html = account_page(browser, lang)
        assert events(html)[0].startswith(sentence)
        assert "something_new" not in html and "an English reason" not in html


def test_nobody_elses_events_or_sign_ins_are_shown(app: Flask, citizen: Citizen) -> None:
    other = make_citizen(app, full_name="Lê Văn Tám", birth_date="1970-07-07", sex="male")
    wrong_password(app, other, "203.113.5.77")
    signed_in(app, other)
    html = account_page(signed_in(app, citizen))
    assert len(sign_ins(html)) == 1
    assert "203.113.5" not in html
    assert events(html).count("You signed in with your password.") == 1
