"""The application factory: configuration, database, error pages and CLI, in a fixed order."""

from __future__ import annotations

import logging

from flask import Flask

from .config import Settings, load_settings


def create_app(settings: Settings | None = None) -> Flask:
    """Build the service. Nothing is connected or loaded at import time, only here."""
    settings = settings or load_settings()
    app = Flask("idp", instance_path=settings.instance_path or None, instance_relative_config=True)
    setup_config(app, settings)
    from . import db, errors, i18n, models, security  # noqa: F401  (models: complete metadata first)
    from .interaction.setup import setup_interaction
    from .oidc.setup import setup_oidc

    db.setup_db(app)
    security.setup_security(app, settings)
    i18n.setup_i18n(app)
    setup_oidc(app, settings)
    setup_interaction(app)
    errors.setup_errors(app)
    return app


def setup_config(app: Flask, settings: Settings) -> None:
    """Copy the typed settings into Flask's config and keep the object for the rest of the code."""
    app.extensions["idp.settings"] = settings
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_content_length,
        MAX_FORM_MEMORY_SIZE=settings.max_content_length,
        MAX_FORM_PARTS=100,
        TESTING=settings.env == "test",
        DEBUG=False,
    )
    logging.getLogger("idp").setLevel(settings.log_level.upper())


def settings_of(app: Flask) -> Settings:
    settings: Settings = app.extensions["idp.settings"]
    return settings
