"""Admission (``idp.admission``): a body is read before its request takes an app thread.

Over real HTTP, against ``idp serve``, in tests/idp/test_cli_serve.py.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from idp.admission import Admission

WAIT = 5


class StalledBody:
    """A request body whose client has not sent it: ``read`` blocks until ``arrive``."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._arrived = threading.Event()
        self.reading = threading.Event()

    def read(self, size: int = -1) -> bytes:
        self.reading.set()
        assert self._arrived.wait(WAIT), "the body never arrived"
        return self._data if size < 0 else self._data[:size]

    def arrive(self) -> None:
        self._arrived.set()


class Unreadable:
    def read(self, size: int = -1) -> bytes:
        raise AssertionError("the body must not be read")


def echo(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Answers with the body of a POST; a GET's body is not read, by the app or (Unreadable) by admission."""
    body = environ["wsgi.input"].read() if environ["REQUEST_METHOD"] == "POST" else b""
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [body]


def request(method: str = "GET", body: Any = None, **extra: str) -> dict[str, Any]:
    environ: dict[str, Any] = {"REQUEST_METHOD": method, "SERVER_PROTOCOL": "HTTP/1.1", **extra}
    environ["wsgi.input"] = body if body is not None else Unreadable()
    return environ


def call(app: Admission, environ: dict[str, Any]) -> tuple[str, dict[str, str], bytes]:
    answer: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        answer.update(status=status, headers=dict(headers))

    body = b"".join(app(environ, start_response))
    return answer["status"], answer["headers"], body


def in_thread(app: Admission, environ: dict[str, Any]) -> tuple[threading.Thread, list[Any]]:
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(call(app, environ)), daemon=True)
    thread.start()
    return thread, result


def test_a_stalled_body_holds_no_app_thread() -> None:
    app = Admission(echo, threads=1, readers=4, max_body=1024)
    stalled = StalledBody(b"late")
    thread, result = in_thread(app, request("POST", stalled, CONTENT_LENGTH="4"))
    assert stalled.reading.wait(WAIT)
    # The only app thread is free: a request without a body, and one whose body has come, are served.
    assert call(app, request()) == ("200 OK", {"Content-Type": "text/plain"}, b"")
    assert call(app, request("POST", io.BytesIO(b"now"), CONTENT_LENGTH="3"))[2] == b"now"
    stalled.arrive()
    thread.join(WAIT)
    assert result == [("200 OK", {"Content-Type": "text/plain"}, b"late")]


def test_past_the_readers_a_request_with_a_body_is_refused_at_once() -> None:
    app = Admission(echo, threads=1, readers=2, max_body=1024)
    stalled = [StalledBody(b"x") for _ in range(2)]
    threads = [in_thread(app, request("POST", body, CONTENT_LENGTH="1"))[0] for body in stalled]
    for body in stalled:
        assert body.reading.wait(WAIT)
    status, headers, _ = call(app, request("POST", Unreadable(), CONTENT_LENGTH="1"))
    assert status == "503 Service Unavailable"
    assert headers["Connection"] == "close" and headers["Retry-After"] == "1"
    assert call(app, request())[0] == "200 OK"  # requests without a body are still served
    for body in stalled:
        body.arrive()
    for thread in threads:
        thread.join(WAIT)
    assert call(app, request("POST", io.BytesIO(b"y"), CONTENT_LENGTH="1"))[2] == b"y"  # readers given back


def test_a_body_declared_too_large_is_left_for_the_app_to_refuse() -> None:
    seen: list[Any] = []

    def refuse(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        seen.append(environ["wsgi.input"])
        start_response("413 Request Entity Too Large", [])
        return [b""]

    unread = Unreadable()
    app = Admission(refuse, threads=1, readers=1, max_body=10)
    assert call(app, request("POST", unread, CONTENT_LENGTH="11"))[0].startswith("413")
    assert seen == [unread]


def test_a_body_without_a_length_is_read_up_to_one_byte_past_the_limit() -> None:
    app = Admission(echo, threads=1, readers=1, max_body=10)
    chunked = request("POST", io.BytesIO(b"x" * 50), HTTP_TRANSFER_ENCODING="chunked")
    assert call(app, chunked)[2] == b"x" * 11  # enough for the app to see that it is too large
    assert call(app, request("POST", io.BytesIO(b"h2 body"), SERVER_PROTOCOL="HTTP/2"))[2] == b"h2 body"


def test_an_app_thread_is_given_back_when_the_app_raises() -> None:
    def fail(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        raise RuntimeError("boom")

    app = Admission(fail, threads=1, readers=1, max_body=10)
    for _ in range(2):  # the second call would wait forever if the first had kept the thread
        with pytest.raises(RuntimeError):
            call(app, request())
