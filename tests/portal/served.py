"""Reference portals served as they are run: ``python -m portal`` on a free port of 127.0.0.1, registered with
a provider through its domain API, and a citizen's browser that signs in through them.

For the portal's test against the real provider, and for the end-to-end tests that run two portals
(and restart one).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
import requests
from flask import Flask

from clients import ClientSpec, register_client
from idp.context import session_factory
from tests.e2e.relying_party import Form, FormParser
from tests.idp.conftest import Citizen
from tests.served import ROOT, STARTUP_SECONDS, free_port, stop

PORTAL = [sys.executable, "-m", "portal"]
TIMEOUT = 10
MAX_HOPS = 12


@dataclass
class Portal:
    """One portal instance: registered with the provider, started and stopped by the test."""

    name: str
    issuer: str
    port: int
    store: Path
    log: Path
    client_id: str = ""
    secret: str = ""
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def register(self, provider_app: Flask, *, first_party: bool = False) -> Portal:
        """Register the portal as ``idp clients add`` would, with every URI it serves."""
        with session_factory(provider_app)() as session:
            client, secret = register_client(
                session,
                ClientSpec(
                    name=self.name,
                    redirect_uris=[f"{self.url}/callback"],
                    post_logout_redirect_uris=[f"{self.url}/"],
                    backchannel_logout_uri=f"{self.url}/backchannel-logout",
                    scopes=["openid", "profile"],
                    first_party=first_party,
                ),
                actor="test",
                allow_http_loopback=True,
            )
            session.commit()
        assert secret is not None
        self.client_id, self.secret = client.client_id, secret
        return self

    def environment(self) -> dict[str, str]:
        environ = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "IDP_"))}
        environ.update(
            PORTAL_NAME=self.name,
            PORTAL_ISSUER=self.issuer,
            PORTAL_CLIENT_ID=self.client_id,
            PORTAL_CLIENT_SECRET=self.secret,
            PORTAL_SECRET_KEY=f"test-secret-key-of-the-portal-on-{self.port}",
            PORTAL_PORT=str(self.port),
            PORTAL_STORE=str(self.store),
        )
        return environ

    def start(self) -> Portal:
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                PORTAL, cwd=ROOT, env=self.environment(), stdout=output, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"the portal exited with {self.process.returncode}:\n{self.log.read_text()}")
            try:
                if requests.get(f"{self.url}/", timeout=1).status_code == 200:
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        pytest.fail(f"the portal did not answer within {STARTUP_SECONDS} s:\n{self.log.read_text()}")

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
            self.process = None

    def sign_ins(self) -> list[dict[str, Any]]:
        """The sign-ins its session file holds (claims and tokens), in no particular order."""
        with sqlite3.connect(self.store) as db:
            rows = db.execute("SELECT login FROM sessions WHERE login IS NOT NULL").fetchall()
        return [dict(json.loads(login)) for (login,) in rows]


def new_portal(name: str, issuer: str, directory: Path) -> Portal:
    port = free_port()
    return Portal(name, issuer, port, directory / f"portal-{port}.sqlite3", directory / f"portal-{port}.log")


class Browser:
    """The citizen's user agent: cookies, redirects, and the provider's forms it knows how to fill in
    (sign-in, consent, one-time code); it stops at any other page and returns it."""

    def __init__(self, citizen: Citizen) -> None:
        self.http = requests.Session()
        self.citizen = citizen
        #: The provider's pages met, in order ("login", "consent", "code").
        self.pages: list[str] = []
        #: Address prefixes this browser reaches elsewhere, as a load balancer in front of several provider
        #: processes would send it: ``{issuer: address of one process}``.
        self.routes: dict[str, str] = {}

    def open(self, url: str) -> requests.Response:
        return self.follow(self.http.get(self.routed(url), allow_redirects=False, timeout=TIMEOUT))

    def routed(self, url: str) -> str:
        for prefix, target in self.routes.items():
            if url == prefix or url.startswith(f"{prefix}/") or url.startswith(f"{prefix}?"):
                return target + url[len(prefix) :]
        return url

    def follow(self, response: requests.Response) -> requests.Response:
        for _ in range(MAX_HOPS):
            if response.status_code in (301, 302, 303):
                location = self.routed(urljoin(response.url, response.headers["Location"]))
                response = self.http.get(location, allow_redirects=False, timeout=TIMEOUT)
                continue
            submitted = self._submit(response) if response.status_code == 200 else None
            if submitted is None:
                return response
            response = submitted
        raise AssertionError(f"still redirected after {MAX_HOPS} steps")

    def _submit(self, page: requests.Response) -> requests.Response | None:
        parser = FormParser()
        parser.feed(page.text)
        for form in parser.forms:
            data = dict(form.fields)
            if {"pin", "password"} <= form.inputs:
                self.pages.append("login")
                data.update(pin=self.citizen.pin, password=self.citizen.password)
            elif "code" in form.inputs:
                self.pages.append("code")
                data["code"] = self.citizen.code()
            elif "allow" in form.buttons:
                self.pages.append("consent")
                data["allow"] = form.buttons["allow"]
            else:
                continue
            return self.http.post(urljoin(page.url, form.action), data=data, allow_redirects=False, timeout=TIMEOUT)
        return None

    def signed_in_at(self, portal: Portal) -> bool:
        """The portal's home page offers this browser the sign-out button (only a signed-in citizen sees it)."""
        home = self.http.get(f"{portal.url}/", allow_redirects=False, timeout=TIMEOUT)
        assert home.status_code == 200, f"{home.status_code} {home.text[:500]}"
        return _sign_out_form(home) is not None

    def sign_out(self, portal: Portal) -> requests.Response:
        """Press the portal's sign-out button and follow where it leads (RP-initiated logout at the provider)."""
        home = self.http.get(f"{portal.url}/", allow_redirects=False, timeout=TIMEOUT)
        form = _sign_out_form(home)
        assert form is not None, f"not signed in at {portal.name}: {home.text[:500]}"
        action = urljoin(home.url, form.action)
        return self.follow(self.http.post(action, data=form.fields, allow_redirects=False, timeout=TIMEOUT))


def _sign_out_form(page: requests.Response) -> Form | None:
    parser = FormParser()
    parser.feed(page.text)
    return next((form for form in parser.forms if form.action.endswith("/logout")), None)
