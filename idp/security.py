"""Browser-facing protections applied to every response, and the cookie and CSRF settings.

* CSP with no inline script at all, ``frame-ancestors 'none'`` on every response (ASVS 3.4.3, 3.4.6;
  RFC 9700 §4.16 clickjacking). No ``form-action``: Chromium applies it to the redirect that follows
  a sign-in POST, which would stop the citizen from ever reaching the portal (SECURITY.md R21).
* ``Referrer-Policy: no-referrer`` so codes and state never leak through Referer (RFC 9700 §4.2.4).
  With it, Chromium sends ``Origin: null`` on same-origin POSTs, so CSRF protection rests on the
  form token (Flask-WTF), not on Origin checks (SECURITY.md R20).
* HSTS for a year with subdomains in production (ASVS 3.4.1).
"""

from __future__ import annotations

from flask import Flask, Response
from flask_wtf import CSRFProtect

from .config import Settings

csrf = CSRFProtect()

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


def setup_security(app: Flask, settings: Settings) -> None:
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

    @app.after_request
    def _headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "no-referrer")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if response.mimetype == "text/html":
            headers.setdefault("Cache-Control", "no-store")
        if settings.is_production:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
