"""The provider's home page: what the service is, and the way in (or the news that you are signed in)."""

from __future__ import annotations

from flask import render_template, request

from ..browser import current_sso_session
from .blueprint import bp


@bp.route("/")
def home():  # type: ignore[no-untyped-def]
    return render_template("home.html", signed_in=current_sso_session() is not None)


@bp.route("/forgotten")
def forgotten():  # type: ignore[no-untyped-def]
    """A forgotten password is replaced through a registrar and a new activation code, never online."""
    return render_template("forgotten.html", interaction_id=request.args.get("interaction") or None)
