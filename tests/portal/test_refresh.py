"""Keeping a sign-in fresh: an access token about to expire is renewed with the refresh token before the
page is shown; a refusal means the citizen's session at the provider ended, so the portal's ends too."""

from __future__ import annotations

import secrets
from typing import Any

from flask.testing import FlaskClient

from tests.portal.conftest import sign_in
from tests.portal.fake_provider import FakeProvider


def refresh_answers(fake: FakeProvider, status: int = 200, **overrides: Any) -> list[dict[str, str]]:
    """Make the token endpoint answer refreshes; the forms it receives."""
    received: list[dict[str, str]] = []

    def answer(form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        received.append(form)
        if status != 200:
            return status, {"error": "invalid_grant", "error_description": "the session has ended"}
        token = {
            "access_token": secrets.token_urlsafe(16),
            "token_type": "Bearer",
            "expires_in": 600,
            "refresh_token": f"rotated-{len(received)}",
            "id_token": fake.id_token(None, **overrides),
        }
        return 200, token

    fake.token_answer = answer
    return received


def signed_in(portal: FlaskClient) -> bool:
    return "Xin chào" in portal.get("/").get_data(as_text=True)


def test_an_expiring_access_token_is_renewed_and_the_refresh_token_rotates(
    portal: FlaskClient, fake: FakeProvider
) -> None:
    sign_in(portal, fake, expires_in=10)
    first_refresh_token = fake.token_answer({})[1]["refresh_token"]  # type: ignore[misc]
    received = refresh_answers(fake)
    assert signed_in(portal)
    assert [(f["grant_type"], f["refresh_token"]) for f in received] == [("refresh_token", first_refresh_token)]
    assert signed_in(portal)
    assert len(received) == 1  # the new access token is good for ten minutes


def test_a_refused_refresh_ends_the_portal_session(portal: FlaskClient, fake: FakeProvider) -> None:
    sign_in(portal, fake, expires_in=10)
    refresh_answers(fake, status=400)
    page = portal.get("/").get_data(as_text=True)
    assert "Phiên đăng nhập của bạn tại hệ thống định danh điện tử đã kết thúc" in page
    assert not signed_in(portal)


def test_a_refreshed_id_token_about_someone_else_ends_the_session(portal: FlaskClient, fake: FakeProvider) -> None:
    sign_in(portal, fake, expires_in=10)
    refresh_answers(fake, sub="somebody-else")
    assert not signed_in(portal)


def test_a_provider_that_cannot_be_reached_leaves_the_sign_in_alone(portal: FlaskClient, fake: FakeProvider) -> None:
    sign_in(portal, fake, expires_in=10)
    fake.token_answer = lambda _form: (503, {"error": "temporarily_unavailable"})
    assert signed_in(portal)
