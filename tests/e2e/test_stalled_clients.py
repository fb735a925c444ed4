"""Over real HTTP: clients that stall cannot stop ``idp serve`` (on SQLite it runs the app on one thread).

A request that announces a body and never sends it holds one of granian's reading threads, never an
app thread (``idp.admission``); past ``READERS`` of them a request with a body is refused at once.
Request headers that never end are cut off by granian's header timeout. Every wait here is bounded by
a few seconds: without admission the first request after a stalled body never got an answer.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from idp.admission import READERS
from idp.cli.serve import HEADER_TIMEOUT_SECONDS

pytestmark = pytest.mark.slow

#: Time for any answer: with one app thread and nothing else to do, the server needs milliseconds.
ANSWER_SECONDS = 3
#: Time for a request to reach the app after its headers were sent.
DISPATCH_SECONDS = 0.5

BODY_ANNOUNCED = (
    b"POST /token HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ngrant_type="
)
REST_OF_BODY = b"x" * (100 - len(b"grant_type="))
TOKEN_REQUEST = {"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "wrong"}


@contextmanager
def connection(issuer: str, sent: bytes) -> Iterator[socket.socket]:
    address = urlsplit(issuer)
    with socket.create_connection((address.hostname, address.port), timeout=ANSWER_SECONDS) as sock:
        sock.sendall(sent)
        yield sock


def status_line(sock: socket.socket) -> bytes:
    received = b""
    while b"\r\n" not in received:
        chunk = sock.recv(4096)  # the socket's timeout bounds the wait
        if not chunk:
            break
        received += chunk
    return received.split(b"\r\n", 1)[0]


def others_are_served(issuer: str) -> None:
    """Discovery (answered in front of Flask), a page, and the token endpoint with a body that does come."""
    discovery = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=ANSWER_SECONDS)
    assert discovery.status_code == 200
    assert requests.get(f"{issuer}/login", timeout=ANSWER_SECONDS).status_code == 200
    token = requests.post(f"{issuer}/token", data=TOKEN_REQUEST, timeout=ANSWER_SECONDS)
    assert (token.status_code, token.json()["error"]) == (400, "invalid_client")


def test_a_client_that_never_sends_its_body_does_not_stop_the_others(server: tuple[str, Path]) -> None:
    issuer, _log = server
    with connection(issuer, BODY_ANNOUNCED) as stalled, connection(issuer, BODY_ANNOUNCED) as also_stalled:
        time.sleep(DISPATCH_SECONDS)
        others_are_served(issuer)
        # Its request goes on as soon as its body comes, like any other.
        stalled.sendall(REST_OF_BODY)
        assert status_line(stalled) == b"HTTP/1.1 400 Bad Request"
        also_stalled.sendall(REST_OF_BODY)
        assert status_line(also_stalled) == b"HTTP/1.1 400 Bad Request"


def test_past_the_readers_a_body_is_refused_at_once_and_the_rest_still_served(server: tuple[str, Path]) -> None:
    issuer, _log = server
    with ExitStack() as stalled:
        for _ in range(READERS):
            stalled.enter_context(connection(issuer, BODY_ANNOUNCED))
        deadline = time.monotonic() + ANSWER_SECONDS
        while (
            answer := requests.post(f"{issuer}/token", data=TOKEN_REQUEST, timeout=ANSWER_SECONDS)
        ).status_code != 503:
            assert time.monotonic() < deadline, f"a body was still read: {answer.status_code}"
            time.sleep(0.1)
        assert answer.headers["Retry-After"] == "1"
        assert requests.get(f"{issuer}/login", timeout=ANSWER_SECONDS).status_code == 200
    # The stalled clients went away: their reading threads are free again.
    deadline = time.monotonic() + ANSWER_SECONDS
    while (answer := requests.post(f"{issuer}/token", data=TOKEN_REQUEST, timeout=ANSWER_SECONDS)).status_code == 503:
        assert time.monotonic() < deadline, "the reading threads were not given back"
        time.sleep(0.1)
    assert answer.json()["error"] == "invalid_client"


def test_headers_that_never_end_are_cut_off(server: tuple[str, Path]) -> None:
    issuer, _log = server
    with connection(issuer, b"POST /token HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ") as slow:
        slow.settimeout(HEADER_TIMEOUT_SECONDS + ANSWER_SECONDS)
        started = time.monotonic()
        others_are_served(issuer)
        assert slow.recv(4096) == b""  # closed by the server, without an answer
        assert time.monotonic() - started < HEADER_TIMEOUT_SECONDS + 1
