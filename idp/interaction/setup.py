"""Registering the citizen-facing pages."""

from __future__ import annotations

from flask import Flask

from . import activation, code, consent, enrol, forgotten, level, login  # noqa: F401  (routes register at import)
from .blueprint import bp


def setup_interaction(app: Flask) -> None:
    app.register_blueprint(bp)
