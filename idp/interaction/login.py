"""Sign-in with PIN and password.

The same message answers an unknown PIN and a wrong password (ASVS 6.3.8); a PIN typed with other
than the digits 0-9 gets its precise message, which says nothing about the register. A new SSO
session, with a new identifier, starts at every successful sign-in (ASVS 7.2.4) and the previous one
ends.
"""

from __future__ import annotations

import logging

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _

from identity import CredentialRejected, InvalidPin
from identity.authn import authenticate_password

from .. import context
from ..browser import current_sso_session, set_session_cookie
from ..db import db_session
from ..oidc import interactions
from ..sso import acr
from ..sso.sessions import replace_session
from .blueprint import bp
from .forms import LoginForm
from .messages import for_citizen

#: ASVS 16.3.1: every refused sign-in is logged (never the password; the PIN without its serial).
security_log = logging.getLogger("idp.security")


@bp.route("/login", methods=["GET", "POST"])
def login():  # type: ignore[no-untyped-def]
    form = LoginForm()
    interaction = interactions.load(request.values.get("interaction"))
    if request.method != "POST":
        form.interaction.data = interaction.id if interaction else ""
        if interaction and (hint := interaction.params.get("login_hint")):
            form.pin.data = hint
        return render_template("login.html", form=form, error=None)
    if not form.validate_on_submit():
        return render_template("login.html", form=form, error=_("Please fill in both fields.")), 400
    session = db_session()
    try:
        account = authenticate_password(session, form.pin.data, form.password.data, hasher=context.hasher())
    except InvalidPin as error:
        return render_template("login.html", form=form, error=for_citizen(error)), 400
    except CredentialRejected:
        # %r: whatever was typed is quoted and escaped, so it cannot forge a log line.
        security_log.warning("sign-in refused: PIN %r, from %s", form.pin.data[:6] + "******", request.remote_addr)
        error = _("The personal identification number or the password is not correct.")
        return render_template("login.html", form=form, error=error), 401
    amr = ("pwd",)
    _row, cookie = replace_session(
        session,
        current_sso_session(),
        account,
        amr=amr,
        acr=acr.achieved(amr, account.identity_level).value,
        settings=context.settings(),
    )
    if interaction is not None:
        interactions.mark_logged_in(interaction.id)
        target = url_for("authorize.resume", interaction=interaction.id)
    else:
        target = url_for("interaction.home")
    response = redirect(target, code=303)  # RFC 9700 §4.12: never 307 after a credential POST
    set_session_cookie(response, cookie)
    return response
