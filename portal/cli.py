"""``portal`` (or ``python -m portal``): serve one portal instance, configured by ``PORTAL_*`` variables.

Werkzeug's threaded server in this one process: requests are served side by side, and the provider and
several portals run at once on one machine. It is a demonstration, not a production server.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys

from werkzeug.serving import WSGIRequestHandler, make_server

from .config import ConfigError, load_settings


class RequestLog(WSGIRequestHandler):
    """One plain line per request, without the query string: the redirect URI's carries an authorization
    code, the front-channel logout's a session id."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path = getattr(self, "path", "").split("?", 1)[0]
        self.log("info", "%s %s %s", getattr(self, "command", "-"), path.translate(self._control_char_table), code)


def main(argv: list[str] | None = None) -> None:
    argparse.ArgumentParser(
        prog="portal",
        description="Serve a reference portal that signs citizens in with the national e-ID.",
        epilog="Configured by PORTAL_* environment variables; see docs/portal.md.",
    ).parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        settings = load_settings()
    except ConfigError as error:
        print(f"portal: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    from .app import create_app

    server = make_server(settings.host, settings.port, create_app(settings), threaded=True, request_handler=RequestLog)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"{settings.name}: {settings.base_url}/", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
