"""The sensitive service: open only to a sign-in with ``acr`` mfa or higher; a weaker one is stepped up at the
provider with ``acr_values`` (never ``prompt=login``: the provider asks only for the missing code)."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.portal.conftest import query, sign_in
from tests.portal.fake_provider import FakeProvider

MFA = "urn:vn:eid:acr:mfa"


def test_a_signed_out_visitor_is_sent_to_sign_in_with_mfa(portal: FlaskClient, fake: FakeProvider) -> None:
    response = portal.get("/sensitive")
    assert response.status_code == 302
    params = query(response.headers["Location"])
    assert params["acr_values"] == MFA
    assert "prompt" not in params


def test_a_password_sign_in_is_stepped_up_and_the_page_opens_with_mfa(portal: FlaskClient, fake: FakeProvider) -> None:
    sign_in(portal, fake)
    step_up = portal.get("/sensitive")
    assert step_up.status_code == 302
    params = query(step_up.headers["Location"])
    assert params["acr_values"] == MFA
    assert "prompt" not in params and "max_age" not in params
    fake.answer_code(params["nonce"], acr=MFA, amr=["pwd", "otp", "mfa"], sid="provider-session-2")
    back = portal.get(f"/callback?code=c2&state={params['state']}&iss={fake.issuer}")
    assert back.status_code == 303
    assert back.headers["Location"] == "/sensitive"
    page = portal.get("/sensitive")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Dịch vụ cần bảo mật cao" in html
    assert MFA in html
    assert "Mật khẩu và mã dùng một lần" in html


def test_a_stronger_acr_opens_the_page_at_once(portal: FlaskClient, fake: FakeProvider) -> None:
    sign_in(portal, fake, acr="urn:vn:eid:acr:mfa:ial2", amr=["pwd", "otp"])
    assert portal.get("/sensitive").status_code == 200


def test_the_page_stays_closed_when_the_provider_comes_back_without_mfa(
    portal: FlaskClient, fake: FakeProvider
) -> None:
    """The ID token's acr decides, not the request: and the citizen is told, not sent round in circles."""
    sign_in(portal, fake)
    params = query(portal.get("/sensitive").headers["Location"])
    fake.answer_code(params["nonce"])  # acr pwd again
    portal.get(f"/callback?code=c2&state={params['state']}&iss={fake.issuer}")
    refused = portal.get("/sensitive")
    assert refused.status_code == 403
    assert "Cần mã dùng một lần" in refused.get_data(as_text=True)
    again = portal.get("/sensitive")  # "Try again" goes back to the provider
    assert again.status_code == 302
    assert query(again.headers["Location"])["acr_values"] == MFA


def test_an_unknown_acr_does_not_open_the_page(portal: FlaskClient, fake: FakeProvider) -> None:
    sign_in(portal, fake, acr="urn:example:acr:very-strong")
    assert portal.get("/sensitive").status_code == 302
