"""When a portal asks for more than the citizen's identity level allows: what level 2 is and how to reach it.

Only a registrar can raise an identity to level 2, after checking the person against their citizen
identity card; no sign-in method can. When the portal asked for the level as essential (the ``claims``
parameter), the only way on is back to the portal, which learns ``unmet_authentication_requirements``;
otherwise the citizen may also go on with what they have, and the ID token says what that is.
"""

from __future__ import annotations

from authlib.oauth2.rfc6749 import AccessDeniedError, OAuth2Error
from flask import redirect, render_template, request, url_for

from .. import context
from ..oidc import interactions
from ..oidc.authorize import UNMET_AUTHENTICATION
from ..oidc.claims import parse_claims_request
from ..oidc.responses import AuthorizationRefused, registered_redirect_uri
from ..sso import acr
from .blueprint import bp
from .forms import ContinueForm


@bp.route("/login/level", methods=["GET", "POST"])
def level():  # type: ignore[no-untyped-def]
    interaction = interactions.load(request.values.get("interaction"))
    if interaction is None:
        raise AuthorizationRefused(OAuth2Error("This sign-in request has expired.", error="expired_request"))
    essential = acr.essential_values(parse_claims_request(interaction.params.get("claims"))) is not None
    form = ContinueForm()
    if request.method != "POST" or not form.validate_on_submit():
        form.interaction.data = interaction.id
        portal = interactions.portal_name(interaction)
        return render_template("level.html", form=form, portal=portal, essential=essential)
    if form.go_on.data and not essential:
        interactions.mark_level_acknowledged(interaction.id)
        return redirect(url_for("authorize.resume", interaction=interaction.id), code=303)
    refused: OAuth2Error = (
        OAuth2Error("The identity is not verified at the level asked for.", error=UNMET_AUTHENTICATION)
        if essential
        else AccessDeniedError("The citizen went back to the portal.")
    )
    raise back_to_portal(interaction, refused)


@bp.route("/login/back", methods=["POST"])
def back():  # type: ignore[no-untyped-def]
    """"Back to the portal" from a page of its request: the portal learns ``access_denied``."""
    interaction = interactions.load(request.values.get("interaction"))
    if interaction is None or not ContinueForm().validate_on_submit():
        raise AuthorizationRefused(OAuth2Error("This sign-in request has expired.", error="expired_request"))
    raise back_to_portal(interaction, AccessDeniedError("The citizen went back to the portal."))


def back_to_portal(interaction: interactions.Interaction, error: OAuth2Error) -> AuthorizationRefused:
    """End the portal's request with *error*, sent to its redirect URI when that is registered."""
    interactions.finish(interaction.id)
    params = interaction.params
    client = context.provider().query_client(params.get("client_id", ""))
    redirect_uri = registered_redirect_uri(params, client)
    return AuthorizationRefused(error, redirect_uri=redirect_uri, state=params.get("state"), after_post=True)
