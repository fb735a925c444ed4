"""Setting up a one-time-code app: a QR code (inline SVG), the secret to type, and one code to confirm.

Reached in a sign-in (after the password, when a code is needed and there is no app yet, or after a
recovery code), after activation, and from the home page. The password must be typed again unless it
was given in the last few minutes, and replacing an app takes a code from it (or a recovery code)
first. The new app counts once its first code is confirmed; the previous one works until then.
Confirming shows ten recovery codes, once, and ends the sign-in with the code counted (``amr`` otp).
"""

from __future__ import annotations

import qrcode
import qrcode.image.svg
from flask import make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from identity import CredentialRejected, otp
from identity.authn import authenticate_password
from identity.otp import Enrolment
from identity.sign_in_log import Step

from .. import context
from ..db import db_session, standing_session
from ..oidc import interactions
from .blueprint import bp
from .forms import EnrolForm
from .login import throttle_policy
from .sign_in import Signing, code_required, continue_url, finish, record, signing, with_code


@bp.route("/otp/enrol", methods=["GET", "POST"])
def enrol():  # type: ignore[no-untyped-def]
    interaction = interactions.load(request.values.get("interaction"))
    who = signing()
    interaction_id = interaction.id if interaction else None
    if who is None:
        return redirect(url_for("interaction.login", interaction=interaction_id), code=303)
    if "otp" not in who.amr and otp.has_factor(db_session(), who.account.id):
        # Replacing an app takes the app (or a recovery code) first: the password alone must not
        # set up a new one and come out of it with a two-factor sign-in.
        return redirect(url_for("interaction.code", interaction=interaction_id), code=303)
    settings = context.settings()
    kek, issuer = settings.key_encryption_key_bytes(), settings.otp_issuer
    session = standing_session()
    form = EnrolForm()
    if request.method != "POST":
        enrolment = otp.pending_enrolment(session, who.account, kek=kek, issuer=issuer)
        if enrolment is None or request.args.get("again"):
            enrolment = otp.start_enrolment(session, who.account, kek=kek, issuer=issuer)
        return _page(form, who, interaction, enrolment, None)
    enrolment = otp.pending_enrolment(session, who.account, kek=kek, issuer=issuer)
    if enrolment is None:
        return redirect(url_for("interaction.enrol", interaction=interaction_id), code=303)
    if not form.validate_on_submit():
        return _page(form, who, interaction, enrolment, _("Type the code your app shows.")), 400
    return _confirm(form, who, interaction, enrolment)


def _confirm(form: EnrolForm, who: Signing, interaction, enrolment: Enrolment):  # type: ignore[no-untyped-def]
    """The password (unless just given) and the app's first code: the app counts, the sign-in ends."""
    session = standing_session()
    if not who.recent:
        try:
            pin, password = who.account.person.pin, form.password.data or ""
            authenticate_password(session, pin, password, hasher=context.hasher(), throttle=throttle_policy())
        except CredentialRejected as refusal:
            record(Step.PASSWORD, refusal.account_id, refusal.reason, interaction)
            return _page(form, who, interaction, enrolment, _("The password is not correct.")), 401
    kek = context.settings().key_encryption_key_bytes()
    replacing = otp.has_factor(session, who.account.id)
    try:
        codes = otp.confirm_enrolment(session, who.account, form.code.data.strip(), kek=kek, actor=_actor(who))
    except otp.WrongCode:
        message = _("This code is not right. Check the time on your phone and type the code your app shows now.")
        return _page(form, who, interaction, enrolment, message), 400
    record(Step.OTP, who.account.id, None, interaction)
    page = make_response(render_template("recovery_codes.html", codes=codes, next_url=continue_url(interaction)))
    # ASVS 7.4.3: a new app in place of the old one ends the sessions signed in with the old one.
    end_others = "authenticator app replaced" if replacing else None
    return finish(who.account, with_code(who.amr), interaction, response=page, end_others=end_others)


@bp.route("/otp/later", methods=["POST"])
def later():  # type: ignore[no-untyped-def]
    """Finish a sign-in without an app, when nothing requires one (after activation, say)."""
    interaction = interactions.load(request.values.get("interaction"))
    who = signing()
    if who is None or who.pending is None or code_required(who.account, interaction):
        return redirect(url_for("interaction.enrol", interaction=interaction.id if interaction else None), code=303)
    return finish(who.account, who.amr, interaction)


def _page(form: EnrolForm, who: Signing, interaction, enrolment: Enrolment, error: str | None) -> str:  # type: ignore[no-untyped-def]
    form.interaction.data = interaction.id if interaction else ""
    image = qrcode.make(enrolment.uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=4)
    return render_template(
        "enrol.html",
        form=form,
        error=error,
        qr_svg=Markup(image.to_string(encoding="unicode")),  # noqa: S704  (drawn by qrcode from our own URI)
        enrolment=enrolment,
        needs_password=not who.recent,
        optional=who.pending is not None and not code_required(who.account, interaction),
        portal=interactions.portal_name(interaction),
        interaction=interaction,
    )


def _actor(who: Signing) -> str:
    return f"account:{who.account.id}"
