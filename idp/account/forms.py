"""The account pages' forms. Every one carries the CSRF token (Flask-WTF); buttons are labelled in the
templates, since one page shows a form per session and per portal."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField
from wtforms.validators import InputRequired, Length

CURRENT_PASSWORD = {"autocomplete": "current-password"}
NEW_PASSWORD = {"autocomplete": "new-password"}


class SessionForm(FlaskForm):
    """One of the citizen's sessions, by its public ``sid``."""

    sid = HiddenField(validators=[InputRequired(), Length(max=64)])


class PortalForm(FlaskForm):
    """One of the portals holding the citizen's data, by its ``client_id``."""

    client_id = HiddenField(validators=[InputRequired(), Length(max=64)])


class PasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), [InputRequired(), Length(max=1024)], render_kw=CURRENT_PASSWORD)
    new = PasswordField(_l("New password"), [InputRequired(), Length(max=1024)], render_kw=NEW_PASSWORD)
    repeat = PasswordField(_l("Repeat the new password"), [InputRequired(), Length(max=1024)], render_kw=NEW_PASSWORD)


class ConfirmForm(FlaskForm):
    """A sensitive step: the password, unless it was given in the last few minutes."""

    password = PasswordField(_l("Your password"), [Length(max=1024)], render_kw=CURRENT_PASSWORD)
