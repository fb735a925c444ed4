"""The consent page: which portal, which data; allow or deny (OIDC Core 3.1.2.4, ASVS 10.7.1-10.7.2)."""

from __future__ import annotations

from authlib.oauth2.rfc6749 import AccessDeniedError, OAuth2Error
from flask import redirect, render_template, request, url_for

from .. import context
from ..browser import current_sso_session
from ..db import db_session
from ..oidc import interactions
from ..oidc.responses import AuthorizationRefused, registered_redirect_uri
from ..sso.consent import give_consent
from .blueprint import bp
from .forms import ConsentForm
from .scope_text import describe_scopes


@bp.route("/consent", methods=["GET", "POST"])
def consent():  # type: ignore[no-untyped-def]
    interaction = interactions.load(request.values.get("interaction"))
    sso = current_sso_session()
    if interaction is None or sso is None:
        raise AuthorizationRefused(OAuth2Error("This sign-in request has expired.", error="expired_request"))
    params = interaction.params
    client = context.provider().query_client(params.get("client_id", ""))
    redirect_uri = registered_redirect_uri(params, client)
    if client is None or redirect_uri is None:
        raise AuthorizationRefused(OAuth2Error("The portal is no longer available.", error="portal_unavailable"))
    scopes = client.get_allowed_scope(params.get("scope", "")).split()
    form = ConsentForm()
    if request.method != "POST" or not form.validate_on_submit():
        form.interaction.data = interaction.id
        return render_template("consent.html", form=form, client=client, scopes=describe_scopes(scopes))
    if not form.allow.data:
        interactions.finish(interaction.id)
        denied = AccessDeniedError("The citizen declined.")
        raise AuthorizationRefused(denied, redirect_uri=redirect_uri, state=params.get("state"), after_post=True)
    give_consent(db_session(), sso.account_id, client.client_id, scopes)
    interactions.mark_consented(interaction.id)
    return redirect(url_for("authorize.resume", interaction=interaction.id), code=303)
