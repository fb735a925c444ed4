"""A provider served as deployed: ``idp serve`` on a free port of 127.0.0.1, seeded through the domain API.

Shared by the end-to-end tests (an independent relying party over HTTP) and the browser tests.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from flask import Flask

from clients import ClientSpec, register_client
from identity.accounts import activate_account, open_account
from idp import context, create_app
from idp.context import session_factory
from idp.migrate import upgrade_database
from tests import factories
from tests.conftest import TEST_ARGON2, make_settings

ROOT = Path(__file__).resolve().parents[1]
#: ``idp`` as its console script runs it, but by this interpreter from this checkout (the server's working
#: directory): the code under test is served even from a second work tree of the same virtualenv.
IDP = [sys.executable, "-c", "from idp.cli import main; main()"]
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
    context.engine(app).dispose()


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
            hasher=context.hasher(app),
            policy=context.password_policy(app),
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


@dataclass
class ServedProvider:
    """One ``idp serve`` process: where it listens (*url*), the issuer it serves (the same unless several
    processes serve one issuer), its log and the environment it runs in (for ``idp`` commands beside it)."""

    url: str
    issuer: str
    log: Path
    environment: dict[str, str]

    def command(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """Run ``idp ARGS`` against the server's database and configuration."""
        return subprocess.run(
            [*IDP, *args], cwd=ROOT, env=self.environment, capture_output=True, text=True, timeout=timeout, check=False
        )


@contextmanager
def serving(
    provider_app: Flask,
    directory: Path,
    *,
    name: str = "server",
    issuer: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Iterator[ServedProvider]:
    """``idp serve`` on a free port, with *environ* added to its ``IDP_*`` settings and *issuer* when it is
    not the address it listens on; always stopped (terminate, then kill) on leaving."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    database_url = context.settings(provider_app).database_url
    environment = server_environment(database_url, issuer or url, directory / f"{name}-instance")
    environment.update(environ or {})
    log = directory / f"{name}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*IDP, "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its workers form one process group with it
        )
    try:
        wait_until_serving(process, url, log)
        yield ServedProvider(url, issuer or url, log, environment)
    finally:
        stop(process)


@pytest.fixture
def server(provider_app: Flask, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """``idp serve`` on a free port; always stopped (terminate, then kill) when the test ends."""
    with serving(provider_app, tmp_path) as provider:
        yield provider.issuer, provider.log


def wait_until_serving(process: subprocess.Popen[bytes], issuer: str, log: Path) -> None:
    """Until discovery answers at *issuer* (the address the process listens on)."""
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
