"""Errors a citizen sees are pages in their language, with words from the catalogues only; portals'
back ends get OAuth JSON; nothing unexpected shows a traceback (idp.errors)."""

from __future__ import annotations

import logging
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.idp.conftest import Portal
from tests.idp.flows import start

#: Authlib's and werkzeug's English sentences that a citizen's page must never show.
LIBRARY_ENGLISH = ("Redirect URI", "is not supported by client", "Invalid", "The requested URL", "Bad Request", "None")


def page_language(html: str) -> str:
    return re.search(r'<html lang="([^"]+)"', html).group(1)


def alert(html: str) -> str:
    return re.search(r'<p class="error" role="alert"[^>]*>([^<]*)</p>', html).group(1)


def assert_citizen_page(response, *, status: int, lang: str = "vi") -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == status
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert page_language(html) == lang
    assert '<meta name="viewport"' in html
    for english in LIBRARY_ENGLISH if lang == "vi" else ():
        assert english not in html, english
    assert "Traceback" not in html
    return html


def test_an_unknown_page_is_an_html_404_in_vietnamese(client: FlaskClient) -> None:
    html = assert_citizen_page(client.get("/no-such-page"), status=404)
    assert alert(html) == "Trang này không tồn tại. Vui lòng kiểm tra lại địa chỉ hoặc bắt đầu từ trang chủ."


def test_an_unknown_page_speaks_the_chosen_language(client: FlaskClient) -> None:
    html = assert_citizen_page(client.get("/no-such-page?lang=en"), status=404, lang="en")
    assert "This page does not exist" in alert(html)


def test_a_wrong_method_on_a_page_is_an_html_405_naming_the_allowed_methods(client: FlaskClient) -> None:
    response = client.put("/login")
    assert_citizen_page(response, status=405)
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


def test_an_api_endpoint_answers_json_even_for_a_wrong_method_or_path(client: FlaskClient) -> None:
    response = client.get("/token")
    assert response.status_code == 405
    assert response.get_json()["error"] == "invalid_request"
    assert "POST" in response.headers["Allow"]
    assert response.headers["Cache-Control"] == "no-store"


def test_a_form_without_its_csrf_token_is_a_translated_page(client: FlaskClient) -> None:
    html = assert_citizen_page(client.post("/login", data={"pin": "001084000123", "password": "x" * 12}), status=400)
    assert alert(html).startswith("Biểu mẫu đã hết hạn")


def test_head_of_the_sign_in_page_is_not_an_error(client: FlaskClient) -> None:
    assert client.head("/login").status_code == 200


def test_the_home_page_signed_out_says_what_the_service_is_and_how_to_sign_in(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    html = assert_citizen_page(client.get("/login"), status=200)
    assert "Một danh tính cho mọi công dân" in html
    assert 'action="/login"' in html
    assert 'href="/activate"' in html


def test_an_expired_sign_in_request_names_its_error_code(client: FlaskClient) -> None:
    html = assert_citizen_page(client.get("/authorize/continue?interaction=gone"), status=400)
    assert alert(html) == "Yêu cầu đăng nhập này đã hết hạn. Vui lòng quay lại cổng dịch vụ và bắt đầu lại."
    assert "<code>expired_request</code>" in html


@pytest.mark.parametrize(("ui_locales", "lang"), [(None, "vi"), ("en", "en"), ("fr en", "en"), ("vi", "vi")])
def test_a_refused_authorization_request_speaks_the_asked_language(
    client: FlaskClient, portal: Portal, ui_locales: str | None, lang: str
) -> None:
    """The redirect URI is not registered, so the refusal is shown, not redirected, in ui_locales' language."""
    response = start(client, portal, redirect_uri="https://evil.example/cb", ui_locales=ui_locales)
    html = assert_citizen_page(response, status=400, lang=lang)
    assert "<code>invalid_request</code>" in html
    assert ("not valid" in alert(html)) == (lang == "en")


def test_an_unknown_portal_gets_a_page_not_a_redirect(client: FlaskClient, portal: Portal) -> None:
    response = start(client, portal, client_id="no-such-portal")
    html = assert_citizen_page(response, status=400)
    assert alert(html).startswith("Cổng dịch vụ này chưa được đăng ký")


def test_a_failure_on_a_page_is_opaque_and_names_a_reference(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr("idp.account.access.current_sso_session", broken)
    with caplog.at_level(logging.ERROR, logger="idp.errors"):
        html = assert_citizen_page(client.get("/"), status=500)
    reference = re.search(r"<code>([0-9a-f]{32})</code>", html).group(1)
    assert "secret internals" not in html
    (record,) = [r for r in caplog.records if r.name == "idp.errors"]
    assert reference in record.getMessage()
    assert record.exc_info is not None  # the traceback is in the log, under the reference


def test_a_failure_at_an_api_endpoint_is_opaque_json(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr("idp.oidc.userinfo.verify_access_token_offline", broken)
    with caplog.at_level(logging.ERROR, logger="idp.errors"):
        response = client.get("/userinfo", headers={"Authorization": "Bearer x"})
    assert response.status_code == 500
    body = response.get_json()
    assert body["error"] == "server_error"
    assert "secret internals" not in response.get_data(as_text=True)
    assert body["request_id"] in caplog.text
