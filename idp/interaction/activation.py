"""Account activation: PIN + one-time activation code from the registrar + a new password.

A successful activation is also the citizen's first sign-in: it goes straight on to setting up a
one-time-code app (which the citizen may put off when nothing requires it), then back to the portal
that sent them, if one did.

The same page takes a password reset's code (``idp accounts reset-password``) for an active account.
The new password ends every sign-in session of the account (whoever used the old password is out),
and the sign-in goes on to the code step when the account has an app: a reset does not skip the
second factor (ASVS 6.4.3).
"""

from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _

from identity import IdentityError, otp
from identity.accounts import activate_account

from .. import context
from ..db import standing_session
from ..oidc import interactions
from ..sso.sessions import end_sessions_of_account
from .blueprint import bp
from .forms import ActivationForm
from .messages import for_citizen
from .sign_in import begin_second_step


@bp.route("/activate", methods=["GET", "POST"])
def activate():  # type: ignore[no-untyped-def]
    form = ActivationForm()
    interaction = interactions.load(request.values.get("interaction"))

    def page(error: str | None, status: int = 200):  # type: ignore[no-untyped-def]
        form.interaction.data = interaction.id if interaction else ""
        portal = interactions.portal_name(interaction)
        return render_template("activate.html", form=form, error=error, portal=portal, interaction=interaction), status

    if not form.is_submitted():
        return page(None)
    if not form.validate_on_submit():
        return page(_("Please fill in every field."), 400)
    if form.password.data != form.confirm.data:
        return page(_("The two passwords are not the same."), 400)
    policy = context.password_policy()
    session = standing_session()
    try:
        # A wrong code counts against the activation code's attempts, and that count stands.
        account = activate_account(
            session,
            form.pin.data,
            form.code.data,
            form.password.data,
            hasher=context.hasher(),
            policy=policy,
        )
    except IdentityError as error:
        return page(for_citizen(error, min_password_length=policy.min_length), 400)
    # A first activation has no session to end; after a reset, those opened with the old password end.
    end_sessions_of_account(session, account.id, reason="password reset")
    if otp.has_factor(session, account.id):
        return begin_second_step(account, interaction, step="interaction.code")
    return begin_second_step(account, interaction, step="interaction.enrol", activated="1")
