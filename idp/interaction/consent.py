"""The consent page: which portal, which data; allow or deny (OIDC Core 3.1.2.4, ASVS 10.7.1-10.7.2)."""

from __future__ import annotations

from authlib.oauth2.rfc6749 import AccessDeniedError
from flask import current_app, redirect, render_template, request, url_for

from ..db import db_session
from ..oidc.browser import current_sso_session
from ..oidc.consent import give_consent
from ..oidc.responses import error_page, error_to_client, registered_redirect_uri
from . import store
from .blueprint import bp
from .forms import ConsentForm
from .scope_text import describe_scopes


@bp.route("/consent", methods=["GET", "POST"])
def consent():  # type: ignore[no-untyped-def]
    interaction = store.load(request.values.get("interaction"))
    sso = current_sso_session()
    if interaction is None or sso is None:
        return error_page(AccessDeniedError("This request has expired. Return to the portal and start again."))
    params = interaction.params
    client = current_app.extensions["idp.provider"].query_client(params.get("client_id", ""))
    redirect_uri = registered_redirect_uri(params, client)
    if client is None or redirect_uri is None:
        return error_page(AccessDeniedError("This portal is no longer available."))
    scopes = client.get_allowed_scope(params.get("scope", "")).split()
    form = ConsentForm()
    if request.method == "GET" or not form.validate_on_submit():
        form.interaction.data = interaction.id
        return render_template("consent.html", form=form, client=client, scopes=describe_scopes(scopes))
    if not form.allow.data:
        store.finish(interaction.id)
        return error_to_client(
            AccessDeniedError("The citizen declined."), redirect_uri, params.get("state"), after_post=True
        )
    give_consent(db_session(), sso.account_id, client.client_id, scopes)
    db_session().commit()
    store.mark_consented(interaction.id)
    return redirect(url_for("authorize.resume", interaction=interaction.id), code=303)
