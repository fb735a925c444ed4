"""Typed access to the services of the running app: the only module that knows where they are kept.

Views and commands call ``settings()``, ``provider()`` and so on inside an app context; code holding
an app object (the CLI's demo seeding, tests, benchmarks) passes it explicitly. The app factory
installs each service once with :func:`install`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from flask import Flask, current_app

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from identity.password_policy import PasswordPolicy
    from identity.passwords import PasswordHasher
    from keys import KeyRing

    from .config import Settings
    from .oidc.server import Provider

T = TypeVar("T")
_PREFIX = "idp."


def install(app: Flask, name: str, service: T) -> T:
    """Keep *service* on the app under *name* (one of the accessors below)."""
    app.extensions[_PREFIX + name] = service
    return service


def _get(name: str, app: Flask | None) -> Any:
    return (app or current_app).extensions[_PREFIX + name]


def settings(app: Flask | None = None) -> Settings:
    return _get("settings", app)  # type: ignore[no-any-return]


def engine(app: Flask | None = None) -> Engine:
    return _get("engine", app)  # type: ignore[no-any-return]


def session_factory(app: Flask | None = None) -> sessionmaker[Session]:
    return _get("session_factory", app)  # type: ignore[no-any-return]


def keyring(app: Flask | None = None) -> KeyRing:
    return _get("keyring", app)  # type: ignore[no-any-return]


def provider(app: Flask | None = None) -> Provider:
    return _get("provider", app)  # type: ignore[no-any-return]


def hasher(app: Flask | None = None) -> PasswordHasher:
    return _get("hasher", app)  # type: ignore[no-any-return]


def password_policy(app: Flask | None = None) -> PasswordPolicy:
    return _get("password_policy", app)  # type: ignore[no-any-return]


def discovery_document(app: Flask | None = None) -> tuple[bytes, str]:
    """The serialised discovery document and its ETag, built once at start."""
    return _get("discovery", app)  # type: ignore[no-any-return]
