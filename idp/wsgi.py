"""WSGI entry point for servers: ``idp.wsgi:app``.

The served app replays the discovery and JWKS responses in front of Flask (``published_documents``):
chosen by measurement, see docs/performance.md. In front of both, a request's body is read before the
request takes one of the app's threads (``admission``), so that a client that never sends its body
cannot hold them.
"""

from . import admission
from .app import create_app
from .published_documents import install

app = create_app()
install(app)
admission.install(app)
