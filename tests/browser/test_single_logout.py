"""Single sign-on and single logout in a real Chromium: ``idp serve`` and two reference portals
(``python -m portal``) in their own processes, a citizen without an authenticator app, one browser.

The citizen signs in at the national portal with the password alone (``acr`` pwd), is signed in at the
provincial portal without a password, and opens its sensitive service (``acr`` mfa): the portal sends the
citizen back to the provider, which asks for the second factor without the password again. With no app
yet, that is setting one up (the QR code page, its secret typed into the app, the app's first code), then
the recovery codes, and the service opens with mfa. Then the citizen signs out at the national portal:
RP-initiated logout brings the browser back there signed out, the provider's back-channel logout token
signs the provincial portal out within a few seconds, and the provider asks for a sign-in again.

Every page on the way is checked as in ``test_every_page`` (Vietnamese, axe-core, a phone's width) and
kept as screenshots ``artifacts/screenshots/single-logout-<step>-vi-<width>.png``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests.idp.conftest import make_citizen
from tests.idp.interaction.test_error_pages import LIBRARY_ENGLISH
from tests.portal.served import Portal, new_portal

from . import chromium
from .citizen import AuthenticatorApp
from .inspection import Inspector

pytestmark = chromium.MARKS

NATIONAL = "Cổng Dịch vụ công quốc gia"
PROVINCIAL = "Cổng Dịch vụ công tỉnh Hải Dương"
FULL_NAME = "Phạm Thị Lan"
PASSWORD_ONLY = "urn:vn:eid:acr:pwd"
MFA = "urn:vn:eid:acr:mfa"
#: The logout worker inside ``idp serve`` delivers every ~2 s; a first failed delivery is retried after ~5 s.
BACK_CHANNEL_SECONDS = 15


@pytest.fixture
def portals(server: tuple[str, Path], provider_app: Flask, tmp_path: Path) -> Iterator[tuple[Portal, Portal]]:
    """The national and the provincial portal, registered with the provider (consent asked, back channel)."""
    issuer, _log = server
    made: list[Portal] = []
    try:
        for name in (NATIONAL, PROVINCIAL):
            made.append(new_portal(name, issuer, tmp_path).register(provider_app))
            made[-1].start()
        yield made[0], made[1]
    finally:
        for portal in made:
            portal.stop()


class Walk:
    """The citizen's pages in order: each checked (Vietnamese, no library English, axe, width) and kept."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.inspector = Inspector("vi")
        self.steps = 0

    def see(self, name: str) -> None:
        self.steps += 1
        self.inspector.inspect(self.page, f"single-logout-{self.steps:02d}-{name}")
        visible = self.page.locator("body").inner_text()
        for english in LIBRARY_ENGLISH:
            assert english not in visible, f"{name}: {english!r} on the page at {self.page.url}"


def heading(page: Page, text: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(text)


def signed_in_at(page: Page, portal: Portal) -> None:
    expect(page).to_have_url(f"{portal.url}/")
    expect(page.locator("header .brand")).to_have_text(portal.name)
    heading(page, f"Xin chào, {FULL_NAME}")


def signed_out_at(page: Page, portal: Portal) -> None:
    heading(page, portal.name)
    expect(page.get_by_role("link", name="Đăng nhập bằng định danh điện tử quốc gia")).to_be_visible()


def claim(page: Page, name: str) -> str:
    return page.locator("table.claims tr", has=page.locator(f"th code:text-is('{name}')")).locator("td").inner_text()


def acr(page: Page) -> str:
    """The ``acr`` value alone (its cell also has the level in words)."""
    return page.locator("table.claims tr", has=page.locator("th code:text-is('acr')")).locator("td code").inner_text()


def consent(page: Page, walk: Walk, portal: Portal, step: str) -> None:
    heading(page, f"{portal.name} yêu cầu thông tin của bạn")
    assert page.locator("input[type=password]").count() == 0
    walk.see(step)
    page.get_by_role("button", name="Đồng ý").click()


def signed_out_within(page: Page, portal: Portal, seconds: float) -> None:
    """Reload the portal's home page until it shows the citizen signed out (back-channel delivery is
    asynchronous)."""
    deadline = time.monotonic() + seconds
    while True:
        page.goto(f"{portal.url}/")
        if page.get_by_role("link", name="Đăng nhập bằng định danh điện tử quốc gia").count():
            return
        if time.monotonic() > deadline:
            pytest.fail(f"{portal.name} still shows the citizen signed in after {seconds} s:\n{portal.log.read_text()}")
        time.sleep(0.5)


def test_one_sign_in_for_both_portals_and_one_sign_out_for_all(
    server: tuple[str, Path], provider_app: Flask, portals: tuple[Portal, Portal], browser_page: Page
) -> None:
    issuer, log = server
    national, provincial = portals
    citizen = make_citizen(provider_app, full_name=FULL_NAME, birth_date="1987-06-21", sex="female")  # no app
    page, walk = browser_page, Walk(browser_page)
    problems = chromium.console_errors(page)

    # 1. The national portal sends the citizen to the provider: PIN and password (no app, nothing asks for
    #    a code), consent; the ID token says password only.
    page.goto(f"{national.url}/")
    signed_out_at(page, national)
    walk.see("national-portal")
    page.get_by_role("link", name="Đăng nhập bằng định danh điện tử quốc gia").click()
    heading(page, "Đăng nhập")
    assert page.url.startswith(f"{issuer}/")
    walk.see("sign-in")
    page.get_by_label("Số định danh cá nhân").fill(citizen.pin)
    page.get_by_label("Mật khẩu", exact=True).fill(citizen.password)
    page.get_by_role("button", name="Đăng nhập").click()
    consent(page, walk, national, "consent-national")
    signed_in_at(page, national)
    assert claim(page, "name") == FULL_NAME
    assert claim(page, "birthdate") == "1987-06-21"
    assert acr(page) == PASSWORD_ONLY
    walk.see("national-signed-in")

    # 2. The provincial portal: the provider's session signs the citizen in without a password (one consent),
    #    at the session's level: password only.
    page.goto(f"{provincial.url}/")
    signed_out_at(page, provincial)
    page.get_by_role("link", name="Đăng nhập bằng định danh điện tử quốc gia").click()
    consent(page, walk, provincial, "consent-provincial")
    signed_in_at(page, provincial)
    assert claim(page, "name") == FULL_NAME
    assert acr(page) == PASSWORD_ONLY
    walk.see("provincial-signed-in")

    # 3. Its sensitive service needs mfa: the portal asks the provider for it (acr_values), and the provider
    #    asks the signed-in citizen for the second factor only. Without an app that is setting one up: the
    #    QR code and the secret to type (no password: it was given a few minutes ago, and no "later": the
    #    portal needs the code), the app's first code, the recovery codes, and back to the service.
    page.get_by_role("link", name="Dịch vụ cần bảo mật cao").click()
    heading(page, "Cài đặt ứng dụng xác thực")
    assert page.url.startswith(f"{issuer}/"), page.url
    assert page.locator("input[type=password]").count() == 0
    assert page.locator("form[action$='/otp/later']").count() == 0
    expect(page.locator(".qr svg")).to_be_visible()
    walk.see("enrol")
    phone = AuthenticatorApp(page.locator("code.secret").get_attribute("data-secret") or "")
    assert phone.secret, "the secret to type is not on the page"
    page.get_by_label("Mã trên ứng dụng").fill(phone.code())
    page.get_by_role("button", name="Xác nhận").click()
    heading(page, "Mã khôi phục của bạn")
    assert len(set(page.locator(".recovery-codes code").all_inner_texts())) == 10
    walk.see("recovery-codes")
    page.get_by_role("link", name="Tiếp tục").click()  # consent was given in step 2
    expect(page).to_have_url(f"{provincial.url}/sensitive")
    heading(page, "Dịch vụ cần bảo mật cao")
    expect(page.locator("main")).to_contain_text(MFA)
    walk.see("provincial-sensitive")
    page.goto(f"{provincial.url}/")
    signed_in_at(page, provincial)
    assert acr(page) == MFA

    # 4. Signing out at the national portal signs the citizen out everywhere.
    page.goto(f"{national.url}/")
    signed_in_at(page, national)
    page.get_by_role("button", name="Đăng xuất").click()
    expect(page.get_by_role("status")).to_have_text("Bạn đã đăng xuất.")
    assert page.url.startswith(f"{national.url}/"), page.url
    signed_out_at(page, national)
    walk.see("national-signed-out")
    signed_out_within(page, provincial, BACK_CHANNEL_SECONDS)
    assert "back-channel logout: sid=" in provincial.log.read_text()
    signed_out_at(page, provincial)
    walk.see("provincial-signed-out")
    page.goto(f"{issuer}/")
    heading(page, "Đăng nhập")
    walk.see("provider-signed-out")

    assert walk.inspector.failures == [], "\n".join(walk.inspector.failures)
    assert problems == [], f"console errors (CSP?): {problems}\n{log.read_text()}"
