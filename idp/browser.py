"""What the provider knows about the browser in front of it: its SSO session and its chosen language.

Nothing here commits: a session found over its limits is ended through the request's standing session
(``idp.db``), so the ending stands whatever the request answers.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import Response, g, request, session
from flask_babel import refresh

from . import context
from .db import db_session, standing_session
from .sso import pending
from .sso.models import PendingSignIn, SsoSession
from .sso.sessions import cookie_name, load_session

SUPPORTED_LOCALES = ("vi", "en")
DEFAULT_LOCALE = "vi"
_SSO = "idp_sso_session"


def current_sso_session() -> SsoSession | None:
    """The live SSO session of this request's cookie, looked up once per request."""
    if _SSO not in g:
        settings = context.settings()
        cookie = request.cookies.get(cookie_name(settings))
        found = load_session(db_session(), cookie, settings)
        if found.ended_now:
            standing_session()  # the end of an expired session stands even if this request is refused
        setattr(g, _SSO, found.live)
    sso: SsoSession | None = g.get(_SSO)
    return sso


def set_session_cookie(response: Response, value: str) -> None:
    """HttpOnly, SameSite=Lax, Secure outside development; no Max-Age: the server decides when it ends."""
    _set_cookie(response, cookie_name(context.settings()), value)


def clear_session_cookie(response: Response) -> None:
    """The browser forgets its session (signed out); the row has ended already, so the value is dead anyway."""
    settings = context.settings()
    response.delete_cookie(cookie_name(settings), path="/", secure=settings.is_production, samesite="Lax")


def pending_sign_in() -> PendingSignIn | None:
    """The sign-in this browser has under way (password accepted, code still to come), if any."""
    return pending.find(db_session(), request.cookies.get(_pending_cookie_name()))


def set_pending_cookie(response: Response, value: str) -> None:
    _set_cookie(response, _pending_cookie_name(), value)


def clear_pending_cookie(response: Response) -> None:
    settings = context.settings()
    response.delete_cookie(_pending_cookie_name(), path="/", secure=settings.is_production, samesite="Lax")


def _pending_cookie_name() -> str:
    return "__Host-idp_pending" if context.settings().is_production else "idp_pending"


def _set_cookie(response: Response, name: str, value: str) -> None:
    secure = context.settings().is_production
    response.set_cookie(name, value, httponly=True, secure=secure, samesite="Lax", path="/")


def select_locale() -> str:
    """``?lang=`` (the switch on every page), remembered in the flow cookie, like a portal's ``ui_locales``;
    until the citizen chose, the language their browser prefers of ours (``Accept-Language``), else
    Vietnamese."""
    choice = request.args.get("lang")
    if choice in SUPPORTED_LOCALES:
        session["lang"] = choice
        return choice
    remembered = session.get("lang")
    if remembered in SUPPORTED_LOCALES:
        return str(remembered)
    return request.accept_languages.best_match(SUPPORTED_LOCALES, default=DEFAULT_LOCALE) or DEFAULT_LOCALE


def set_ui_locale(preferences: Iterable[str]) -> None:
    """``ui_locales`` (OIDC Core 3.1.2.1): the first language we speak becomes the page language."""
    for tag in preferences:
        language = tag.split("-")[0].lower()
        if language in SUPPORTED_LOCALES:
            session["lang"] = language
            refresh()  # a locale already chosen for this request gives way
            return
