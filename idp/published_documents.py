"""Discovery and JWKS answered in front of Flask, from a response Flask itself produced once.

The two documents change only with the configuration or at a key rotation, yet relying parties
fetch them often. Measured on one core (docs/performance.md), Flask's request context, routing and
response hooks cost several times what granian needs to move the bytes, so this WSGI middleware
keeps each document's complete response (status, every header the app adds, body) and replays it.

Nothing about the response is written twice: the first plain GET of a document at a given version
goes through Flask as usual, and that response is what is kept. The version is the document's
ETag (the discovery document is fixed per process; the JWKS ETag changes when the key ring does),
so a rotation is served from the key ring's next refresh on, exactly as through Flask. Conditional
requests, HEAD, query strings and every other path always go to Flask.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import Flask

from . import context

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

DISCOVERY_PATH = "/.well-known/openid-configuration"
JWKS_PATH = "/jwks.json"


@dataclass(frozen=True, slots=True)
class _Kept:
    version: str
    status: str
    headers: list[tuple[str, str]]
    body: bytes


class PublishedDocuments:
    """WSGI middleware over the app's own ``wsgi_app``; install with :func:`install`."""

    def __init__(self, inner: WSGIApp, versions: dict[str, Callable[[], str]]) -> None:
        self._inner = inner
        self._versions = versions
        self._kept: dict[str, _Kept] = {}
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        version_of = self._versions.get(path)
        if (
            version_of is None
            or environ.get("REQUEST_METHOD") != "GET"
            or environ.get("QUERY_STRING")
            or "HTTP_IF_NONE_MATCH" in environ
        ):
            return self._inner(environ, start_response)
        try:
            version = version_of()
        except Exception:  # the keys cannot be loaded (no database yet): Flask answers, by the error mapper
            return self._inner(environ, start_response)
        kept = self._kept.get(path)
        if kept is None or kept.version != version:
            return self._through_flask(path, version, environ, start_response)
        start_response(kept.status, list(kept.headers))
        return [kept.body]

    def _through_flask(
        self, path: str, version: str, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], Any]:
            captured.update(status=status, headers=list(headers))
            return start_response(status, headers, exc_info)

        chunks = self._inner(environ, capture)
        try:
            body = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        if _reusable(captured.get("status", ""), captured.get("headers", [])):
            with self._lock:
                self._kept[path] = _Kept(version, captured["status"], captured["headers"], body)
        return [body]


def _reusable(status: str, headers: list[tuple[str, str]]) -> bool:
    """Only a plain 200 that is the same for every client: nothing per browser, nothing negotiated."""
    names = {name.lower() for name, _ in headers}
    return status.startswith("200 ") and not names & {"set-cookie", "vary"}


def install(app: Flask) -> None:
    """Put the middleware in front of the app's own WSGI callable (the HTTP server's entry point).

    In front of everything the factory put there too, the proxy fix (``IDP_TRUSTED_PROXIES``) included:
    what it replays depends on the path and method only, nothing a proxy forwards."""
    discovery_etag = context.discovery_document(app)[1]
    keyring = context.keyring(app)
    app.wsgi_app = PublishedDocuments(  # type: ignore[method-assign]
        app.wsgi_app,
        {DISCOVERY_PATH: lambda: discovery_etag, JWKS_PATH: lambda: keyring.jwks_document()[1]},
    )
