"""Sign-in state without Flask: SSO sessions, codes, grants, refresh tokens, consent, status changes.

Everything here takes an SQLAlchemy session and plain values, so the web layer, the CLI and the tests
drive the same functions; an import-linter contract keeps Flask, werkzeug and the layers above out.
"""
