"""The one place that turns errors into responses: clear 4xx sentences, opaque 5xx pages."""

from __future__ import annotations

import logging
import uuid

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger("idp.errors")


def setup_errors(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)


def _http_error(error: HTTPException):  # type: ignore[no-untyped-def]
    response = jsonify(error="http_error", message=error.description or error.name)
    response.status_code = error.code or 500
    return response


def _unexpected_error(error: Exception):  # type: ignore[no-untyped-def]
    """Log the traceback with a request id; the caller sees only the id, never internals."""
    request_id = uuid.uuid4().hex
    log.exception("unhandled error %s on %s %s", request_id, request.method, request.path)
    response = jsonify(error="server_error", message="An internal error occurred.", request_id=request_id)
    response.status_code = 500
    return response
