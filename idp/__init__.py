"""The web service: OpenID Connect provider, pages, administration and the ``idp`` command."""

from .app import create_app

__all__ = ["create_app"]
