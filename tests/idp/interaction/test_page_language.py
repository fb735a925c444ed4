"""The page language before the citizen chooses one: what their browser prefers (``Accept-Language``),
when it is one we speak; Vietnamese otherwise. A choice (``?lang=``, a portal's ``ui_locales``) wins."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from tests.idp.conftest import Portal
from tests.idp.flows import start


def language_of(client: FlaskClient, path: str = "/login", **headers: str) -> str:
    return re.search(r'<html lang="([^"]+)"', client.get(path, headers=headers).text).group(1)


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("en-US,en;q=0.9", "en"),
        ("en-GB", "en"),
        ("fr-FR,fr;q=0.9,en;q=0.8", "en"),  # English is the one of ours this browser prefers
        ("vi-VN,vi;q=0.9,en-US;q=0.8,en;q=0.7", "vi"),
        ("en;q=0.5,vi", "vi"),
        ("fr-FR,fr;q=0.9", "vi"),
        ("*", "vi"),
        ("", "vi"),
    ],
)
def test_a_browser_that_prefers_english_gets_english(client: FlaskClient, accept: str, expected: str) -> None:
    assert language_of(client, **{"Accept-Language": accept}) == expected


def test_without_the_header_pages_are_vietnamese(client: FlaskClient) -> None:
    assert language_of(client) == "vi"


def test_the_citizens_choice_wins_and_is_remembered(client: FlaskClient) -> None:
    english = {"Accept-Language": "en-US,en;q=0.9"}
    assert language_of(client, "/login?lang=vi", **english) == "vi"
    assert language_of(client, "/activate", **english) == "vi"


def test_a_portals_ui_locales_wins(client: FlaskClient, portal: Portal) -> None:
    location = start(client, portal, ui_locales="vi").headers["Location"]
    assert language_of(client, location, **{"Accept-Language": "en"}) == "vi"


def test_error_pages_follow_the_browser_too(client: FlaskClient) -> None:
    assert language_of(client, "/no-such-page", **{"Accept-Language": "en"}) == "en"
