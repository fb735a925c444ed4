"""WSGI entry point for servers: ``idp.wsgi:app``.

The served app replays the discovery and JWKS responses in front of Flask (``published_documents``):
chosen by measurement, see docs/performance.md. In front of both, a request's body is read before the
request takes one of the app's threads (``admission``), so that a client that never sends its body
cannot hold them.

``idp serve`` asks each server process to run the logout worker too (``RUN_IN_SERVER``), unless told
that ``idp worker`` runs apart.
"""

import os

from . import admission, context
from .app import create_app
from .published_documents import install
from .sso.logout_worker import RUN_IN_SERVER, LogoutWorker

app = create_app()
install(app)
admission.install(app)
if os.environ.get(RUN_IN_SERVER) == "1":
    LogoutWorker(context.session_factory(app), context.keyring(app), context.settings(app)).start()
