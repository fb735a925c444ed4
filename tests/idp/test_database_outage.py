"""The database goes away: 503 with Retry-After, one log line per failing request, and service resumes by itself.

PostgreSQL only: the provider reaches the suite's database through a TCP forwarder (``tests/forwarder.py``)
that the tests cut and restore; the real server is never touched. The app under test is built as
``idp.wsgi`` serves it, with the published documents replayed in front of Flask.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from flask import Flask, Response
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from werkzeug.test import TestResponse

import identity.db
from idp import context, create_app
from idp.context import session_factory
from idp.migrate import upgrade_database
from idp.published_documents import DISCOVERY_PATH, JWKS_PATH, install
from idp.sso.models import Grant, RefreshToken
from tests.conftest import make_settings
from tests.forwarder import Forwarder
from tests.idp.conftest import Citizen, Portal, authorize, exchange
from tests.idp.flows import sign_in_directly, tokens, userinfo
from tests.served import IDP, ROOT, free_port, seed, server_environment, stop, wait_until_serving

pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("IDP_TEST_DATABASE_URL", "").startswith(("postgresql", "postgres:")),
        reason="a database outage is simulated by cutting a TCP connection: PostgreSQL only "
        "(set IDP_TEST_DATABASE_URL to a PostgreSQL database)",
    ),
    pytest.mark.slow,
]

#: How long service may take to resume once the database is back.
RESUME_SECONDS = 5


@pytest.fixture
def forwarder(database_url: str) -> Iterator[Forwarder]:
    url = make_url(database_url)
    relay = Forwarder((url.host or "127.0.0.1", url.port or 5432))
    relay.start()
    yield relay
    relay.stop()


def build_app(database_url: str, relay: Forwarder, instance: Path) -> Flask:
    """The service as served (``idp.wsgi``), on the suite's database reached through the forwarder."""
    forwarded = make_url(database_url).set(host=relay.address[0], port=relay.port)
    application = create_app(make_settings(forwarded.render_as_string(hide_password=False), instance))
    install(application)
    return application


@pytest.fixture
def served(app: Flask, database_url: str, forwarder: Forwarder, tmp_path: Path) -> Iterator[Flask]:
    """Uses ``app`` so that the database is migrated first and emptied after the test."""
    application = build_app(database_url, forwarder, tmp_path)
    upgrade_database(application)
    context.keyring(application).refresh()
    yield application
    context.engine(application).dispose()


@pytest.fixture
def browser(served: Flask) -> FlaskClient:
    return served.test_client()


@pytest.fixture
def logged(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO)
    return caplog


def assert_unavailable_json(response: TestResponse) -> None:
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.get_json()["error"] == "temporarily_unavailable"
    assert int(response.headers["Retry-After"]) > 0
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"  # answered with every response header


def assert_unavailable_page(response: TestResponse) -> None:
    html = response.get_data(as_text=True)
    assert response.status_code == 503, html
    assert int(response.headers["Retry-After"]) > 0
    assert response.mimetype == "text/html"
    assert '<html lang="vi"' in html
    assert "Content-Security-Policy" in response.headers
    for technical in ("Traceback", "psycopg", "sqlalchemy", "OperationalError", "connection"):
        assert technical not in html


def assert_one_line_per_failure(caplog: pytest.LogCaptureFixture, failures: int) -> None:
    """``idp.errors`` has one error line per failing request; nothing anywhere has a traceback."""
    lines = [r for r in caplog.records if r.name == "idp.errors" and r.levelno >= logging.ERROR]
    assert len(lines) == failures, [r.getMessage() for r in lines]
    assert all(r.getMessage().startswith("database unavailable on ") for r in lines)
    assert all("\n" not in r.getMessage() for r in lines)
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []
    assert "Traceback" not in caplog.text


def until_resumed(request: Callable[[], TestResponse], expected: int = 200) -> tuple[TestResponse, int]:
    """Repeat *request* until it answers *expected*; returns that answer and how many failed before it."""
    deadline = time.monotonic() + RESUME_SECONDS
    failed = 0
    while True:
        response = request()
        if response.status_code == expected or time.monotonic() > deadline:
            return response, failed
        assert response.status_code == 503, response.get_data(as_text=True)
        failed += 1
        time.sleep(0.1)


def test_portals_get_503_json_and_service_resumes(
    served: Flask, browser: FlaskClient, forwarder: Forwarder, portal: Portal, citizen: Citizen, logged
) -> None:
    query, verifier = authorize(browser, portal, citizen)
    access_token = tokens(browser, portal, citizen)["access_token"]
    logged.clear()

    forwarder.stop()
    assert_unavailable_json(exchange(browser, portal, query["code"], verifier))
    assert_unavailable_json(userinfo(browser, access_token))
    assert_unavailable_json(exchange(browser, portal, query["code"], verifier))
    assert_one_line_per_failure(logged, 3)

    forwarder.start()
    response, failed = until_resumed(lambda: exchange(browser, portal, query["code"], verifier))
    assert response.status_code == 200 and failed == 0, response.get_data(as_text=True)
    assert "id_token" in response.get_json()  # the code had not been spent by the failed attempts
    assert userinfo(browser, access_token).status_code == 200


def test_pages_that_need_the_database_show_the_error_page(
    served: Flask, browser: FlaskClient, forwarder: Forwarder, citizen: Citizen, logged
) -> None:
    assert sign_in_directly(browser, citizen).status_code == 303  # the browser now has an SSO session cookie
    assert browser.get("/").status_code == 200
    logged.clear()

    forwarder.stop()
    assert_unavailable_page(browser.get("/"))  # looks the SSO session up
    login = browser.get("/login")  # needs no database: the form still shows
    assert login.status_code == 200
    assert_unavailable_page(sign_in_directly(browser, citizen))
    assert_one_line_per_failure(logged, 2)

    forwarder.start()
    response, failed = until_resumed(lambda: browser.get("/"))
    assert response.status_code == 200 and failed == 0


def test_published_documents_keep_answering(served: Flask, browser: FlaskClient, forwarder: Forwarder, logged) -> None:
    fetched = {path: browser.get(path) for path in (DISCOVERY_PATH, JWKS_PATH)}
    forwarder.stop()
    for path, before in fetched.items():
        for query in ("", "x=1"):  # replayed in front of Flask, and through Flask
            response = browser.get(path, query_string=query)
            assert response.status_code == 200, (path, response.get_data(as_text=True))
            assert response.get_data() == before.get_data()
    assert_one_line_per_failure(logged, 0)


def test_published_documents_while_the_key_ring_ages(
    served: Flask, browser: FlaskClient, forwarder: Forwarder, logged, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the key ring's cache lifetime its refresh fails in the background: the keys it has stay
    published, and the log says so in one line, not with a traceback every few seconds."""
    keyring = context.keyring(served)
    jwks = browser.get(JWKS_PATH).get_data()
    forwarder.stop()
    later = keyring.now() + dt.timedelta(seconds=keyring.policy.cache_ttl + 1)
    monkeypatch.setattr(keyring, "_clock", lambda: later)
    monkeypatch.setattr(keyring, "_spawn", lambda work: work())  # the refresh runs inline, now
    for query in ("", "x=1"):
        response = browser.get(JWKS_PATH, query_string=query)
        assert response.status_code == 200
        assert response.get_data() == jwks
    refresh_lines = [r for r in logged.records if r.name.startswith("keys")]
    assert len(refresh_lines) == 1, [r.getMessage() for r in refresh_lines]
    assert_one_line_per_failure(logged, 0)


def test_started_while_the_database_is_away(
    app: Flask, database_url: str, forwarder: Forwarder, tmp_path: Path, logged
) -> None:
    """A process that starts during the outage answers what needs no database, 503 for the rest, and
    loads its keys when the database is back."""
    forwarder.stop()
    application = build_app(database_url, forwarder, tmp_path)
    try:
        browser = application.test_client()
        assert browser.get(DISCOVERY_PATH).status_code == 200
        assert browser.get("/login").status_code == 200
        assert_unavailable_json(browser.get(JWKS_PATH))
        assert_unavailable_json(browser.get(JWKS_PATH, query_string="x=1"))
        assert_one_line_per_failure(logged, 2)

        forwarder.start()
        response, failed = until_resumed(lambda: browser.get(JWKS_PATH))
        assert failed == 0
        assert response.get_json()["keys"]
    finally:
        context.engine(application).dispose()


def test_quiet_outage_costs_at_most_one_request(
    served: Flask, browser: FlaskClient, forwarder: Forwarder, portal: Portal, citizen: Citizen, logged
) -> None:
    """The database restarts while no request comes: the pooled connections are dead, which the first
    request finds out (503); the pool is then renewed, and the next request works."""
    access_token = tokens(browser, portal, citizen)["access_token"]
    forwarder.stop()
    forwarder.start()
    response, failed = until_resumed(lambda: userinfo(browser, access_token))
    assert response.status_code == 200
    assert failed <= 1
    assert_one_line_per_failure(logged, failed)


def test_a_database_that_stops_answering(
    app: Flask,
    database_url: str,
    forwarder: Forwarder,
    tmp_path: Path,
    portal: Portal,
    citizen: Citizen,
    logged,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Connections are accepted but never answered (a hung host): a request is refused after the connect
    timeout, not after psycopg's two minutes."""
    monkeypatch.setattr(identity.db, "CONNECT_TIMEOUT_SECONDS", 2)
    application = build_app(database_url, forwarder, tmp_path)
    try:
        browser = application.test_client()
        query, verifier = authorize(browser, portal, citizen)
        logged.clear()
        forwarder.hang()
        started = time.monotonic()
        assert_unavailable_json(exchange(browser, portal, query["code"], verifier))  # its connection was reset
        assert_unavailable_json(exchange(browser, portal, query["code"], verifier))  # a new one times out
        assert time.monotonic() - started < 2 + 3
        assert_one_line_per_failure(logged, 2)

        forwarder.stop()
        forwarder.start()
        response, failed = until_resumed(lambda: exchange(browser, portal, query["code"], verifier))
        assert failed == 0
        assert "id_token" in response.get_json()
    finally:
        context.engine(application).dispose()


def test_connection_lost_before_the_commit(
    app: Flask, served: Flask, browser: FlaskClient, forwarder: Forwarder, portal: Portal, citizen: Citizen, logged
) -> None:
    """The view has written, then the connection dies before the commit after it: 503, not 500, and
    none of its writes stand."""
    cut_before_commit = False

    @served.after_request  # runs before the commit hook, which was registered first
    def _cut(response: Response) -> Response:
        if cut_before_commit:
            forwarder.stop()
        return response

    query, verifier = authorize(browser, portal, citizen)
    logged.clear()
    cut_before_commit = True
    assert_unavailable_json(exchange(browser, portal, query["code"], verifier))
    cut_before_commit = False
    assert_one_line_per_failure(logged, 1)
    with session_factory(app)() as session:
        assert session.scalar(select(func.count()).select_from(Grant)) == 0
        assert session.scalar(select(func.count()).select_from(RefreshToken)) == 0

    forwarder.start()
    response, failed = until_resumed(lambda: exchange(browser, portal, query["code"], verifier))
    assert failed == 0
    assert "id_token" in response.get_json()  # the code was not spent


def test_over_http_with_idp_serve(app: Flask, database_url: str, forwarder: Forwarder, tmp_path: Path) -> None:
    """``idp serve`` as deployed: 503 JSON from the token endpoint, published documents still served, one
    log line per failing request in the server's output, and service back without a restart."""
    application = build_app(database_url, forwarder, tmp_path / "setup")
    upgrade_database(application)
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    seeded = seed(application, f"{issuer}/callback")
    forwarded_url = context.settings(application).database_url
    context.engine(application).dispose()
    log = tmp_path / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*IDP, "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=server_environment(forwarded_url, issuer, tmp_path / "instance"),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until_serving(process, issuer, log)
        documents = {path: requests.get(issuer + path, timeout=5).content for path in (DISCOVERY_PATH, JWKS_PATH)}

        def token_request() -> requests.Response:
            return requests.post(
                f"{issuer}/token",
                data={"grant_type": "authorization_code", "code": "no-such-code", "redirect_uri": seeded.redirect_uri},
                auth=(seeded.client_id, seeded.secret),
                timeout=10,
            )

        assert token_request().status_code == 400  # the database answered: no such code
        forwarder.stop()
        for _ in range(3):
            response = token_request()
            assert response.status_code == 503, response.text
            assert response.json()["error"] == "temporarily_unavailable"
            assert int(response.headers["Retry-After"]) > 0
        for path, body in documents.items():
            response = requests.get(issuer + path, timeout=5)
            assert response.status_code == 200
            assert response.content == body

        forwarder.start()
        deadline = time.monotonic() + RESUME_SECONDS
        while (status := token_request().status_code) == 503 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert status == 400
    finally:
        stop(process)
    output_text = log.read_text()
    assert "Traceback" not in output_text, output_text
    assert output_text.count("database unavailable on POST /token") == 3, output_text
