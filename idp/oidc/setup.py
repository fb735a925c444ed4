"""Wiring of the provider into the app: key ring, Authlib server, password tools, cached documents, routes."""

from __future__ import annotations

from flask import Flask

from identity.password_policy import PasswordPolicy
from identity.passwords import PasswordHasher
from keys import KeyRing

from ..config import Settings, key_policy
from ..db import session_factory
from ..security import csrf
from . import authorize, discovery, introspection, jwks, par, revocation, token, userinfo
from .server import build_provider

#: Endpoints called by portals' back-ends or by portals' forms: they authenticate clients, not browsers.
_API_BLUEPRINTS = (authorize.bp, token.bp, userinfo.bp, revocation.bp, introspection.bp, par.bp)


def setup_oidc(app: Flask, settings: Settings) -> None:
    keyring = KeyRing(
        session_factory(app),
        kek=settings.key_encryption_key_bytes(),
        policy=key_policy(settings),
    )
    app.extensions["idp.keyring"] = keyring

    @app.before_request
    def _signing_keys_loaded() -> None:
        """The first load of the key ring writes (bootstrap) on its own connection: do it before this
        request opens a transaction, or SQLite would make the two wait on each other. Later refreshes
        run in the background and never block a request."""
        keyring.jwks_document()

    app.extensions["idp.provider"] = build_provider(app, settings, keyring)
    app.extensions["idp.hasher"] = PasswordHasher(
        time_cost=settings.argon2_time_cost,
        memory_cost=settings.argon2_memory_cost,
        parallelism=settings.argon2_parallelism,
    )
    app.extensions["idp.password_policy"] = PasswordPolicy()
    app.extensions["idp.discovery"] = discovery.serialised(settings)
    for blueprint in (*_API_BLUEPRINTS, discovery.bp, jwks.bp):
        app.register_blueprint(blueprint)
    for blueprint in _API_BLUEPRINTS:
        csrf.exempt(blueprint)
