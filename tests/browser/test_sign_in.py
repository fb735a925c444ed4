"""Sign-in and consent in a real headless Chromium against ``idp serve``.

What only a browser shows: the CSP lets the pages work without any inline script, the CSRF check
survives ``Referrer-Policy: no-referrer`` (Chromium then sends ``Origin: null``), the redirect after
the consent POST reaches the portal (a ``form-action`` directive would block it), labels and
autocomplete attributes are what assistive tools and password managers see, and the page is
Vietnamese by default.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from tests.served import PASSWORD, free_port, seed

from . import chromium
from .portal import arrival, authorization_request, redeem, stand_in

pytestmark = chromium.MARKS


def test_citizen_signs_in_consents_and_reaches_the_portal(
    server: tuple[str, Path], provider_app: Flask, browser_page
) -> None:
    issuer, log = server
    seeded = seed(provider_app, f"http://127.0.0.1:{free_port()}/callback")
    page = browser_page
    problems = chromium.console_errors(page)
    stand_in(page, seeded)
    request = authorization_request(issuer, seeded)

    page.goto(request.url)
    assert page.locator("html").get_attribute("lang") == "vi"
    assert page.get_by_role("heading", level=1).inner_text() == "Đăng nhập"
    pin = page.get_by_label("Số định danh cá nhân")
    assert pin.get_attribute("autocomplete") == "username"
    assert page.get_by_label("Mật khẩu").get_attribute("autocomplete") == "current-password"
    pin.fill(seeded.pin)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()

    page.get_by_role("button", name="Đồng ý").click()
    redeem(issuer, seeded, request, arrival(page, seeded))
    assert problems == [], f"console errors (CSP?): {problems}\n{log.read_text()}"


def test_a_wrong_password_is_announced_and_english_is_one_click_away(
    server: tuple[str, Path], provider_app: Flask, browser_page
) -> None:
    issuer, _log = server
    seeded = seed(provider_app, f"http://127.0.0.1:{free_port()}/callback")
    page = browser_page
    page.goto(authorization_request(issuer, seeded).url)
    page.get_by_role("link", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_label("Personal identification number").fill(seeded.pin)
    page.get_by_label("Password").fill("not the password at all")
    page.get_by_role("button", name="Sign in").click()
    alert = page.get_by_role("alert")
    assert alert.inner_text() == "The personal identification number or the password is not correct."
