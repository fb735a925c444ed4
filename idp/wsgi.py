"""WSGI entry point for servers: ``idp.wsgi:app``."""

from .app import create_app

app = create_app()
