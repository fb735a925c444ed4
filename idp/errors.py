"""The one place where errors become answers.

* API endpoints (token, PAR, revocation, introspection, userinfo, discovery, JWKS) answer OAuth JSON:
  ``{"error": ..., "error_description": ...}`` with the error's status and headers.
* A refused authorization request goes back to the portal when its redirect URI is registered
  (RFC 6749 §4.1.2.1, with ``iss``), and is otherwise shown on a page.
* Every other page answers a localized HTML page, with words from the catalogues only; the technical
  error code is shown for the portal's developers.
* A page refused by the per-address limit is 429 with ``Retry-After`` (``idp.rate_limit``); a form sent
  from another site is 403 (``idp.security``).
* A database, or a rate-limit store, that cannot be reached is 503 with ``Retry-After`` and one log
  line, no traceback.
* Anything unexpected is 500, opaque: the log has the traceback under a request id, the answer only
  the id.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from authlib.oauth2.rfc6749 import OAuth2Error
from flask import Flask, Response, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from identity.db import database_error_line, is_database_unavailable

from .oidc.responses import AuthorizationRefused, error_to_client
from .oidc.setup import API_BLUEPRINTS
from .rate_limit import storage_unavailable
from .security import CrossSiteForm

log = logging.getLogger("idp.errors")
#: Seconds a client is asked to wait while the database is unreachable.
RETRY_AFTER_SECONDS = 10

_GENERIC = _l("This request cannot be completed.")
#: What a citizen reads for an HTTP status on a page.
_BY_STATUS = {
    400: _l("The request is not valid. Go back and try again."),
    403: _l("You may not open this page."),
    404: _l("This page does not exist. Check the address, or start from the home page."),
    405: _l("This page cannot be used this way. Go back and try again."),
    413: _l("What was sent is too large."),
    429: _l("Too many attempts have come from your network. Wait a few minutes, then try again."),
    500: _l("Something went wrong on our side. Please try again later."),
    503: _l("The service is temporarily unavailable. Please try again in a few minutes."),
}
_FORM_EXPIRED = _l("This form has expired or was sent from another site. Go back, reload the page and try again.")
_PORTAL_REQUEST_INVALID = _l(
    "The portal's sign-in request is not valid, so it cannot be completed. Return to the portal and try "
    "again; if it happens again, tell the portal."
)
#: What a citizen reads for an authorization error shown on a page (when it cannot go back to the portal).
_BY_OAUTH_ERROR = {
    "invalid_client": _l("This portal is not registered with the national e-ID, or it is suspended."),
    "unauthorized_client": _l("This portal is not registered with the national e-ID, or it is suspended."),
    "expired_request": _l("This sign-in request has expired. Return to the portal and start again."),
    "access_denied": _l("This sign-in request has expired. Return to the portal and start again."),
    "portal_unavailable": _l("This portal is no longer available."),
    "server_error": _BY_STATUS[500],
}


#: The headers of an HTTP error that a page keeps (werkzeug's others describe its own plain-text body).
_PAGE_HEADERS = frozenset({"allow", "retry-after"})


def setup_errors(app: Flask) -> None:
    api_paths = frozenset(
        rule.rule for rule in app.url_map.iter_rules() if rule.endpoint.partition(".")[0] in API_BLUEPRINTS
    )

    def is_api() -> bool:
        return request.path in api_paths

    flask_log_exception = app.log_exception

    def log_exception(exc_info: Any) -> None:
        """Flask logs a failure outside the view (the commit after it, ``idp.db``) with its traceback before
        the handlers below answer it: for an unreachable database, ``_unavailable``'s one line is the log."""
        if not is_database_unavailable(exc_info[1]):
            flask_log_exception(exc_info)

    app.log_exception = log_exception  # type: ignore[method-assign]

    @app.errorhandler(AuthorizationRefused)
    def _refused_authorization(refusal: AuthorizationRefused) -> Response | tuple[str, int]:
        if refusal.redirect_uri is not None:
            return error_to_client(refusal.error, refusal.redirect_uri, refusal.state, after_post=refusal.after_post)
        return _oauth_page(refusal.error)

    @app.errorhandler(OAuth2Error)
    def _oauth_error(error: OAuth2Error) -> Response | tuple[str, int]:
        return _oauth_json(error) if is_api() else _oauth_page(error)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Response | tuple[str, int] | tuple[str, int, list[tuple[str, str]]]:
        if isinstance(error, InternalServerError) and error.original_exception is not None:
            return _unexpected(error.original_exception, api=is_api())
        status = error.code or 500
        if is_api():
            response = jsonify(error="invalid_request", error_description=error.description or error.name)
            response.status_code = status
            response.headers.extend(
                (name, value) for name, value in error.get_headers() if name.lower() != "content-type"
            )
            return _no_store(response)
        message = _FORM_EXPIRED if isinstance(error, CSRFError | CrossSiteForm) else _BY_STATUS.get(status, _GENERIC)
        kept = [(name, value) for name, value in error.get_headers() if name.lower() in _PAGE_HEADERS]
        return _page(str(message), code=None), status, kept

    @app.errorhandler(Exception)
    def _unexpected_error(error: Exception) -> Response | tuple[str, int] | tuple[str, int, dict[str, str]]:
        return _unexpected(error, api=is_api())


def _unexpected(error: BaseException, *, api: bool) -> Response | tuple[str, int] | tuple[str, int, dict[str, str]]:
    if is_database_unavailable(error):
        return _unavailable("database", database_error_line(error), api=api)
    if storage_unavailable(error):
        return _unavailable("rate-limit storage", f"{type(error).__name__}: {error}", api=api)
    request_id = uuid.uuid4().hex
    log.exception("unhandled error %s on %s %s", request_id, request.method, request.path, exc_info=error)
    if api:
        response = jsonify(error="server_error", error_description="An internal error occurred.", request_id=request_id)
        response.status_code = 500
        return _no_store(response)
    return _page(str(_BY_STATUS[500]), code=None, request_id=request_id), 500


def _unavailable(what: str, line: str, *, api: bool) -> Response | tuple[str, int, dict[str, str]]:
    """One line per failing request (no traceback: an outage would flood the log), and a polite 503."""
    log.error("%s unavailable on %s %s: %s", what, request.method, request.path, line)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if api:
        response = jsonify(error="temporarily_unavailable", error_description="The service is temporarily unavailable.")
        response.status_code = 503
        response.headers.update(headers)
        return _no_store(response)
    return _page(str(_BY_STATUS[503]), code=None), 503, headers


def _oauth_json(error: OAuth2Error) -> Response:
    """The error's own status, body and headers (JSON, ``no-store``, and any ``WWW-Authenticate``)."""
    error.redirect_uri = None  # an API answer is never a redirect
    status, body, headers = error()
    return Response(json.dumps(body), status=status, headers=headers)


def _oauth_page(error: OAuth2Error) -> tuple[str, int]:
    log.info("authorization refused on a page: %s (%s)", error.error, error.description)
    message = _BY_OAUTH_ERROR.get(error.error or "", _PORTAL_REQUEST_INVALID)
    return _page(str(message), code=error.error), 400


def _page(message: str, *, code: str | None, request_id: str | None = None) -> str:
    return render_template("error.html", message=message, code=code, request_id=request_id)


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response
