"""End to end: an independent relying party in its own process, over real HTTP, against ``idp serve``.

The provider runs exactly as deployed (``idp serve`` under granian, configured by ``IDP_*``
variables) on a free port of 127.0.0.1; the relying party (``relying_party.py``, Authlib's OAuth
client, nothing of this project) runs discovery → code flow with PKCE → ID token validation →
userinfo → refresh → revocation → introspection, and prints what it saw as JSON.
"""

from __future__ import annotations

import ast
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from flask import Flask

from clients import ClientSpec, register_client
from identity.accounts import activate_account, open_account
from idp import create_app
from idp.db import session_factory
from idp.migrate import upgrade_database
from tests import factories
from tests.conftest import TEST_ARGON2, make_settings

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
RELYING_PARTY = Path(__file__).with_name("relying_party.py")
IDP = ROOT / ".venv" / "bin" / "idp"
PASSWORD = "correct horse battery staple"
STARTUP_SECONDS = 30
STOP_SECONDS = 10


@dataclass
class Seeded:
    client_id: str
    secret: str
    redirect_uri: str
    pin: str


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def provider_app(request: pytest.FixtureRequest, database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The database the server will use: a fresh SQLite file, or the suite's PostgreSQL database
    (through the ``app`` fixture, so that it is emptied after the test like every other)."""
    if not database_url.startswith("sqlite"):
        yield request.getfixturevalue("app")
        return
    app = create_app(make_settings(f"sqlite:///{tmp_path / 'e2e.sqlite3'}", tmp_path / "setup"))
    upgrade_database(app)
    yield app
    app.extensions["idp.engine"].dispose()


def seed(app: Flask, redirect_uri: str) -> Seeded:
    """A portal that must ask for consent, and a citizen with an activated account."""
    with session_factory(app)() as session:
        client, secret = register_client(
            session,
            ClientSpec(name="Cổng dịch vụ công thử nghiệm", redirect_uris=[redirect_uri], scopes=["openid", "profile"]),
            actor="test",
            allow_http_loopback=True,
        )
        person = factories.person(session, full_name="Trần Văn Bình", birth_date="1979-11-02", sex="male")
        _account, code = open_account(session, person.pin, actor="test", ttl_seconds=3600)
        activate_account(
            session,
            person.pin,
            code,
            PASSWORD,
            hasher=app.extensions["idp.hasher"],
            policy=app.extensions["idp.password_policy"],
        )
        session.commit()
        assert secret is not None
        return Seeded(client.client_id, secret, redirect_uri, person.pin)


def server_environment(database_url: str, issuer: str, instance: Path) -> dict[str, str]:
    """The test process's environment without its own ``IDP_*`` variables, plus the server's."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("IDP_")}
    environ.update(
        IDP_ENV="test",
        IDP_DATABASE_URL=database_url,
        IDP_ISSUER=issuer,
        IDP_INSTANCE_PATH=str(instance),
        # Replaying a rotated refresh token must revoke its family at once (no parallel-refresh grace).
        IDP_REFRESH_REUSE_GRACE="0",
        **{f"IDP_{name.upper()}": str(value) for name, value in TEST_ARGON2.items()},
    )
    return environ


@pytest.fixture
def server(provider_app: Flask, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """``idp serve`` on a free port; always stopped (terminate, then kill) when the test ends."""
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    database_url = provider_app.extensions["idp.settings"].database_url
    log = tmp_path / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(IDP), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=server_environment(database_url, issuer, tmp_path / "instance"),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its workers form one process group with it
        )
    try:
        wait_until_serving(process, issuer, log)
        yield issuer, log
    finally:
        stop(process)


def wait_until_serving(process: subprocess.Popen[bytes], issuer: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"idp serve exited with {process.returncode}:\n{log.read_text()}")
        try:
            if requests.get(f"{issuer}/.well-known/openid-configuration", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    pytest.fail(f"idp serve did not answer discovery within {STARTUP_SECONDS} s:\n{log.read_text()}")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the group this test started, workers included
            process.wait(timeout=STOP_SECONDS)


def run_relying_party(config: dict[str, str], log: Path) -> dict:  # type: ignore[type-arg]
    result = subprocess.run(
        [sys.executable, "-I", str(RELYING_PARTY)],  # -I: no project directory on sys.path
        input=json.dumps(config),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"relying party failed:\n{result.stderr}\n--- server log ---\n{log.read_text()}"
    return json.loads(result.stdout)


def test_relying_party_imports_nothing_of_the_project() -> None:
    tree = ast.parse(RELYING_PARTY.read_text())
    modules = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    modules |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    third_party = {name.split(".")[0] for name in modules} - set(sys.stdlib_module_names) - {"__future__"}
    assert third_party == {"authlib", "requests", "joserfc"}


def test_independent_relying_party_over_http(server: tuple[str, Path], provider_app: Flask) -> None:
    issuer, log = server
    seeded = seed(provider_app, f"http://127.0.0.1:{free_port()}/callback")
    report = run_relying_party(
        {
            "issuer": issuer,
            "client_id": seeded.client_id,
            "client_secret": seeded.secret,
            "redirect_uri": seeded.redirect_uri,
            "pin": seeded.pin,
            "password": PASSWORD,
        },
        log,
    )

    discovery = report["discovery"]
    assert discovery["issuer"] == issuer
    assert discovery["iss_parameter_supported"] is True
    assert discovery["code_challenge_methods"] == ["S256"]
    assert discovery["private_members_in_jwks"] == []

    first = report["first"]
    assert first["authorization"] == {
        "pages": ["login", "consent"],
        "iss": issuer,
        "state_matches": True,
        "code_challenge_method": "S256",
    }
    assert first["token"]["token_type"] == "Bearer"
    assert first["token"]["has"] == ["access_token", "id_token", "refresh_token"]

    id_token = first["id_token"]
    assert id_token["_alg"] == "RS256"
    assert id_token["_kid"] in discovery["jwks_kids"]
    assert id_token["_tampered_rejected"] is True
    assert id_token["iss"] == issuer
    assert id_token["aud"] == seeded.client_id
    assert id_token["amr"] == ["pwd"]
    assert {"nonce", "at_hash", "auth_time", "acr", "sid"} <= set(id_token)
    assert seeded.pin not in json.dumps(report)  # pairwise sub, and no PIN without the pin scope

    assert first["userinfo"]["status"] == 200
    assert first["userinfo"]["claims"]["sub"] == id_token["sub"]
    assert first["userinfo"]["claims"]["name"] == "Trần Văn Bình"

    introspection = first["introspection"]
    assert introspection["access_token"]["active"] is True
    assert introspection["access_token"]["client_id"] == seeded.client_id
    assert introspection["access_token"]["sub"] == id_token["sub"]
    assert introspection["refresh_token"]["active"] is True

    refresh = first["refresh"]
    assert refresh["new_refresh_token"] is True
    assert refresh["new_access_token"] is True
    assert refresh["id_token_same_sub"] is True
    assert refresh["id_token_same_auth_time"] is True
    assert refresh["old_refresh_token_introspected"] == {"active": False}
    assert refresh["new_refresh_token_introspected"]["active"] is True

    access = first["revocation"]["access_token"]
    assert access["before"]["active"] is True
    assert access["status"] == 200
    assert access["after"] == {"active": False}
    assert access["userinfo_after"] == 401
    assert access["refresh_token_still_active"] is True

    refresh_revocation = first["revocation"]["refresh_token"]
    assert refresh_revocation["before"]["active"] is True
    assert refresh_revocation["status"] == 200
    assert refresh_revocation["after"] == {"active": False}
    assert refresh_revocation["refresh_after"] == "invalid_grant"
    assert refresh_revocation["first_access_token_after"] == {"active": False}
    assert first["revocation"]["unknown_token_status"] == 200

    second = report["second"]
    assert second["pages"] == []  # single sign-on: no sign-in page, consent already given
    assert second["sub"] == id_token["sub"]
    assert second["auth_time"] == id_token["auth_time"]  # the same authentication event
    assert second["sid"] == id_token["sid"]  # the same SSO session
    assert second["replayed_refresh"] == "invalid_grant"
    assert second["rotated_refresh_token_after_replay"] == {"active": False}
