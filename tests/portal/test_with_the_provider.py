"""The reference portal against the real provider over HTTP: ``idp serve`` and ``python -m portal`` in their
own processes, a citizen's browser between them. Sign-in shows the claims; the sensitive service steps
the password sign-in up with ``acr_values`` and the provider asks only for the one-time code; an expired
access token is renewed with the refresh token."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask

from tests.idp.conftest import enrol_app, make_citizen
from tests.portal.served import Browser, Portal, new_portal

pytestmark = pytest.mark.slow

MFA = "urn:vn:eid:acr:mfa"


@pytest.fixture
def served_portal(server: tuple[str, Path], provider_app: Flask, tmp_path: Path) -> Iterator[Portal]:
    issuer, _log = server
    running = new_portal("Cổng Dịch vụ công quốc gia", issuer, tmp_path).register(provider_app).start()
    try:
        yield running
    finally:
        running.stop()


def the_sign_in(portal: Portal) -> dict[str, Any]:
    """What the portal's store holds about its one signed-in session."""
    with sqlite3.connect(portal.store) as db:
        (login,) = db.execute("SELECT login FROM sessions WHERE login IS NOT NULL").fetchone()
    return dict(json.loads(login))


def test_sign_in_claims_step_up_and_refresh(
    served_portal: Portal, provider_app: Flask, server: tuple[str, Path]
) -> None:
    issuer, provider_log = server
    portal = served_portal
    citizen = make_citizen(provider_app, full_name="Lê Thị Hồng", birth_date="1985-03-09", sex="female")
    browser = Browser(citizen)

    home = browser.open(f"{portal.url}/login")
    assert home.url == f"{portal.url}/", f"{home.status_code} {home.text[:500]}\n{portal.log.read_text()}"
    assert browser.pages == ["login", "consent"]
    assert "Xin chào, Lê Thị Hồng" in home.text
    assert "urn:vn:eid:acr:pwd" in home.text
    assert "1985-03-09" in home.text

    # The sensitive service: a password is not enough; the provider is asked for mfa, without prompt=login.
    step_up = browser.http.get(f"{portal.url}/sensitive", allow_redirects=False, timeout=10)
    assert step_up.status_code == 302
    request = {k: v[0] for k, v in parse_qs(urlsplit(step_up.headers["Location"]).query).items()}
    assert step_up.headers["Location"].startswith(f"{issuer}/authorize?")
    assert request["acr_values"] == MFA
    assert "prompt" not in request

    enrol_app(provider_app, citizen)  # the citizen has set up an authenticator app meanwhile
    browser.pages.clear()
    sensitive = browser.follow(step_up)
    assert browser.pages == ["code"], provider_log.read_text()  # no password again, no consent again
    assert sensitive.url == f"{portal.url}/sensitive"
    assert sensitive.status_code == 200, sensitive.text[:500]
    assert MFA in sensitive.text

    # An access token past its time is renewed at the next page view (the refresh token rotates).
    before = the_sign_in(portal)
    with sqlite3.connect(portal.store) as db:
        db.execute("UPDATE sessions SET login = json_set(login, '$.access_expires_at', 0) WHERE login IS NOT NULL")
    again = browser.open(f"{portal.url}/")
    assert "Xin chào, Lê Thị Hồng" in again.text, portal.log.read_text()
    after = the_sign_in(portal)
    assert after["access_expires_at"] > before["access_expires_at"] - 1
    assert after["access_token"] != before["access_token"]
    assert after["refresh_token"] != before["refresh_token"]
    assert after["claims"]["sub"] == before["claims"]["sub"]
    assert after["claims"]["acr"] == MFA
    assert "code=" not in portal.log.read_text()  # the request log leaves the redirect URI's query out
