"""The browser tests run against a provider served as deployed."""

from tests.served import provider_app, server  # noqa: F401  (fixtures)
