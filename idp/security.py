"""Browser-facing protections applied to every response, and the cookie and CSRF settings.

* CSP with no inline script at all, ``frame-ancestors 'none'`` on every response (ASVS 3.4.3, 3.4.6;
  RFC 9700 §4.16 clickjacking). No ``form-action``: Chromium applies it to the redirect that follows
  a sign-in POST, which would stop the citizen from ever reaching the portal (SECURITY.md R21).
* ``Referrer-Policy: no-referrer`` so codes and state never leak through Referer (RFC 9700 §4.2.4).
  With it, Chromium sends ``Origin: null`` on same-origin POSTs, so CSRF protection rests on the
  form token (Flask-WTF), not on Origin checks (SECURITY.md R20).
* Fetch Metadata and ``Origin`` as evidence besides the token: a form post the token check passed is
  refused (403) when the browser says it came from another site (``Sec-Fetch-Site: cross-site`` or
  ``same-site``) or names another origin (``Origin`` present, not ``null``, not the issuer's). Without
  either header (older browsers, scripts) the token alone decides. The rule follows the token check, so
  it covers every page form and none of the endpoints exempt from it: the API, and the authorization
  endpoint, whose cross-site form posts are legitimate (OIDC Core 3.1.2.1).
* HSTS for a year with subdomains in production (ASVS 3.4.1).
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Flask, Request, Response, g, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from werkzeug.datastructures import Headers
from werkzeug.exceptions import Forbidden

from .config import Settings
from .extensions import csrf

security_log = logging.getLogger("idp.security")

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


#: Set on every response that does not set its own (``Cache-Control: no-store`` is added to HTML only).
_DEFAULT_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)
_HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


_DEFAULT_PORTS = {"http": 80, "https": 443}
#: What ``Sec-Fetch-Site`` says of a request from another origin (``same-site`` is another origin of the
#: same registrable domain); ``same-origin`` and ``none`` (typed or bookmarked by the citizen) pass.
_FOREIGN_SITES = frozenset({"cross-site", "same-site"})


class CrossSiteForm(Forbidden):
    """A page's form was posted from another site (``idp.errors`` answers the citizen's page)."""


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` as browsers serialise an origin (default port left out); None if unparsable."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), parts.hostname
    if not scheme or not host:
        return None
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}" if port in (None, _DEFAULT_PORTS.get(scheme)) else f"{scheme}://{host}:{port}"


def from_another_origin(headers: Headers, own_origin: str | None) -> bool:
    """What the browser says of where a request comes from, when it says anything (SECURITY.md R20)."""
    if headers.get("Sec-Fetch-Site", "").strip().lower() in _FOREIGN_SITES:
        return True
    origin = headers.get("Origin")
    if origin is None or origin.strip() == "null":
        return False
    return own_origin is None or origin_of(origin) != own_origin


class FlowCookieSessions(SecureCookieSessionInterface):
    """Flask's signed cookie session, with its work skipped where there is nothing to do.

    API requests (token, userinfo, …) carry no flow cookie and never touch the session: Flask would
    still build the cookie signer on the way in and read seven cookie settings on the way out. Both
    answers stay exactly Flask's: a new empty session in, no cookie and no ``Vary`` out.
    """

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if not session and not session.modified and not session.accessed:
            return
        super().save_session(app, session, response)


def setup_security(app: Flask, settings: Settings) -> None:
    app.session_interface = FlowCookieSessions()
    app.config.update(
        SESSION_COOKIE_NAME="__Host-idp_flow" if settings.is_production else "idp_flow",
        SESSION_COOKIE_SECURE=settings.is_production,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=30 * 60,
        WTF_CSRF_TIME_LIMIT=30 * 60,
        WTF_CSRF_SSL_STRICT=False,  # Referer is suppressed by our own policy; the token is the proof
    )
    csrf.init_app(app)
    own_origin = origin_of(settings.issuer)

    @app.before_request
    def _same_origin_forms() -> None:
        """After the token check (registered after it): every request it passed is a page's form post."""
        if g.get("csrf_valid") and from_another_origin(request.headers, own_origin):
            security_log.warning(
                "form post from another origin refused on %s: Sec-Fetch-Site %r, Origin %r, from %s",
                request.path,
                request.headers.get("Sec-Fetch-Site"),
                request.headers.get("Origin"),
                request.remote_addr,
            )
            raise CrossSiteForm()

    defaults = _DEFAULT_HEADERS + ((_HSTS,) if settings.is_production else ())

    @app.after_request
    def _headers(response: Response) -> Response:
        """``setdefault`` for each default header, reading the response's header names once."""
        headers = response.headers
        present = {name.lower() for name, _ in headers.items()}
        headers.extend([(name, value) for name, value in defaults if name.lower() not in present])
        if response.mimetype == "text/html" and "cache-control" not in present:
            headers["Cache-Control"] = "no-store"
        return response
