"""Helpers for the account pages: a browser signed in as a citizen, the page, and its forms."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.idp.conftest import Citizen, csrf_token
from tests.idp.flows import login_form


def signed_in(app: Flask, citizen: Citizen, *, address: str = "127.0.0.1") -> FlaskClient:
    """A new browser (at *address*) signed in on the provider's own pages, with the code if the citizen has an app."""
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = address
    _html, token, _ = login_form(browser)
    response = browser.post("/login", data={"csrf_token": token, "pin": citizen.pin, "password": citizen.password})
    if urlsplit(response.headers["Location"]).path == "/login/code":
        html = browser.get(response.headers["Location"]).get_data(as_text=True)
        response = browser.post("/login/code", data={"csrf_token": csrf_token(html), "code": citizen.code()})
    assert response.status_code == 303 and response.headers["Location"] == "/", response.get_data(as_text=True)
    return browser


def account_page(browser: FlaskClient, lang: str = "en") -> str:
    response = browser.get(f"/?lang={lang}")
    assert response.status_code == 200, response.headers.get("Location")
    return response.get_data(as_text=True)


def post(browser: FlaskClient, path: str, **fields: str) -> TestResponse:
    """Submit a form of the account pages as the browser would: with the CSRF token of its page."""
    token = csrf_token(browser.get("/account/password").get_data(as_text=True))
    return browser.post(path, data={"csrf_token": token, **fields})


def to_sign_in(response: TestResponse) -> bool:
    return response.status_code == 303 and urlsplit(response.headers["Location"]).path == "/login"


def outcome(browser: FlaskClient, response: TestResponse) -> str | None:
    """Where a form's 303 leads: the account page's sentence about what the form did (in English)."""
    assert response.status_code == 303, response.get_data(as_text=True)
    html = browser.get(response.headers["Location"] + "&lang=en").get_data(as_text=True)
    found = re.search(r'<p role="status" class="notice">([^<]*)</p>', html)
    return found.group(1) if found else None
