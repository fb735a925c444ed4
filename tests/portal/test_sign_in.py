"""Signing in at the portal through the stand-in provider: the code flow as the portal runs it, the claims
page, and everything the portal must refuse on the way (RFC 9207 iss, state, the ID token's checks,
userinfo about someone else, a provider naming another issuer)."""

from __future__ import annotations

import time

import pytest
from flask.testing import FlaskClient

from tests.portal.conftest import query, sign_in
from tests.portal.fake_provider import CLIENT_ID, FakeProvider


def test_signed_out_home_offers_the_national_e_id(portal: FlaskClient) -> None:
    page = portal.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Đăng nhập bằng định danh điện tử quốc gia" in html
    assert 'lang="vi"' in html
    assert "Set-Cookie" not in page.headers  # no session for a visitor who has not started a sign-in


def test_english_on_request_and_remembered(portal: FlaskClient) -> None:
    assert "Sign in with the national e-ID" in portal.get("/?lang=en").get_data(as_text=True)
    assert "Sign in with the national e-ID" in portal.get("/").get_data(as_text=True)
    assert "Đăng nhập" in portal.get("/?lang=vi").get_data(as_text=True)


def test_the_authorization_request_uses_pkce_state_and_nonce(portal: FlaskClient, fake: FakeProvider) -> None:
    response = portal.get("/login?lang=en")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(f"{fake.issuer}/authorize?")
    params = query(location)
    assert params["response_type"] == "code"
    assert params["client_id"] == CLIENT_ID
    assert params["redirect_uri"] == "http://127.0.0.1:5999/callback"
    assert params["code_challenge_method"] == "S256"
    assert len(params["code_challenge"]) == 43
    assert params["state"] and params["nonce"]
    assert params["scope"] == "openid profile"
    assert params["ui_locales"] == "en"
    assert "acr_values" not in params
    assert "prompt" not in params


def test_signing_in_shows_the_claims_received(portal: FlaskClient, fake: FakeProvider) -> None:
    response = sign_in(portal, fake)
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    exchange = next(form for path, form in fake.seen if path == "/token")
    assert exchange["grant_type"] == "authorization_code"
    assert exchange["code"] == "the-code"
    assert len(exchange["code_verifier"]) >= 43
    html = portal.get("/").get_data(as_text=True)
    assert "Xin chào, Nguyễn Thị Mai" in html
    assert "Nữ" in html  # gender, in Vietnamese
    assert "urn:vn:eid:acr:pwd" in html
    assert "provider-session-1" in html
    assert "Đăng xuất" in html
    english = portal.get("/?lang=en").get_data(as_text=True)
    assert "Hello, Nguyễn Thị Mai" in english
    assert "The access token expires at" in english


def test_signing_in_gives_the_browser_a_new_session_id(portal: FlaskClient, fake: FakeProvider) -> None:
    portal.get("/login")
    before = portal.get_cookie("portal_session_5999")
    assert before is not None
    sign_in(portal, fake)
    after = portal.get_cookie("portal_session_5999")
    assert after is not None
    assert after.value != before.value
    assert after.http_only
    assert after.same_site == "Lax"


def test_an_answer_from_another_issuer_is_refused_before_the_code_is_used(
    portal: FlaskClient, fake: FakeProvider
) -> None:
    authorization = query(portal.get("/login").headers["Location"])
    fake.answer_code(authorization["nonce"])
    for iss in ("http://127.0.0.1:1", ""):
        response = portal.get(f"/callback?code=c&state={authorization['state']}&iss={iss}")
        assert response.status_code == 400
        assert "wrong_issuer" in response.get_data(as_text=True)
    response = portal.get(f"/callback?code=c&state={authorization['state']}")  # iss announced, so required
    assert response.status_code == 400
    assert fake.hits("/token") == 0


def test_a_state_this_browser_did_not_send_is_refused(portal: FlaskClient, fake: FakeProvider) -> None:
    authorization = query(portal.get("/login").headers["Location"])
    fake.answer_code(authorization["nonce"])
    response = portal.get(f"/callback?code=c&state=forged&iss={fake.issuer}")
    assert response.status_code == 400
    assert "mismatching_state" in response.get_data(as_text=True)
    assert fake.hits("/token") == 0


def test_an_error_from_the_provider_is_shown_not_a_crash(portal: FlaskClient, fake: FakeProvider) -> None:
    authorization = query(portal.get("/login").headers["Location"])
    response = portal.get(f"/callback?error=access_denied&state={authorization['state']}&iss={fake.issuer}")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "access_denied" in html
    assert "Chưa đăng nhập được" in html


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"aud": "another-portal"}, "'aud'"),
        ({"iss": "http://127.0.0.1:1"}, "'iss'"),
        ({"nonce": "replayed-nonce"}, "'nonce'"),
        ({"exp": int(time.time()) - 3600}, "expired"),
        ({"sub": None}, "'sub'"),
    ],
)
def test_an_id_token_that_breaks_a_rule_is_refused(
    portal: FlaskClient, fake: FakeProvider, caplog: pytest.LogCaptureFixture, claims: dict[str, object], reason: str
) -> None:
    response = sign_in(portal, fake, **claims)
    assert response.status_code == 400
    assert "Xin chào" not in portal.get("/").get_data(as_text=True)
    assert reason in caplog.text


def test_an_id_token_signed_by_another_key_is_refused(portal: FlaskClient, fake: FakeProvider) -> None:
    from joserfc.jwk import RSAKey

    authorization = query(portal.get("/login").headers["Location"])
    impostor = RSAKey.generate_key(2048, parameters={"kid": "rsa-1"})
    forged = fake.id_token(authorization["nonce"])
    header, payload, _signature = forged.split(".")
    other = fake.sign({"nonce": authorization["nonce"]}, key=impostor).split(".")[2]
    fake.answer_code(authorization["nonce"], id_token=f"{header}.{payload}.{other}")
    response = portal.get(f"/callback?code=c&state={authorization['state']}&iss={fake.issuer}")
    assert response.status_code == 400


def test_an_unsigned_id_token_is_refused_even_if_the_provider_lists_none(
    portal: FlaskClient, fake: FakeProvider
) -> None:
    import base64
    import json

    fake.metadata_overrides["id_token_signing_alg_values_supported"] = ["none", "RS256"]
    authorization = query(portal.get("/login").headers["Location"])
    payload = fake.id_token(authorization["nonce"]).split(".")[1]
    header = base64.urlsafe_b64encode(json.dumps({"alg": "none"}).encode()).rstrip(b"=").decode()
    fake.answer_code(authorization["nonce"], id_token=f"{header}.{payload}.")
    response = portal.get(f"/callback?code=c&state={authorization['state']}&iss={fake.issuer}")
    assert response.status_code == 400


def test_a_provider_signing_only_with_shared_secrets_is_not_used(portal: FlaskClient, fake: FakeProvider) -> None:
    fake.metadata_overrides["id_token_signing_alg_values_supported"] = ["HS256"]
    assert portal.get("/login").status_code == 503


def test_userinfo_about_someone_else_is_refused(portal: FlaskClient, fake: FakeProvider) -> None:
    authorization = query(portal.get("/login").headers["Location"])
    fake.answer_code(authorization["nonce"])
    fake.userinfo = {"sub": "somebody-else", "name": "Kẻ mạo danh"}
    response = portal.get(f"/callback?code=c&state={authorization['state']}&iss={fake.issuer}")
    assert response.status_code == 400
    assert "userinfo_mismatch" in response.get_data(as_text=True)


def test_a_discovery_document_naming_another_issuer_is_not_trusted(portal: FlaskClient, fake: FakeProvider) -> None:
    fake.metadata_overrides["issuer"] = "http://127.0.0.1:1"
    response = portal.get("/login")
    assert response.status_code == 503
    assert "Không kết nối được" in response.get_data(as_text=True)


def test_a_provider_that_cannot_be_reached_gives_a_page_not_a_crash(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from portal import create_app
    from tests.portal.conftest import portal_settings
    from tests.served import free_port

    app = create_app(portal_settings(f"http://127.0.0.1:{free_port()}", tmp_path / "s.sqlite3", provider_timeout=2))
    response = app.test_client().get("/login?lang=en")
    assert response.status_code == 503
    assert "The national e-ID cannot be reached" in response.get_data(as_text=True)


def test_pages_are_neither_framed_cached_nor_leak_the_code_as_referrer(portal: FlaskClient, fake: FakeProvider) -> None:
    response = portal.get("/")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert f"form-action 'self' {fake.issuer}" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
