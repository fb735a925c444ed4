"""A forgotten password: what to do, since it is replaced only through a registrar."""

from __future__ import annotations

from flask import render_template, request

from .blueprint import bp


@bp.route("/forgotten")
def forgotten():  # type: ignore[no-untyped-def]
    """A forgotten password is replaced through a registrar and a new activation code, never online."""
    return render_template("forgotten.html", interaction_id=request.args.get("interaction") or None)
