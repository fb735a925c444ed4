"""Every page a citizen can meet, in Vietnamese and in English: no serious or critical accessibility
violation (axe-core), no sideways scrolling on a 360 px phone, and screenshots at 360 and 1280 px
for the reviewers (``artifacts/screenshots/<page>-<language>-<width>.png``).

The pages are reached as a citizen reaches them, by one visit after another in one browser whose
language was chosen on the first page; the forms are found by their field names, the same in both
languages.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page

from tests.served import PASSWORD, free_port, seed

from . import chromium
from .citizen import AuthenticatorApp, first_timer, set_up_app
from .inspection import Inspector
from .portal import arrival, authorization_request, stand_in

pytestmark = chromium.MARKS

NEW_PASSWORD = "mùa thu Hà Nội lá vàng rơi"


def submit(page: Page, **fields: str) -> None:
    for name, value in fields.items():
        page.locator(f"input[name={name}]").fill(value)
    page.locator("input[type=submit].primary").click()


@pytest.mark.parametrize("language", ["vi", "en"])
def test_every_page_is_accessible_and_fits_a_phone(
    language: str, server: tuple[str, Path], provider_app: Flask, browser_page: Page
) -> None:
    issuer, log = server
    seeded = seed(provider_app, f"http://127.0.0.1:{free_port()}/callback")
    pin, activation_code = first_timer(provider_app, full_name="Lê Thị Hoa", birth_date="1992-03-14", sex="female")
    page, inspector = browser_page, Inspector(language)
    problems = chromium.console_errors(page)
    stand_in(page, seeded)

    page.goto(f"{issuer}/?lang={language}")
    inspector.inspect(page, "home")
    page.goto(f"{issuer}/forgotten")
    inspector.inspect(page, "forgotten")
    page.goto(f"{issuer}/no-such-page")
    inspector.inspect(page, "error-not-found")
    page.goto(authorization_request(issuer, seeded, redirect_uri="http://127.0.0.1:9/not-registered").url)
    inspector.inspect(page, "error-refused")

    # A first-time citizen sent by the portal: activation, the app, the recovery codes, consent.
    page.goto(authorization_request(issuer, seeded).url)
    inspector.inspect(page, "sign-in")
    page.locator("a[href*='/activate']").click()
    inspector.inspect(page, "activation")
    submit(page, pin=pin, code=activation_code, password=NEW_PASSWORD, confirm=NEW_PASSWORD)
    inspector.inspect(page, "enrolment")
    phone = AuthenticatorApp(page.locator("code.secret").get_attribute("data-secret") or "")
    submit(page, code=phone.code())
    inspector.inspect(page, "recovery-codes")
    page.locator("a.button").click()
    inspector.inspect(page, "consent")
    page.locator("input[name=allow]").click()
    arrival(page, seeded)

    # Another citizen, with an app, on the same browser once it has forgotten the first one.
    page.context.clear_cookies()
    page.goto(f"{issuer}/?lang={language}")
    phone = set_up_app(provider_app, seeded.pin)
    page.goto(authorization_request(issuer, seeded).url)
    submit(page, pin=seeded.pin, password="not the password at all")
    inspector.inspect(page, "sign-in-refused")
    submit(page, pin=seeded.pin, password=PASSWORD)
    inspector.inspect(page, "code")
    code_page = page.url
    page.locator("a[href*='/login/recovery']").click()
    inspector.inspect(page, "recovery")
    page.goto(code_page)
    submit(page, code=phone.code())
    page.locator("input[name=allow]").click()
    arrival(page, seeded)
    page.goto(f"{issuer}/")
    inspector.inspect(page, "home-signed-in")
    page.goto(authorization_request(issuer, seeded, acr_values="urn:vn:eid:acr:mfa:ial2").url)
    inspector.inspect(page, "level")

    assert inspector.failures == [], "\n".join(inspector.failures)
    assert problems == [], f"console errors (CSP?): {problems}\n{log.read_text()}"
