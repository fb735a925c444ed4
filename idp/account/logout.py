"""``/logout``: the citizen's sign-out and the end-session endpoint of RP-initiated logout (OpenID Connect
RP-Initiated Logout 1.0), one page for both.

A request that proves which portal sent it (an ``id_token_hint`` of this browser's session) signs the
citizen out at once. Any other request, a bare link included, gets a page that asks first, with a
button whose form carries a CSRF token and must come from this origin (ASVS 10.6.2), so no link, image
or form on another site can sign a citizen out. Signing out ends the session through
``idp.sso.sessions.end_session``: its grants are revoked and each portal with a back channel is owed a
logout token in the same transaction; portals with only a front channel are loaded in iframes here.
Then the citizen goes back to the portal's registered ``post_logout_redirect_uri`` (with ``state``) or
to the sign-in page. A request that names an unregistered redirect URI or a hint we did not issue is
refused on a page and ends nothing.
"""

from __future__ import annotations

import logging

from authlib.common.urls import add_params_to_uri
from flask import Response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from clients.errors import UnknownClient
from clients.registry import get_client

from .. import context
from ..browser import clear_pending_cookie, clear_session_cookie, set_ui_locale
from ..db import db_session
from ..extensions import csrf
from ..oidc.logout_request import InvalidLogoutRequest, LogoutRequest, Portal, read_logout_request
from ..security import CONTENT_SECURITY_POLICY, CrossSiteForm, from_another_origin, origin_of
from ..sso.logout_notices import frontchannel_portals, sids_known_to_portals
from ..sso.sessions import end_session
from .access import holder
from .blueprint import bp

log = logging.getLogger("idp.logout")


@bp.route("/logout", methods=["GET", "POST"])
@csrf.exempt
def logout():  # type: ignore[no-untyped-def]
    confirmed = request.method == "POST" and "csrf_token" in request.form
    if confirmed:
        _check_confirmation()
    try:
        logout_request = read_logout_request(
            request.values, keyring=context.keyring(), settings=context.settings(), find_portal=_portal
        )
    except InvalidLogoutRequest as refusal:
        log.info("logout request refused: %s", refusal)
        message = _("The portal's sign-out request is not valid, so you were not signed out and not sent anywhere.")
        return render_template("error.html", message=message, code="invalid_request"), 400
    if logout_request.ui_locales:
        set_ui_locale(logout_request.ui_locales)
    signed_in = holder()
    if signed_in is None:
        return _leave(logout_request, frontchannel=[])
    if not (confirmed or logout_request.proves(sids_known_to_portals(db_session(), signed_in.sso))):
        return render_template("account_logout.html", logout=logout_request)
    session = db_session()
    frontchannel = [_frontchannel_url(p.uri, p.sid) for p in frontchannel_portals(session, signed_in.sso)]
    end_session(session, signed_in.sso, reason="signed out")
    return _leave(logout_request, frontchannel=frontchannel)


def _check_confirmation() -> None:
    """The button of our own page: its CSRF token, and no sign from the browser that another site sent it."""
    csrf.protect()
    if from_another_origin(request.headers, origin_of(context.settings().issuer)):
        raise CrossSiteForm()


def _portal(client_id: str) -> Portal | None:
    try:
        client = get_client(db_session(), client_id)
    except UnknownClient:
        return None
    return Portal(client.client_id, client.name, tuple(client.post_logout_redirect_uris))


def _frontchannel_url(uri: str, sid: str) -> str:
    return add_params_to_uri(uri, [("iss", context.settings().issuer), ("sid", sid)])


def _leave(logout_request: LogoutRequest, *, frontchannel: list[str]) -> Response:
    """Signed out: the front-channel iframes when there are any, then the portal's page or the sign-in page."""
    destination = logout_request.return_to() or url_for("interaction.login")
    if frontchannel:
        response = Response(render_template("signed_out.html", frames=frontchannel, destination=destination))
        frame_sources = " ".join(sorted({origin_of(url) or "'none'" for url in frontchannel}))
        response.headers["Content-Security-Policy"] = f"{CONTENT_SECURITY_POLICY}; frame-src {frame_sources}"
    else:
        response = redirect(destination, code=303)
    clear_session_cookie(response)
    clear_pending_cookie(response)
    return response

