"""The citizen's forms. Standard ``autocomplete`` attributes let password managers and assistive tools work."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField, SubmitField
from wtforms.validators import InputRequired, Length

PIN_FIELD = {"autocomplete": "username", "inputmode": "numeric", "autocapitalize": "off", "spellcheck": "false"}


class LoginForm(FlaskForm):
    interaction = HiddenField()
    pin = StringField(_l("Personal identification number"), [InputRequired(), Length(max=32)], render_kw=PIN_FIELD)
    password = PasswordField(
        _l("Password"), [InputRequired(), Length(max=1024)], render_kw={"autocomplete": "current-password"}
    )
    submit = SubmitField(_l("Sign in"))


class ActivationForm(FlaskForm):
    interaction = HiddenField()
    pin = StringField(_l("Personal identification number"), [InputRequired(), Length(max=32)], render_kw=PIN_FIELD)
    code = StringField(
        _l("Activation code"),
        [InputRequired(), Length(max=64)],
        render_kw={"autocomplete": "one-time-code", "autocapitalize": "characters", "spellcheck": "false"},
    )
    password = PasswordField(
        _l("New password"), [InputRequired(), Length(max=1024)], render_kw={"autocomplete": "new-password"}
    )
    confirm = PasswordField(
        _l("Repeat the new password"), [InputRequired(), Length(max=1024)], render_kw={"autocomplete": "new-password"}
    )
    submit = SubmitField(_l("Activate my account"))


class ConsentForm(FlaskForm):
    interaction = HiddenField()
    allow = SubmitField(_l("Allow"))
    deny = SubmitField(_l("Deny"))


ONE_TIME_CODE = {
    "autocomplete": "one-time-code",
    "inputmode": "numeric",
    "autocapitalize": "off",
    "spellcheck": "false",
}


class CodeForm(FlaskForm):
    interaction = HiddenField()
    code = StringField(_l("Code from your app"), [InputRequired(), Length(max=16)], render_kw=ONE_TIME_CODE)
    submit = SubmitField(_l("Continue"))


class RecoveryForm(FlaskForm):
    interaction = HiddenField()
    code = StringField(
        _l("Recovery code"),
        [InputRequired(), Length(max=32)],
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"},
    )
    submit = SubmitField(_l("Continue"))


class EnrolForm(FlaskForm):
    """Confirming a new app with its first code; the password too when the sign-in is not recent."""

    interaction = HiddenField()
    password = PasswordField(
        _l("Your password"), [Length(max=1024)], render_kw={"autocomplete": "current-password"}
    )
    code = StringField(_l("Code from your app"), [InputRequired(), Length(max=16)], render_kw=ONE_TIME_CODE)
    submit = SubmitField(_l("Confirm"))


class ContinueForm(FlaskForm):
    """A button that goes on (or back to the portal), with the request it belongs to."""

    interaction = HiddenField()
    go_on = SubmitField(_l("Continue"))
    back = SubmitField(_l("Back to the portal"))
