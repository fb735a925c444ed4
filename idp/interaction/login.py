"""Sign-in with PIN and password.

The same message answers an unknown PIN and a wrong password (ASVS 6.3.8); a new SSO session, with
a new identifier, starts at every successful sign-in (ASVS 7.2.4) and the previous one ends.
"""

from __future__ import annotations

import logging

from flask import current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _

from identity import IdentityError
from identity.authn import authenticate_password

from ..app import settings_of
from ..db import db_session
from ..oidc import acr
from ..oidc.browser import current_sso_session, set_session_cookie
from ..oidc.sessions import replace_session
from . import store
from .blueprint import bp
from .forms import LoginForm

#: ASVS 16.3.1: every refused sign-in is logged (never the password; the PIN without its serial).
security_log = logging.getLogger("idp.security")
GENERIC_FAILURE = "The personal identification number or the password is not correct."


@bp.route("/login", methods=["GET", "POST"])
def login():  # type: ignore[no-untyped-def]
    form = LoginForm()
    interaction = store.load(request.values.get("interaction"))
    if request.method == "GET":
        form.interaction.data = interaction.id if interaction else ""
        if interaction and (hint := interaction.params.get("login_hint")):
            form.pin.data = hint
        return render_template("login.html", form=form, error=None)
    if not form.validate_on_submit():
        return render_template("login.html", form=form, error=_("Please fill in both fields.")), 400
    session = db_session()
    try:
        account = authenticate_password(
            session, form.pin.data, form.password.data, hasher=current_app.extensions["idp.hasher"]
        )
    except IdentityError:
        session.rollback()
        # %r: whatever was typed is quoted and escaped, so it cannot forge a log line.
        security_log.warning("sign-in refused: PIN %r, from %s", form.pin.data[:6] + "******", request.remote_addr)
        return render_template("login.html", form=form, error=_(GENERIC_FAILURE)), 401
    amr = ("pwd",)
    _row, cookie = replace_session(
        session,
        current_sso_session(),
        account,
        amr=amr,
        acr=acr.achieved(amr, account.identity_level).value,
        settings=settings_of(current_app),
    )
    session.commit()
    if interaction is not None:
        store.mark_logged_in(interaction.id)
        target = url_for("authorize.resume", interaction=interaction.id)
    else:
        target = url_for("interaction.signed_in")
    response = redirect(target, code=303)  # RFC 9700 §4.12: never 307 after a credential POST
    set_session_cookie(response, cookie)
    return response


@bp.route("/signed-in")
def signed_in():  # type: ignore[no-untyped-def]
    sso = current_sso_session()
    if sso is None:
        return redirect(url_for("interaction.login"), code=303)
    return render_template("signed_in.html", sso=sso)
