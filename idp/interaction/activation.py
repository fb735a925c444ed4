"""Account activation: PIN + one-time activation code from the registrar + a new password.

A successful activation is also the citizen's first sign-in: it goes straight on to setting up a
one-time-code app (which the citizen may put off when nothing requires it), then back to the portal
that sent them, if one did.
"""

from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _

from identity import IdentityError
from identity.accounts import activate_account

from .. import context
from ..db import standing_session
from ..oidc import interactions
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
    try:
        # A wrong code counts against the activation code's attempts, and that count stands.
        account = activate_account(
            standing_session(),
            form.pin.data,
            form.code.data,
            form.password.data,
            hasher=context.hasher(),
            policy=policy,
        )
    except IdentityError as error:
        return page(for_citizen(error, min_password_length=policy.min_length), 400)
    return begin_second_step(account, interaction, step="interaction.enrol", activated="1")
