"""The second factor in a real Chromium against ``idp serve``, in Vietnamese as a citizen sees it.

What only a browser shows: the secret and the recovery codes are on the page where a person reads them,
the pending sign-in cookie and the redirects between the steps (activation, enrolment, recovery codes,
consent) carry the portal's request all the way back to it, and a portal asking for more of a signed-in
citizen gets a page with the code field and no password field.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from playwright.sync_api import Page, expect

from tests.served import PASSWORD, free_port, seed

from . import chromium
from .citizen import AuthenticatorApp, first_timer, set_up_app
from .portal import arrival, authorization_request, redeem, stand_in

pytestmark = chromium.MARKS

MFA = "urn:vn:eid:acr:mfa"
NEW_PASSWORD = "mùa thu Hà Nội lá vàng rơi"


def heading(page: Page, text: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(text)


def sign_in_with_password(page: Page, pin: str, password: str) -> None:
    heading(page, "Đăng nhập")
    page.get_by_label("Số định danh cá nhân").fill(pin)
    page.get_by_label("Mật khẩu", exact=True).fill(password)
    page.get_by_role("button", name="Đăng nhập").click()


def type_the_code(page: Page, phone: AuthenticatorApp) -> None:
    page.get_by_label("Mã trên ứng dụng").fill(phone.code())
    page.get_by_role("button", name="Tiếp tục").click()


def test_a_first_time_citizen_activates_sets_up_an_app_and_later_signs_in_with_it(
    server: tuple[str, Path], provider_app: Flask, browser_page: Page
) -> None:
    issuer, log = server
    seeded = seed(provider_app, f"http://127.0.0.1:{free_port()}/callback")
    pin, activation_code = first_timer(provider_app, full_name="Lê Thị Hoa", birth_date="1992-03-14", sex="female")
    page = browser_page
    problems = chromium.console_errors(page)
    stand_in(page, seeded)

    # Sent by the portal, the citizen has no password yet: the sign-in page leads to activation.
    first = authorization_request(issuer, seeded)
    page.goto(first.url)
    page.get_by_role("link", name="Lần đầu sử dụng? Hãy kích hoạt tài khoản bằng mã do cán bộ đăng ký cấp.").click()
    page.get_by_label("Số định danh cá nhân").fill(pin)
    page.get_by_label("Mã kích hoạt").fill(activation_code)
    page.get_by_label("Mật khẩu mới", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Nhập lại mật khẩu mới").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Kích hoạt tài khoản").click()

    expect(page.get_by_role("status")).to_have_text("Tài khoản của bạn đã được kích hoạt.")
    heading(page, "Cài đặt ứng dụng xác thực")
    assert page.locator("input[type=password]").count() == 0  # the password was given a moment ago
    phone = AuthenticatorApp(page.locator("code.secret").get_attribute("data-secret") or "")
    page.get_by_label("Mã trên ứng dụng").fill(phone.code())
    page.get_by_role("button", name="Xác nhận").click()

    heading(page, "Mã khôi phục của bạn")
    recovery_codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(set(recovery_codes)) == 10
    page.get_by_role("link", name="Tiếp tục").click()
    page.get_by_role("button", name="Đồng ý").click()
    claims = redeem(issuer, seeded, first, arrival(page, seeded))
    assert (claims["acr"], claims["amr"]) == (MFA, ["pwd", "otp", "mfa"])

    # Signing out: the browser forgets every cookie, so the next visit finds no session on it.
    page.context.clear_cookies()
    again = authorization_request(issuer, seeded)
    page.goto(again.url)
    sign_in_with_password(page, pin, NEW_PASSWORD)
    heading(page, "Mã dùng một lần")
    type_the_code(page, phone)
    claims = redeem(issuer, seeded, again, arrival(page, seeded))  # consent was given the first time
    assert (claims["acr"], claims["amr"]) == (MFA, ["pwd", "otp", "mfa"])
    assert problems == [], f"console errors (CSP?): {problems}\n{log.read_text()}"


def test_a_portal_asking_for_a_code_of_a_citizen_signed_in_with_a_password_gets_only_the_code_step(
    server: tuple[str, Path], provider_app: Flask, browser_page: Page
) -> None:
    issuer, _log = server
    seeded = seed(provider_app, f"http://127.0.0.1:{free_port()}/callback")
    page = browser_page
    stand_in(page, seeded)
    first = authorization_request(issuer, seeded)
    page.goto(first.url)
    sign_in_with_password(page, seeded.pin, PASSWORD)  # no app yet: the password is the whole sign-in
    page.get_by_role("button", name="Đồng ý").click()
    assert redeem(issuer, seeded, first, arrival(page, seeded))["acr"] == "urn:vn:eid:acr:pwd"
    phone = set_up_app(provider_app, seeded.pin)

    stepped_up = authorization_request(issuer, seeded, acr_values=MFA)
    page.goto(stepped_up.url)
    heading(page, "Mã dùng một lần")
    assert page.locator("input[type=password]").count() == 0
    type_the_code(page, phone)
    claims = redeem(issuer, seeded, stepped_up, arrival(page, seeded))
    assert (claims["acr"], claims["amr"]) == (MFA, ["pwd", "otp", "mfa"])
