"""The seeded portal's side of a sign-in: the authorization request it sends the citizen's browser with,
the answer the browser brings to its redirect URI (which nothing serves: the browser's request is
answered on the spot), and the code exchanged at the token endpoint."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import requests
from playwright.sync_api import BrowserContext, Page

from tests.served import Seeded


@dataclass(frozen=True)
class Request:
    url: str
    verifier: str
    state: str


def authorization_request(issuer: str, seeded: Seeded, **extra: str) -> Request:
    """A code flow request with PKCE, state and nonce; *extra* adds parameters (``acr_values``, ...)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    state = secrets.token_urlsafe(12)
    params = {
        "response_type": "code",
        "client_id": seeded.client_id,
        "redirect_uri": seeded.redirect_uri,
        "scope": "openid profile",
        "state": state,
        "nonce": secrets.token_urlsafe(12),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }
    return Request(f"{issuer}/authorize?{urlencode(params)}", verifier, state)


def stand_in(browser: Page | BrowserContext, seeded: Seeded) -> None:
    """Answer the browser's requests to the portal's redirect URI, as the portal would."""
    browser.route(f"{seeded.redirect_uri}**", lambda route: route.fulfill(status=200, body="portal"))


def arrival(page: Page, seeded: Seeded) -> dict[str, str]:
    """Wait for the browser to reach the portal; the query it brought."""
    page.wait_for_url(f"{seeded.redirect_uri}**")
    return {name: values[0] for name, values in parse_qs(urlsplit(page.url).query).items()}


def redeem(issuer: str, seeded: Seeded, request: Request, answer: dict[str, str]) -> dict[str, Any]:
    """Check the answer belongs to *request* and exchange its code; the ID token's claims."""
    assert answer["state"] == request.state
    assert answer["iss"] == issuer
    token = requests.post(
        f"{issuer}/token",
        data={
            "grant_type": "authorization_code",
            "code": answer["code"],
            "redirect_uri": seeded.redirect_uri,
            "code_verifier": request.verifier,
        },
        auth=(seeded.client_id, seeded.secret),
        timeout=10,
    )
    assert token.status_code == 200, token.text
    # The signature is the relying-party tests' business (tests/e2e); here only what the sign-in achieved.
    payload = token.json()["id_token"].split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
