"""Registering the account pages."""

from __future__ import annotations

from flask import Flask

from . import home, logout, password, portals, recovery, sessions  # noqa: F401  (routes register at import)
from .blueprint import bp


def setup_account(app: Flask) -> None:
    app.register_blueprint(bp)
