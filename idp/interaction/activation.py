"""Account activation: PIN + one-time activation code from the registrar + a new password."""

from __future__ import annotations

from flask import render_template
from flask_babel import gettext as _

from identity import IdentityError
from identity.accounts import activate_account

from .. import context
from ..db import standing_session
from .blueprint import bp
from .forms import ActivationForm
from .messages import for_citizen


@bp.route("/activate", methods=["GET", "POST"])
def activate():  # type: ignore[no-untyped-def]
    form = ActivationForm()
    if not form.is_submitted():
        return render_template("activate.html", form=form, error=None)
    if not form.validate_on_submit():
        return render_template("activate.html", form=form, error=_("Please fill in every field.")), 400
    if form.password.data != form.confirm.data:
        return render_template("activate.html", form=form, error=_("The two passwords are not the same.")), 400
    policy = context.password_policy()
    try:
        # A wrong code counts against the activation code's attempts, and that count stands.
        activate_account(
            standing_session(),
            form.pin.data,
            form.code.data,
            form.password.data,
            hasher=context.hasher(),
            policy=policy,
        )
    except IdentityError as error:
        message = for_citizen(error, min_password_length=policy.min_length)
        return render_template("activate.html", form=form, error=message), 400
    return render_template("activated.html")
