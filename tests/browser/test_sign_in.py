"""Sign-in and consent in a real headless Chromium against ``idp serve``.

What only a browser shows: the CSP lets the pages work without any inline script, the CSRF check
survives ``Referrer-Policy: no-referrer`` (Chromium then sends ``Origin: null``), the redirect after
the consent POST reaches the portal (a ``form-action`` directive would block it), labels and
autocomplete attributes are what assistive tools and password managers see, and a citizen's
Vietnamese browser gets Vietnamese pages.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from flask import Flask
from playwright import sync_api as playwright_api

from tests.served import PASSWORD, Seeded, free_port, seed

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
#: Flags for a sandboxed machine with no outside network (see the machine notes in the README).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.slow,
    # On a developer's machine without Chromium the browser tests are skipped; CI installs it, so never there.
    pytest.mark.skipif(
        not Path(CHROMIUM).exists() and not os.environ.get("CI"), reason="Debian's chromium package is not installed"
    ),
]


@pytest.fixture
def browser_page() -> Iterator[object]:
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(locale="vi-VN")  # a citizen's browser: Accept-Language chooses the page language
        try:
            yield page
        finally:
            browser.close()


def _authorization_url(issuer: str, seeded: Seeded) -> tuple[str, str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    state = secrets.token_urlsafe(12)
    params = {
        "response_type": "code",
        "client_id": seeded.client_id,
        "redirect_uri": seeded.redirect_uri,
        "scope": "openid profile",
        "state": state,
        "nonce": secrets.token_urlsafe(12),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    return f"{issuer}/authorize?{urlencode(params)}", verifier, state


def test_citizen_signs_in_consents_and_reaches_the_portal(
    server: tuple[str, Path], provider_app: Flask, browser_page
) -> None:
    issuer, log = server
    seeded = seed(provider_app, f"http://127.0.0.1:{free_port()}/callback")
    page = browser_page
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.route(f"{seeded.redirect_uri}**", lambda route: route.fulfill(status=200, body="portal"))
    url, verifier, state = _authorization_url(issuer, seeded)

    page.goto(url)
    assert page.locator("html").get_attribute("lang") == "vi"
    assert page.get_by_role("heading", level=1).inner_text() == "Đăng nhập"
    pin = page.get_by_label("Số định danh cá nhân")
    assert pin.get_attribute("autocomplete") == "username"
    assert page.get_by_label("Mật khẩu").get_attribute("autocomplete") == "current-password"
    pin.fill(seeded.pin)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()

    page.get_by_role("button", name="Đồng ý").click()
    page.wait_for_url(f"{seeded.redirect_uri}**")

    query = {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}
    assert query["state"] == state
    assert query["iss"] == issuer
    token = requests.post(
        f"{issuer}/token",
        data={
            "grant_type": "authorization_code",
            "code": query["code"],
            "redirect_uri": seeded.redirect_uri,
            "code_verifier": verifier,
        },
        auth=(seeded.client_id, seeded.secret),
        timeout=10,
    )
    assert token.status_code == 200, token.text
    assert problems == [], f"console errors (CSP?): {problems}\n{log.read_text()}"


def test_a_wrong_password_is_announced_and_english_is_one_click_away(
    server: tuple[str, Path], provider_app: Flask, browser_page
) -> None:
    issuer, _log = server
    seeded = seed(provider_app, f"http://127.0.0.1:{free_port()}/callback")
    page = browser_page
    url, _verifier, _state = _authorization_url(issuer, seeded)
    page.goto(url)
    page.get_by_role("link", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_label("Personal identification number").fill(seeded.pin)
    page.get_by_label("Password").fill("not the password at all")
    page.get_by_role("button", name="Sign in").click()
    alert = page.get_by_role("alert")
    assert alert.inner_text() == "The personal identification number or the password is not correct."
