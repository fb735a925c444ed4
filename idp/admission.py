"""Admission to the app's threads: a request's body is read before the request takes one of them.

granian (2.8.9) gives a WSGI application the request body as a stream that the application's thread
reads while the client sends it, and nothing times that read: granian times only the request headers
(``header_read_timeout``), and refused to add a body timeout (its issue #728). A client that announces
a body and never sends it keeps the thread that reads it until the client goes away. Python cannot
give up such a read either: measured, a read left behind in another thread still keeps granian's
thread busy after the application has answered, until the body ends.

So reading a body and running the app are kept apart. granian runs ``threads + READERS`` threads;
a request with a body first reads it on its own thread, then waits for one of the app's ``threads``
(1 on SQLite, 4 on PostgreSQL, chosen by measurement: docs/performance.md). A stalled body holds one
reading thread and no app thread, and other requests go on being served. At most ``READERS`` bodies
are read at a time; past that a request with a body is answered 503 at once instead of reading, so
that stalled connections can never take the threads that run the app. docs/deployment.md says what a
buffering reverse proxy adds: slow clients never reach the service at all.
"""

from __future__ import annotations

import io
import os
import threading
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask

from . import context
from .config import Settings

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

#: Request bodies read at the same time, per worker: each one read from a stalled client keeps a thread.
READERS = 64

#: How ``idp serve`` tells its workers the number of app threads (outside ``IDP_*``: not a setting).
THREADS_VARIABLE = "_IDP_SERVE_THREADS"

_BUSY = b"Too many requests are still sending their body; try again shortly.\n"


def default_threads(settings: Settings) -> int:
    """1 on SQLite (one writer at a time anyway), 4 on PostgreSQL; see idp/cli/serve.py."""
    embedded = not settings.database_url or settings.database_url.startswith("sqlite")
    return 1 if embedded else 4


class FairGate:
    """At most *size* holders at once, admitted strictly in the order they arrived.

    A plain semaphore or queue wakes an arbitrary waiter, so under load some requests wait far longer
    than others (measured: a p99 three times the median's neighbours). Here a release hands its place
    to the oldest waiter directly."""

    def __init__(self, size: int) -> None:
        self._free = size
        self._waiting: deque[threading.Lock] = deque()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        with self._lock:
            if self._free:
                self._free -= 1
                return
            turn = threading.Lock()
            turn.acquire()
            self._waiting.append(turn)
        turn.acquire()  # released by the holder that hands over its place

    def release(self) -> None:
        with self._lock:
            if self._waiting:
                self._waiting.popleft().release()
            else:
                self._free += 1


class Admission:
    """WSGI middleware: reads a request's body, then lets the request into one of ``threads`` app threads."""

    def __init__(self, inner: WSGIApp, *, threads: int, readers: int, max_body: int) -> None:
        self._inner = inner
        self._app_threads = FairGate(threads)
        self._readers = threading.Semaphore(readers)
        self._max_body = max_body

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if _has_body(environ):
            if not self._readers.acquire(blocking=False):
                return _busy(start_response)
            try:
                self._read_body(environ)
            finally:
                self._readers.release()
        self._app_threads.acquire()
        try:
            return self._inner(environ, start_response)
        finally:
            self._app_threads.release()

    def _read_body(self, environ: dict[str, Any]) -> None:
        """Replace the stream by the bytes it had; a body declared too large is left unread for the app to refuse."""
        try:
            length = int(environ.get("CONTENT_LENGTH") or -1)
        except ValueError:
            return
        if length > self._max_body:
            return
        stream = environ["wsgi.input"]
        environ["wsgi.input"] = io.BytesIO(stream.read(length if length >= 0 else self._max_body + 1))


def _has_body(environ: dict[str, Any]) -> bool:
    """Whether the request may carry a body. An HTTP/1 request says so in its headers; HTTP/2 may not."""
    if environ.get("CONTENT_LENGTH", "0") not in ("", "0") or "HTTP_TRANSFER_ENCODING" in environ:
        return True
    return not str(environ.get("SERVER_PROTOCOL", "")).startswith("HTTP/1")


def _busy(start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response(
        "503 Service Unavailable",
        [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(_BUSY))),
            ("Retry-After", "1"),
            ("Connection", "close"),
        ],
    )
    return [_BUSY]


def install(app: Flask) -> None:
    """Put admission in front of everything else; app threads from ``idp serve``, else the default."""
    settings = context.settings(app)
    threads = int(os.environ.get(THREADS_VARIABLE) or default_threads(settings))
    app.wsgi_app = Admission(  # type: ignore[method-assign]
        app.wsgi_app, threads=threads, readers=READERS, max_body=settings.max_content_length
    )
