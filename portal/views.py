"""The portal's pages and its two logout endpoints.

Pages: home (signed out: the way to sign in; signed in: the claims received, how the citizen signed in
and when things expire), a sensitive service that needs ``acr`` mfa (step-up without ``prompt=login``:
the provider asks a signed-in citizen only for the one-time code), the redirect URI, and sign-out
through RP-initiated logout. Endpoints for the provider: back-channel logout (a signed logout token)
and front-channel logout (``iss`` and ``sid`` in an iframe's URL).
"""

from __future__ import annotations

import hmac
import logging
import secrets
import time

from flask import Blueprint, Response, current_app, g, jsonify, redirect, render_template, request, session, url_for

from . import logout_token
from .login import MFA, Login
from .provider import Provider, ProviderUnavailable, SignInFailed
from .services import Services
from .store import Replayed
from .text import translate

bp = Blueprint("portal", __name__)
log = logging.getLogger(__name__)
#: Pages a sign-in may come back to (by endpoint, never by URL: no open redirect).
RETURN_PAGES = ("portal.home", "portal.sensitive")
#: An access token this close to its expiry is renewed before the page is shown.
REFRESH_MARGIN = 30


def services() -> Services:
    return current_app.extensions["portal"]  # type: ignore[no-any-return]


def provider() -> Provider:
    return services().provider


def _(message: str, **values: object) -> str:
    return translate(message, g.language, **values)


def message_page(status: int, heading: str, message: str, *, code: str | None = None, retry: str | None = None):  # type: ignore[no-untyped-def]
    return render_template("message.html", heading=heading, message=message, code=code, retry=retry), status


# -- the citizen's sign-in ---------------------------------------------------------------------------


def current_login() -> tuple[Login | None, str | None]:
    """This browser's sign-in, its tokens renewed when the access token is about to expire; and a notice
    when the provider refused to renew them (the citizen's session there ended: so does this one)."""
    if session.login is None:
        return None, None
    login = Login.from_dict(session.login)
    if time.time() < login.access_expires_at - REFRESH_MARGIN or not login.refresh_token:
        return login, None
    if not services().store.claim_refresh(session.session_id, login.login_id):
        return login, None  # another request of this session is renewing them
    return _renew(login)


def _renew(login: Login) -> tuple[Login | None, str | None]:
    store = services().store
    try:
        renewed = provider().refresh(login, now=time.time())
    except ProviderUnavailable as error:
        log.warning("tokens not renewed, the provider could not be asked: %s", error)
        return login, None
    except SignInFailed as error:
        log.info("the provider refused to renew the tokens (%s): signed out", error)
        store.sign_out(session.session_id)
        session.login = None
        return None, _("Your session at the national e-ID has ended; sign in again to continue.")
    if not store.refreshed(session.session_id, renewed.as_dict()):
        session.login = None  # a logout came in meanwhile
        return None, None
    session.login = renewed.as_dict()
    return renewed, None


@bp.get("/")
def home():  # type: ignore[no-untyped-def]
    notice = None
    if "state" in request.args and provider().returned_from_logout():
        notice = _("You have signed out.")
    if session.pop("signed_out", False):
        notice = _("You have signed out.")
    login, ended = current_login()
    profile = []
    if login is not None:
        profile = [(claim, value) for claim, value in login.userinfo.items()]
    return render_template("home.html", login=login, notice=ended or notice, profile=profile)


@bp.get("/login", endpoint="login")
def start_sign_in():  # type: ignore[no-untyped-def]
    then = request.args.get("then", RETURN_PAGES[0])
    then = then if then in RETURN_PAGES else RETURN_PAGES[0]
    return provider().authorization_redirect(then=then, language=g.language)


@bp.get("/callback")
def callback():  # type: ignore[no-untyped-def]
    try:
        login, asked = provider().complete(now=time.time())
    except SignInFailed as error:
        log.warning("sign-in refused: %s", error)
        return message_page(
            400,
            _("The sign-in did not complete"),
            _("The national e-ID did not sign you in at this portal. You can try again."),
            code=error.error,
            retry=url_for("portal.login"),
        )
    session.pop("csrf_token", None)
    wanted = asked.get("acr")
    if wanted and not login.reaches(wanted):
        session["short_of"] = wanted
    session.session_id = services().store.sign_in(
        session.session_id, dict(session), login.as_dict(), sid=login.sid, sub=login.sub
    )
    session.login = login.as_dict()
    session.renewed = True
    then = asked.get("then")
    return redirect(url_for(then if then in RETURN_PAGES else RETURN_PAGES[0]), code=303)


@bp.get("/sensitive")
def sensitive():  # type: ignore[no-untyped-def]
    login, _ended = current_login()
    if login is not None and login.reaches(MFA):
        session.pop("short_of", None)
        return render_template("sensitive.html", login=login)
    if login is not None and session.pop("short_of", None):
        # The provider came back without the code: say so rather than send the citizen round again.
        return message_page(
            403,
            _("A one-time code is needed"),
            _(
                "This service needs a sign-in with a one-time code from your authenticator app, and the national "
                "e-ID did not confirm one."
            ),
            retry=url_for("portal.sensitive"),
        )
    return provider().authorization_redirect(then="portal.sensitive", language=g.language, acr=MFA)


@bp.app_context_processor
def _csrf() -> dict[str, object]:
    def csrf_token() -> str:
        if "csrf_token" not in session:
            session["csrf_token"] = secrets.token_urlsafe(32)
        return str(session["csrf_token"])

    return {"csrf_token": csrf_token}


@bp.post("/logout")
def logout():  # type: ignore[no-untyped-def]
    """End the sign-in here, then at the provider (which tells the other portals)."""
    sent, expected = request.form.get("csrf_token", ""), session.get("csrf_token", "")
    if not expected or not hmac.compare_digest(sent.encode(), str(expected).encode()):
        return message_page(400, _("This form has expired"), _("Please go back to the home page and try again."))
    signed_in = session.login
    if session.session_id is not None:
        services().store.sign_out(session.session_id)
    session.login = None
    if signed_in is None:
        return redirect(url_for("portal.home"), code=303)
    try:
        at_provider = provider().logout_redirect(Login.from_dict(signed_in), language=g.language)
    except ProviderUnavailable as error:
        log.warning("signed out here only, the provider could not be reached: %s", error)
        at_provider = None
    if at_provider is None:
        session["signed_out"] = True
        return redirect(url_for("portal.home"), code=303)
    at_provider.status_code = 303
    return at_provider


# -- logout coming from the provider ------------------------------------------------------------------


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/backchannel-logout")
def backchannel_logout():  # type: ignore[no-untyped-def]
    """OpenID Connect Back-Channel Logout 1.0 §2.5–2.8: 200 when honoured, 400 when not acceptable."""
    token = request.form.get("logout_token", "")
    settings = services().settings
    try:
        claims = logout_token.validate(token, provider().keys, provider().logout_expectations(), now=time.time())
        ended = services().store.end_by_provider(
            jti=claims.jti,
            keep_until=claims.iat + settings.logout_token_max_age + 2 * settings.clock_leeway,
            sid=claims.sid,
            sub=claims.sub,
        )
    except logout_token.InvalidLogoutToken as error:
        log.warning("logout token refused: %s", error)
        return _no_store(_oauth_error(400, "invalid_request", str(error)))
    except Replayed:
        log.warning("logout token refused: its jti was used before")
        return _no_store(_oauth_error(400, "invalid_request", "the logout token was used before"))
    except ProviderUnavailable as error:
        log.warning("logout token not checked, the provider's keys could not be read: %s", error)
        response = _oauth_error(503, "temporarily_unavailable", "the provider's keys could not be read")
        response.headers["Retry-After"] = "30"
        return _no_store(response)
    log.info("back-channel logout: sid=%s sub=%s, %d session(s) ended", claims.sid, claims.sub, ended)
    return _no_store(Response(status=200))


def _oauth_error(status: int, error: str, description: str) -> Response:
    response = jsonify(error=error, error_description=description)
    response.status_code = status
    return response


@bp.get("/frontchannel-logout")
def frontchannel_logout():  # type: ignore[no-untyped-def]
    """OpenID Connect Front-Channel Logout 1.0: the provider's logout page loads this in an iframe."""
    settings = services().settings
    sid = request.args.get("sid")
    ended = request.args.get("iss") == settings.issuer and bool(sid)
    if ended:
        count = services().store.end_provider_session(str(sid))
        log.info("front-channel logout: sid=%s, %d session(s) ended", sid, count)
    response = Response(render_template("frontchannel.html", ended=ended), status=200 if ended else 400)
    g.frame_ancestors = settings.issuer_origin
    return _no_store(response)
