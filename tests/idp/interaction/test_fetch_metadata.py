"""Form posts from another site are refused on every page, besides the CSRF token; the browser's word
(Fetch Metadata, ``Origin``) is only ever evidence against a request, never needed for one (idp.security;
SECURITY.md R20: Chromium sends ``Origin: null`` on same-origin posts under ``Referrer-Policy:
no-referrer``). The authorization endpoint and the API take cross-site posts by design."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from idp.context import session_factory
from tests import factories
from tests.idp.conftest import Portal, authorization_params, csrf_token, make_citizen, pkce_pair, register_portal
from tests.idp.flows import login_form, sign_in_directly, start

FORM_FROM_ANOTHER_SITE = (
    "Biểu mẫu đã hết hạn hoặc được gửi từ một trang khác. Vui lòng quay lại, tải lại trang và thử lại."
)
#: What Chromium sends on a same-origin form post from our pages (Referrer-Policy: no-referrer).
SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin", "Origin": "null"}
#: What browsers say of a form posted from someone else's page.
FOREIGN = {
    "cross-site": {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
    "cross-site, opaque origin": {"Sec-Fetch-Site": "cross-site", "Origin": "null"},
    "same-site": {"Sec-Fetch-Site": "same-site", "Origin": "https://other.127.0.0.1.example"},
    "another origin, no fetch metadata": {"Origin": "https://evil.example"},
    "another port of our host": {"Origin": "http://127.0.0.1:5001"},
    "another scheme of our host": {"Origin": "https://127.0.0.1:5000"},
}
NEW_PASSWORD = "trăng rằm tháng tám sáng tỏ"


@dataclass
class Form:
    """A page's form, filled in as the citizen would, and what its post does when it is accepted."""

    path: str
    data: dict[str, str]
    accepted: Callable[[TestResponse], bool]


def interaction_of(html: str) -> str:
    return re.search(r'name="interaction" type="hidden" value="([^"]*)"', html).group(1)


def _password_step(client: FlaskClient, pin: str, password: str, location: str = "/login") -> TestResponse:
    _html, token, interaction = login_form(client, location)
    form = {"csrf_token": token, "interaction": interaction, "pin": pin, "password": password}
    return client.post("/login", data=form)


def _goes_to(path: str) -> Callable[[TestResponse], bool]:
    return lambda response: response.status_code == 303 and urlsplit(response.headers["Location"]).path == path


def _login(app: Flask, client: FlaskClient, portal: Portal) -> Form:
    citizen = make_citizen(app)
    _html, token, _ = login_form(client)
    return Form("/login", {"csrf_token": token, "pin": citizen.pin, "password": citizen.password}, _goes_to("/"))


def _second_step(app: Flask, client: FlaskClient, path: str) -> tuple[str, dict[str, str], list[str], str]:
    citizen = make_citizen(app, with_app=True, full_name="Trần Văn Bình", birth_date="1988-08-08", sex="male")
    location = _password_step(client, citizen.pin, citizen.password).headers["Location"]
    html = client.get(location.replace("/login/code", path)).get_data(as_text=True)
    return csrf_token(html), {"interaction": interaction_of(html)}, citizen.recovery_codes, citizen.code()


def _code(app: Flask, client: FlaskClient, portal: Portal) -> Form:
    token, fields, _recovery, code = _second_step(app, client, "/login/code")
    return Form("/login/code", {"csrf_token": token, **fields, "code": code}, _goes_to("/"))


def _recovery(app: Flask, client: FlaskClient, portal: Portal) -> Form:
    token, fields, recovery, _code = _second_step(app, client, "/login/recovery")
    return Form("/login/recovery", {"csrf_token": token, **fields, "code": recovery[0]}, _goes_to("/otp/enrol"))


def _enrol(app: Flask, client: FlaskClient, portal: Portal) -> Form:
    citizen = make_citizen(app)
    _password_step(client, citizen.pin, citizen.password)
    html = client.get("/otp/enrol").get_data(as_text=True)
    code = pyotp.TOTP(re.search(r'data-secret="([A-Z2-7]+)"', html).group(1)).now()
    data = {"csrf_token": csrf_token(html), "interaction": "", "code": code}
    return Form("/otp/enrol", data, lambda response: response.status_code == 200 and "<li><code>" in response.text)


def _pending(app: Flask) -> tuple[str, str]:
    with session_factory(app)() as session:
        account, code = factories.opened_account(session, full_name="Hoàng Văn Đức", birth_date="1979-07-07")
        return account.person.pin, code


def _activate(app: Flask, client: FlaskClient, portal: Portal) -> Form:
    pin, code = _pending(app)
    html = client.get("/activate").get_data(as_text=True)
    data = {"csrf_token": csrf_token(html), "pin": pin, "code": code, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    return Form("/activate", data, _goes_to("/otp/enrol"))


def _later(app: Flask, client: FlaskClient, portal: Portal) -> Form:
    activated = _activate(app, client, portal)
    enrol = client.post(activated.path, data=activated.data)
    html = client.get(enrol.headers["Location"]).get_data(as_text=True)
    return Form("/otp/later", {"csrf_token": csrf_token(html), "interaction": ""}, _goes_to("/"))


def _consent(app: Flask, client: FlaskClient, portal: Portal) -> Form:
    third_party = register_portal(app, name="Cổng Bảo hiểm xã hội", scopes=["openid", "profile"])
    sign_in_directly(client, make_citizen(app))
    html = client.get(start(client, third_party).headers["Location"]).get_data(as_text=True)
    data = {"csrf_token": csrf_token(html), "interaction": interaction_of(html), "allow": "x"}
    return Form("/consent", data, _goes_to("/authorize/continue"))


def _level(app: Flask, client: FlaskClient, portal: Portal) -> Form:
    sign_in_directly(client, make_citizen(app))
    location = start(client, portal, acr_values="urn:vn:eid:acr:mfa:ial2").headers["Location"]
    html = client.get(location).get_data(as_text=True)
    data = {"csrf_token": csrf_token(html), "interaction": interaction_of(html), "go_on": "x"}
    return Form("/login/level", data, _goes_to("/authorize/continue"))


def _back(app: Flask, client: FlaskClient, portal: Portal) -> Form:
    html = client.get(start(client, portal).headers["Location"]).get_data(as_text=True)
    data = {"csrf_token": csrf_token(html), "interaction": interaction_of(html), "back": "x"}

    def accepted(response: TestResponse) -> bool:
        location = response.headers.get("Location", "")
        return location.startswith(portal.redirect_uri) and "error=access_denied" in location

    return Form("/login/back", data, accepted)


FORMS = {
    "login": _login,
    "code": _code,
    "recovery": _recovery,
    "enrol": _enrol,
    "later": _later,
    "activate": _activate,
    "consent": _consent,
    "level": _level,
    "back": _back,
}


@pytest.mark.parametrize("name", FORMS)
def test_every_page_form_is_refused_from_another_site_and_accepted_from_ours(
    app: Flask, client: FlaskClient, portal: Portal, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    form = FORMS[name](app, client, portal)
    for case, headers in FOREIGN.items():
        refused = client.post(form.path, data=form.data, headers=headers)
        assert refused.status_code == 403, (case, refused.status_code)
        assert refused.mimetype == "text/html" and "Location" not in refused.headers
        assert re.search(r'<p class="error" role="alert">([^<]*)</p>', refused.text).group(1) == FORM_FROM_ANOTHER_SITE
    assert sum("form post from another origin refused" in r.getMessage() for r in caplog.records) == len(FOREIGN)
    # Nothing was done: the same post from our own page still does what the form is for.
    assert form.accepted(client.post(form.path, data=form.data, headers=SAME_ORIGIN))


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://127.0.0.1:5000", "Sec-Fetch-Site": "same-origin"},
        {"Origin": "HTTP://127.0.0.1:5000"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "none"},
        {},
    ],
    ids=["our origin", "our origin, other case", "opaque origin alone", "typed by the citizen", "no header"],
)
def test_without_evidence_against_it_a_post_is_judged_by_its_token(
    app: Flask, client: FlaskClient, portal: Portal, headers: dict[str, str]
) -> None:
    """Old browsers and scripts send neither header; the token is the proof (SECURITY.md R20)."""
    form = _login(app, client, portal)
    assert form.accepted(client.post(form.path, data=form.data, headers=headers))


def test_a_cross_site_post_without_a_token_is_still_a_token_failure(client: FlaskClient) -> None:
    """The origin rule adds to the token check; it never replaces it."""
    response = client.post("/login", data={"pin": "001190000000", "password": "x"}, headers=SAME_ORIGIN)
    assert response.status_code == 400


def test_the_refusal_speaks_the_page_language(app: Flask, client: FlaskClient, portal: Portal) -> None:
    form = _login(app, client, portal)
    refused = client.post(form.path + "?lang=en", data=form.data, headers=FOREIGN["cross-site"])
    assert refused.status_code == 403
    assert '<html lang="en"' in refused.text and "sent from another site" in refused.text


def test_a_portal_may_post_an_authorization_request_from_its_own_site(client: FlaskClient, portal: Portal) -> None:
    """OIDC Core 3.1.2.1: the authorization endpoint accepts form posts, which come from the portal's site."""
    params = authorization_params(portal, pkce_pair()[1])
    response = client.post("/authorize", data=params, headers={"Sec-Fetch-Site": "cross-site", "Origin": "https://portal.example"})
    assert response.status_code in (302, 303)
    assert urlsplit(response.headers["Location"]).path == "/login"


def test_the_api_endpoints_answer_cross_site_requests_as_usual(client: FlaskClient, portal: Portal) -> None:
    """Portals' back ends and browsers' scripts authenticate as clients, never with a citizen's cookie."""
    response = client.post(
        "/token",
        data={"grant_type": "authorization_code", "code": "made-up", "redirect_uri": portal.redirect_uri},
        headers={**portal.basic_auth(), "Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
    )
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_grant"


def test_a_refusal_is_logged_with_what_the_browser_said(
    app: Flask, client: FlaskClient, portal: Portal, caplog: pytest.LogCaptureFixture
) -> None:
    form = _login(app, client, portal)
    with caplog.at_level(logging.WARNING, logger="idp.security"):
        client.post(form.path, data=form.data, headers=FOREIGN["cross-site"])
    (line,) = [r.getMessage() for r in caplog.records if r.name == "idp.security"]
    assert "'cross-site'" in line and "'https://evil.example'" in line and "/login" in line
