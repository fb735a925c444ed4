"""Languages: Vietnamese by default, English on request through ui_locales or the language switch,
remembered for the rest of the visit (OIDC Core 3.1.2.1 ui_locales; conformance oidcc-ui-locales)."""

from __future__ import annotations

import re
from importlib import resources

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient

from idp.context import session_factory
from tests import factories
from tests.idp.conftest import Citizen, Portal, csrf_token, register_portal
from tests.idp.flows import login_form, sign_in_directly, start

VIETNAMESE_SIGN_IN = "Đăng nhập"
ENGLISH_SIGN_IN = "Sign in"


def page_language(html: str) -> str:
    return re.search(r'<html lang="([^"]+)"', html).group(1)


def login_page(client: FlaskClient, portal: Portal, **params: str) -> str:
    html, _token, _ = login_form(client, start(client, portal, **params).headers["Location"])
    return html


def test_pages_are_vietnamese_by_default(client: FlaskClient, portal: Portal) -> None:
    html = login_page(client, portal)
    assert page_language(html) == "vi"
    assert VIETNAMESE_SIGN_IN in html
    assert "Personal identification number" not in html


@pytest.mark.parametrize("ui_locales", ["en", "en-GB", "fr-FR en", "EN"])
def test_ui_locales_asks_for_english(client: FlaskClient, portal: Portal, ui_locales: str) -> None:
    html = login_page(client, portal, ui_locales=ui_locales)
    assert page_language(html) == "en"
    assert ENGLISH_SIGN_IN in html
    assert "Personal identification number" in html


@pytest.mark.parametrize("ui_locales", ["fr", "zz", "", "vi-VN"])
def test_languages_we_do_not_speak_fall_back_to_vietnamese(
    client: FlaskClient, portal: Portal, ui_locales: str
) -> None:
    assert page_language(login_page(client, portal, ui_locales=ui_locales)) == "vi"


def test_the_language_switch_is_remembered(client: FlaskClient) -> None:
    assert page_language(client.get("/login?lang=en").get_data(as_text=True)) == "en"
    assert page_language(client.get("/activate").get_data(as_text=True)) == "en"
    assert page_language(client.get("/login?lang=vi").get_data(as_text=True)) == "vi"
    assert page_language(client.get("/login?lang=xx").get_data(as_text=True)) == "vi"


def test_the_sign_in_failure_is_translated(client: FlaskClient, portal: Portal) -> None:
    for lang, expected in (
        ("vi", "Số định danh cá nhân hoặc mật khẩu không đúng."),
        ("en", "The personal identification number or the password is not correct."),
    ):
        _html, token, _ = login_form(client, f"/login?lang={lang}")
        response = client.post("/login", data={"csrf_token": token, "pin": "001190000000", "password": "x" * 12})
        assert expected in response.get_data(as_text=True)


def test_the_consent_page_speaks_the_requested_language(app: Flask, client: FlaskClient, citizen: Citizen) -> None:
    third_party = register_portal(app, name="Cổng bên thứ ba")
    sign_in_directly(client, citizen)
    english = client.get(start(client, third_party, ui_locales="en").headers["Location"]).get_data(as_text=True)
    assert "Allow" in english
    vietnamese = client.get(start(client, third_party, ui_locales="vi").headers["Location"]).get_data(as_text=True)
    assert "Đồng ý" in vietnamese
    assert "Từ chối" in vietnamese


def vietnamese_catalogue() -> dict[str, str]:
    with (resources.files("idp") / "translations" / "vi" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return {message.id: message.string for message in read_po(handle, locale="vi") if message.id}


def marked_strings() -> set[str]:
    """Every string the code and the templates mark for translation (what ``pybabel extract`` would find)."""
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    method_map = [
        ("**/migrations/**", "ignore"),
        ("**.py", "python"),
        ("**/templates/**.html", "jinja2.ext:babel_extract"),
    ]
    found = extract_from_dir(str(resources.files("idp")), method_map=method_map, keywords=keywords)
    return {message if isinstance(message, str) else message[0] for _file, _line, message, _, _ in found}


def test_every_message_of_the_vietnamese_catalogue_is_translated() -> None:
    untranslated = [msgid for msgid, text in vietnamese_catalogue().items() if not text]
    assert untranslated == []


def test_every_marked_string_is_in_the_catalogue_and_nothing_else() -> None:
    """A page can only be Vietnamese if every word on it is in the catalogue; an entry nothing uses is dead."""
    marked, catalogue = marked_strings(), set(vietnamese_catalogue())
    assert sorted(marked - catalogue) == []
    assert sorted(catalogue - marked) == []


def test_every_page_string_has_a_vietnamese_translation(client: FlaskClient, portal: Portal) -> None:
    """English words left on a Vietnamese page mean a string was not marked or not translated."""
    for path in ("/login", "/activate"):
        html = client.get(path + "?lang=vi").get_data(as_text=True)
        visible = re.sub(r"<[^>]+>", " ", html)
        for english in ("Sign in", "Password", "Activate", "Please", "First time"):
            assert english not in visible, (path, english)


@pytest.mark.parametrize(
    ("code", "password", "english"),
    [
        ("WRONG-CODE", "trăng rằm tháng tám sáng tỏ", "do not match an account awaiting activation"),
        (None, "short", "characters"),
        (None, "password123", "common"),
        (None, "12345678901", "consecutive"),
    ],
    ids=["wrong code", "too short", "common", "sequential"],
)
def test_activation_errors_speak_the_page_language(
    app: Flask, client: FlaskClient, code: str | None, password: str, english: str
) -> None:
    with session_factory(app)() as session:
        account, real_code = factories.opened_account(session, full_name="Lý Thị Nga", birth_date="1983-03-03")
        pin = account.person.pin
    for lang in ("vi", "en"):
        html = client.get(f"/activate?lang={lang}").get_data(as_text=True)
        form = {"csrf_token": csrf_token(html), "pin": pin, "code": code or real_code}
        response = client.post("/activate", data={**form, "password": password, "confirm": password})
        assert response.status_code == 400
        message = re.search(r'<p class="error" role="alert"[^>]*>([^<]*)</p>', response.get_data(as_text=True)).group(1)
        assert (english in message) == (lang == "en"), (lang, message)


def test_switching_language_after_a_wrong_password_keeps_the_portals_request(
    client: FlaskClient, portal: Portal, citizen: Citizen
) -> None:
    """The page answering a POST has the request's id only in the form; the switch must carry it on."""
    _html, token, interaction = login_form(client, start(client, portal).headers["Location"])
    refused = client.post(
        "/login", data={"csrf_token": token, "interaction": interaction, "pin": citizen.pin, "password": "wrong one!"}
    ).get_data(as_text=True)
    switch = re.search(r'<a lang="en" hreflang="en" href="([^"]+)"', refused).group(1).replace("&amp;", "&")
    assert f"interaction={interaction}" in switch
