"""The discovery and JWKS responses replayed in front of Flask are exactly Flask's, and follow key rotations."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import Client

import idp.cli
from idp import context, create_app
from idp.config import Settings
from idp.published_documents import DISCOVERY_PATH, JWKS_PATH, PublishedDocuments, install


class Counting:
    """A WSGI app that counts the requests that reach it."""

    def __init__(self, inner: Callable[..., Iterable[bytes]]) -> None:
        self.inner = inner
        self.paths: list[str] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        self.paths.append(environ["PATH_INFO"])
        return self.inner(environ, start_response)


@pytest.fixture
def served(app: Flask, settings: Settings) -> Flask:
    """A fresh app with the middleware installed, as ``idp.wsgi`` serves it (on the suite's migrated database)."""
    application = create_app(settings)
    install(application)
    return application


def as_tuple(response: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    return response.status_code, sorted(response.headers.items()), response.get_data()


@pytest.mark.parametrize("path", [DISCOVERY_PATH, JWKS_PATH])
def test_replayed_response_is_flasks_own(served: Flask, path: str) -> None:
    first, second = served.test_client().get(path), served.test_client().get(path)
    flask_answer = served.test_client().get(path, query_string="x=1")  # a query string always reaches Flask
    assert as_tuple(first) == as_tuple(second) == as_tuple(flask_answer)
    assert "Content-Security-Policy" in second.headers
    assert second.headers["ETag"]


def test_second_request_does_not_reach_flask(app: Flask) -> None:
    inner = Counting(app.wsgi_app)
    keyring = context.keyring(app)
    client = Client(PublishedDocuments(inner, {JWKS_PATH: lambda: keyring.jwks_document()[1]}))
    for _ in range(3):
        assert client.get(JWKS_PATH).status_code == 200
    assert inner.paths == [JWKS_PATH]


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"method": "HEAD"},
        {"query_string": "x=1"},
        {"headers": {"If-None-Match": '"anything"'}},
    ],
)
def test_other_requests_always_reach_flask(app: Flask, request_kwargs: dict[str, Any]) -> None:
    inner = Counting(app.wsgi_app)
    etag = context.discovery_document(app)[1]
    client = Client(PublishedDocuments(inner, {DISCOVERY_PATH: lambda: etag}))
    client.get(DISCOVERY_PATH)
    client.open(DISCOVERY_PATH, **request_kwargs)
    client.open(DISCOVERY_PATH, **request_kwargs)
    assert len(inner.paths) == 3


def test_conditional_request_still_gets_304(served: Flask) -> None:
    browser = served.test_client()
    etag = browser.get(DISCOVERY_PATH).headers["ETag"]
    assert browser.get(DISCOVERY_PATH, headers={"If-None-Match": etag}).status_code == 304


def test_new_version_is_fetched_from_flask_again() -> None:
    version, bodies = ["v1"], iter([b"first", b"second"])

    def inner(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "application/json")])
        return [next(bodies)]

    client = Client(PublishedDocuments(inner, {JWKS_PATH: lambda: version[0]}))
    assert client.get(JWKS_PATH).get_data() == b"first"
    assert client.get(JWKS_PATH).get_data() == b"first"
    version[0] = "v2"
    assert client.get(JWKS_PATH).get_data() == b"second"
    assert client.get(JWKS_PATH).get_data() == b"second"


@pytest.mark.parametrize("headers", [[("Set-Cookie", "a=b")], [("Vary", "Origin")]], ids=["per-browser", "negotiated"])
def test_personal_or_negotiated_responses_are_not_kept(headers: list[tuple[str, str]]) -> None:
    calls = []

    def inner(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        calls.append(1)
        start_response("200 OK", headers)
        return [b"{}"]

    client = Client(PublishedDocuments(inner, {DISCOVERY_PATH: lambda: "v"}))
    client.get(DISCOVERY_PATH)
    client.get(DISCOVERY_PATH)
    assert len(calls) == 2


def test_errors_are_not_kept() -> None:
    calls = []

    def inner(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        calls.append(1)
        start_response("500 INTERNAL SERVER ERROR", [])
        return [b"{}"]

    client = Client(PublishedDocuments(inner, {DISCOVERY_PATH: lambda: "v"}))
    assert client.get(DISCOVERY_PATH).status_code == 500
    client.get(DISCOVERY_PATH)
    assert len(calls) == 2


def test_jwks_follows_a_key_rotation(served: Flask) -> None:
    browser = served.test_client()
    before = browser.get(JWKS_PATH)
    result = served.test_cli_runner().invoke(idp.cli.cli, ["keys", "rotate", "--reason", "test", "--force"])
    assert result.exit_code == 0, result.output
    context.keyring(served).refresh()
    after = browser.get(JWKS_PATH)
    assert after.headers["ETag"] != before.headers["ETag"]
    flask_answer = served.test_client().get(JWKS_PATH, query_string="fresh=1")  # straight through Flask
    assert after.get_data() == flask_answer.get_data()
