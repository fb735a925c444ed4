"""The browser tests reuse the end-to-end server fixtures."""

from tests.e2e.test_relying_party import provider_app, server  # noqa: F401  (fixtures)
