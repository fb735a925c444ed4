"""What a portal and a registrar do around the provider, as small helpers for the protocol tests.

Portals act only over HTTP (the Flask test client): authorization, token, userinfo, introspection,
revocation. Registrars act through the register's own services, as the ``idp`` commands do.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar
from urllib.parse import urlencode

from flask import Flask
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry
from werkzeug.test import TestResponse

from clients import suspend_client
from identity import change_account_status, change_status
from idp.context import session_factory
from tests.idp.conftest import Citizen, Portal, authorization_params, authorize, csrf_token, exchange, pkce_pair

_T = TypeVar("_T")


def at_once(calls: list[Callable[[], _T]]) -> list[_T]:
    """Run the calls in threads released together, as a portal's workers or an attacker would."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], _T]) -> _T:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


# -- the browser -----------------------------------------------------------------------------------


def start(browser: FlaskClient, portal: Portal, *, challenge: str | None = None, **extra: str | None) -> TestResponse:
    """The provider's first answer to an authorization request (nothing followed)."""
    if challenge is None:
        challenge = pkce_pair()[1]
    return browser.get("/authorize?" + urlencode(authorization_params(portal, challenge, **extra)))


def login_form(browser: FlaskClient, location: str = "/login") -> tuple[str, str, str]:
    """The sign-in page: its HTML, CSRF token and interaction id."""
    html = browser.get(location).get_data(as_text=True)
    interaction = re.search(r'name="interaction" type="hidden" value="([^"]*)"', html)
    return html, csrf_token(html), interaction.group(1) if interaction else ""


def sign_in_directly(browser: FlaskClient, citizen: Citizen) -> TestResponse:
    """Sign in on the provider's own page, outside any authorization request."""
    _html, token, _ = login_form(browser)
    return browser.post("/login", data={"csrf_token": token, "pin": citizen.pin, "password": citizen.password})


def is_portal_redirect(response: TestResponse, portal: Portal) -> bool:
    return response.status_code in (302, 303) and response.headers["Location"].startswith(portal.redirect_uri)


# -- the portal's back end -------------------------------------------------------------------------


def tokens(client: FlaskClient, portal: Portal, citizen: Citizen | None, **extra: str | None) -> dict[str, Any]:
    """A complete code flow; returns the token response body."""
    query, verifier = authorize(client, portal, citizen, **extra)
    assert "code" in query, query
    response = exchange(client, portal, query["code"], verifier)
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def post_as(client: FlaskClient, portal: Portal, path: str, **data: str) -> TestResponse:
    """POST form fields to an endpoint, authenticated as the portal by its registered method."""
    auth, headers = portal.credentials(path)
    return client.post(path, data={**auth, **data}, headers=headers)


def refresh(client: FlaskClient, portal: Portal, refresh_token: str, **extra: str) -> TestResponse:
    return post_as(client, portal, "/token", grant_type="refresh_token", refresh_token=refresh_token, **extra)


def userinfo(client: FlaskClient, access_token: str) -> TestResponse:
    return client.get("/userinfo", headers={"Authorization": f"Bearer {access_token}"})


def introspect(client: FlaskClient, portal: Portal, token: str, **extra: str) -> dict[str, Any]:
    response = post_as(client, portal, "/introspect", token=token, **extra)
    assert response.status_code == 200, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


def revoke(client: FlaskClient, portal: Portal, token: str, **extra: str) -> TestResponse:
    return post_as(client, portal, "/revoke", token=token, **extra)


# -- tokens as a relying party sees them -----------------------------------------------------------


def verify_like_a_relying_party(client: FlaskClient, token: str, *, algorithms: list[str]) -> tuple[dict, dict]:
    """Header and claims of a JWT verified with the published JWKS only, as any RP library does."""
    keys = KeySet.import_key_set(client.get("/jwks.json").get_json())
    decoded = jwt.decode(token, keys, algorithms=algorithms, registry=JWSRegistry(algorithms=algorithms))
    return dict(decoded.header), dict(decoded.claims)


def unverified_parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header, payload, _ = token.split(".")
    return _json(header), _json(payload)


def _json(segment: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    return value


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(header: dict[str, Any], claims: dict[str, Any], hmac_secret: bytes | None) -> str:
    """A JWT with any header: unsigned (``alg: none``) or HMAC-SHA256 with a secret of our choice."""
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    if hmac_secret is None:
        return signing_input + "."
    return signing_input + "." + b64url(hmac.new(hmac_secret, signing_input.encode(), hashlib.sha256).digest())


def forgeries_of(client: FlaskClient, genuine: str) -> list[str]:
    """``alg: none`` and HMAC-with-our-public-key versions of a genuine token (SECURITY.md V8, V9)."""
    header, claims = unverified_parts(genuine)
    public = next(key for key in client.get("/jwks.json").get_json()["keys"] if key["kid"] == header["kid"])
    forged = [forge({"alg": "none", "typ": header.get("typ")}, claims, None)]
    for secret in (json.dumps(public).encode(), public.get("n", public.get("x", "")).encode()):
        forged.append(forge({**header, "alg": "HS256"}, claims, secret))
    return forged


# -- the registrar and the client administrator -----------------------------------------------------


def suspend_portal(app: Flask, portal: Portal) -> None:
    with session_factory(app)() as session:
        suspend_client(session, portal.client_id, reason="test: leaked secret", actor="test")
        session.commit()


def change_account(app: Flask, citizen: Citizen, transition: str) -> None:
    """suspend, restore or revoke the citizen's e-ID account."""
    with session_factory(app)() as session:
        change_account_status(session, citizen.pin, transition, reason="test", actor="test")
        session.commit()


def change_identity(app: Flask, citizen: Citizen, transition: str) -> None:
    """suspend, restore, revoke … the person in the identity register."""
    with session_factory(app)() as session:
        change_status(session, citizen.pin, transition, reason="test", actor="test")
        session.commit()
