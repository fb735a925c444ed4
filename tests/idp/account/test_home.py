"""The citizen's home: ``/`` (and ``/account``) for the signed-in citizen, the sign-in page for everyone
else; what the register holds about them, in Vietnamese by default and in English, every word translated."""

from __future__ import annotations

import datetime as dt
import re

from flask import Flask
from flask.testing import FlaskClient

from identity import bind_card, verify_in_person
from idp.context import session_factory
from tests.idp.account.conftest import account_page, signed_in, to_sign_in
from tests.idp.conftest import Citizen, Portal, make_citizen
from tests.idp.flows import login_form, start

CARD_ISSUED_ON = dt.date(2021, 6, 1)


def with_card(app: Flask, citizen: Citizen, *, verified: bool = False) -> None:
    with session_factory(app)() as session:
        bind_card(session, citizen.pin, issued_on=CARD_ISSUED_ON, actor="registrar:test")
        if verified:
            verify_in_person(session, citizen.pin, card_number=citizen.pin, actor="registrar:test")
        session.commit()


def visible_text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


def test_signed_out_the_home_page_is_the_sign_in_page(client: FlaskClient) -> None:
    assert to_sign_in(client.get("/"))
    assert to_sign_in(client.get(client.get("/account").headers["Location"]))


def test_a_citizen_sent_by_a_portal_keeps_their_way_and_language(client: FlaskClient, portal: Portal) -> None:
    _html, _token, interaction = login_form(client, start(client, portal).headers["Location"])
    response = client.get(f"/?interaction={interaction}&lang=en")
    assert to_sign_in(response)
    assert response.headers["Location"] == f"/login?interaction={interaction}&lang=en"
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'name="interaction" type="hidden" value="{interaction}"' in html
    assert '<html lang="en">' in html


def test_account_is_the_same_page(app: Flask, citizen: Citizen) -> None:
    browser = signed_in(app, citizen)
    response = browser.get("/account?lang=en")
    assert response.status_code == 303 and response.headers["Location"] == "/?lang=en"
    assert "Your account" in browser.get(response.headers["Location"]).get_data(as_text=True)


def test_the_page_shows_what_the_register_holds_with_the_pin_masked(app: Flask, citizen: Citizen) -> None:
    with_card(app, citizen)
    html = account_page(signed_in(app, citizen))
    assert "Nguyễn Thị Mai" in html
    assert citizen.pin not in html  # neither as the PIN nor as the card number
    assert html.count("••••••••" + citizen.pin[-4:]) == 2
    assert 'datetime="2021-06-01"' in html and "Jun 1, 2021" in html
    assert "Valid until" in html or "Does not expire" in html


def test_a_citizen_without_a_card_is_told_so(app: Flask, citizen: Citizen) -> None:
    assert "No valid card is recorded." in account_page(signed_in(app, citizen))


def test_level_1_says_what_it_means_and_how_to_reach_level_2(app: Flask, citizen: Citizen) -> None:
    html = account_page(signed_in(app, citizen))
    assert "Level 1: your account was activated online" in html
    assert "visit a registrar with your citizen identity card" in html


def test_level_2_says_who_checked_it(app: Flask) -> None:
    citizen = make_citizen(app, with_app=True, full_name="Đỗ Văn Hùng", birth_date="1975-01-02", sex="male")
    with_card(app, citizen, verified=True)
    html = account_page(signed_in(app, citizen))
    assert "Level 2: a registrar checked your identity in person" in html
    assert "Level 1" not in html
    assert "A registrar checked your identity in person: your account is at level 2." in html  # the event


def test_vietnamese_by_default_with_every_word_from_the_catalogue(app: Flask, citizen: Citizen) -> None:
    with_card(app, citizen)
    browser = signed_in(app, citizen)
    html = browser.get("/").get_data(as_text=True)
    assert '<html lang="vi">' in html
    assert "Tài khoản của bạn" in html
    text = visible_text(html)
    for english in ("Your", "Sign", "Password", "Level", "Issued", "Valid", "Last active", "With the", "network"):
        assert english not in text, english
    assert re.search(r"thg \d+, \d{4}", text)  # dates in Vietnamese


def test_times_are_shown_in_vietnam_time(app: Flask, citizen: Citizen) -> None:
    html = account_page(signed_in(app, citizen))
    moment = re.search(r'<time datetime="([^"]+T[^"]+)">[^<]*, (\d+):(\d\d)\s([AP]M)</time>', html)
    utc = dt.datetime.fromisoformat(moment.group(1))
    shown = int(moment.group(2)) % 12 + (12 if moment.group(4) == "PM" else 0)
    assert shown == (utc + dt.timedelta(hours=7)).hour
