"""WSGI entry point for servers: ``idp.wsgi:app``.

The served app replays the discovery and JWKS responses in front of Flask (``published_documents``):
chosen by measurement, see docs/performance.md.
"""

from .app import create_app
from .published_documents import install

app = create_app()
install(app)
