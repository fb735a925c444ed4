"""New recovery codes: ten fresh ones replace those left, shown once.

The password is asked again unless it was given in the last few minutes (``Holder.recent``); a wrong
one counts as at sign-in (``confirm``). The codes are in the answer to the POST itself, not behind a
redirect: they exist in plaintext only there (stored as digests), as on the enrolment page.
"""

from __future__ import annotations

from flask import render_template, request, url_for
from flask_babel import gettext as _

from identity import otp

from ..db import db_session
from .access import Holder, back_home, holder_only
from .blueprint import bp
from .confirm import confirm_password
from .forms import ConfirmForm


@bp.route("/account/recovery-codes", methods=["GET", "POST"])
@holder_only
def recovery_codes(holder: Holder):  # type: ignore[no-untyped-def]
    session = db_session()
    if not otp.has_factor(session, holder.account.id):
        return back_home()  # recovery codes belong to an app; the account page offers to set one up
    form = ConfirmForm()

    def page(error: str | None = None, status: int = 200):  # type: ignore[no-untyped-def]
        left = otp.recovery_codes_left(session, holder.account.id)
        return render_template(
            "account_recovery_codes.html", form=form, error=error, needs_password=not holder.recent, left=left
        ), status

    if request.method != "POST":
        return page()
    if not form.validate_on_submit():
        return page(_("Please fill in every field."), 400)
    if not holder.recent:
        if not form.password.data:
            return page(_("Please fill in every field."), 400)
        if (error := confirm_password(holder, form.password.data)) is not None:
            return page(error, 401)
    codes = otp.new_recovery_codes(session, holder.account, actor=holder.actor)
    return render_template("recovery_codes.html", codes=codes, next_url=url_for("account.home"), replaced=True)
