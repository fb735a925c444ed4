"""The application factory: one setup step per concern, in a fixed order.

config → proxies → database → browser protections → per-address limit → languages → services → protocol →
pages (sign-in, then the citizen's account) → errors.
Nothing is connected or loaded at import time; every other module reaches the services through
``idp.context`` and never imports this one.
"""

from __future__ import annotations

import logging

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from identity.db import is_database_unavailable
from identity.password_policy import PasswordPolicy
from identity.passwords import PasswordHasher
from keys import KeyRing

from . import context
from .config import Settings, key_policy, load_settings


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or load_settings()
    app = Flask("idp", instance_path=settings.instance_path or None, instance_relative_config=True)
    from . import db, errors, i18n, models, rate_limit, security  # noqa: F401  (models: complete metadata first)
    from .account.setup import setup_account
    from .interaction.setup import setup_interaction
    from .oidc.setup import setup_oidc

    setup_config(app, settings)
    setup_proxies(app, settings)
    db.setup_db(app)
    security.setup_security(app, settings)
    rate_limit.setup_rate_limit(app, settings)  # after the token and origin checks: only real form posts count
    i18n.setup_i18n(app)
    setup_services(app, settings)
    setup_oidc(app, settings)
    setup_interaction(app)
    setup_account(app)
    errors.setup_errors(app)
    return app


def setup_config(app: Flask, settings: Settings) -> None:
    """Copy the typed settings into Flask's config and keep the object for the rest of the code."""
    context.install(app, "settings", settings)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_content_length,
        MAX_FORM_MEMORY_SIZE=settings.max_content_length,
        MAX_FORM_PARTS=100,
        TESTING=settings.env == "test",
        DEBUG=False,
        PROPAGATE_EXCEPTIONS=False,  # every error is answered by idp.errors, in tests exactly as in production
    )
    logging.getLogger("idp").setLevel(settings.log_level.upper())


def setup_proxies(app: Flask, settings: Settings) -> None:
    """Behind ``IDP_TRUSTED_PROXIES`` reverse proxies, take the client's address, scheme and host from
    their X-Forwarded-* headers (docs/deployment.md). With none, such headers are anyone's and ignored."""
    n = settings.trusted_proxies
    if n:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)  # type: ignore[method-assign]


def setup_services(app: Flask, settings: Settings) -> None:
    """The signing-key ring and the password tools, shared by every request of this process."""
    keyring = context.install(
        app,
        "keyring",
        KeyRing(context.session_factory(app), kek=settings.key_encryption_key_bytes(), policy=key_policy(settings)),
    )

    @app.before_request
    def _signing_keys_loaded() -> None:
        """The first load of the key ring writes (bootstrap) on its own connection: do it before this
        request opens a transaction, or SQLite would make the two wait on each other. Later refreshes
        run in the background and never block a request.

        While the database cannot be reached the request goes on without keys: one that needs none
        (discovery, the sign-in form) is answered, one that signs or verifies fails on its own (503)."""
        try:
            keyring.jwks_document()
        except Exception as error:
            if not is_database_unavailable(error):
                raise

    context.install(
        app,
        "hasher",
        PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_cost,
            parallelism=settings.argon2_parallelism,
        ),
    )
    context.install(app, "password_policy", PasswordPolicy())
