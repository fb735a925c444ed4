"""What the provider knows about the browser in front of it: its SSO session and its chosen language."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Response, current_app, g, request, session

from ..app import settings_of
from ..db import db_session
from .models import SsoSession
from .sessions import cookie_name, load_session

SUPPORTED_LOCALES = ("vi", "en")


def current_sso_session() -> SsoSession | None:
    """The live SSO session of this request's cookie, looked up once per request."""
    if "sso_session" not in g:
        settings = settings_of(current_app)
        g.sso_session = load_session(db_session(), request.cookies.get(cookie_name(settings)), settings)
        db_session().commit()  # expiry and last-seen updates stand even if the request fails later
    sso: SsoSession | None = g.sso_session
    return sso


def set_session_cookie(response: Response, value: str) -> None:
    """HttpOnly, SameSite=Lax, Secure outside development; no Max-Age: the server decides when it ends."""
    settings = settings_of(current_app)
    response.set_cookie(
        cookie_name(settings), value, httponly=True, secure=settings.is_production, samesite="Lax", path="/"
    )


def clear_session_cookie(response: Response) -> None:
    settings = settings_of(current_app)
    response.delete_cookie(cookie_name(settings), path="/", secure=settings.is_production, samesite="Lax")


def set_ui_locale(preferences: Iterable[str]) -> None:
    """``ui_locales`` (OIDC Core 3.1.2.1): the first language we speak becomes the page language."""
    for tag in preferences:
        language = tag.split("-")[0].lower()
        if language in SUPPORTED_LOCALES:
            session["lang"] = language
            return
