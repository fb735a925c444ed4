"""A reference portal: a stranger to the provider that signs citizens in through OpenID Connect only.

It imports nothing of the provider's packages (an import-linter contract says so) and knows the
provider only by its issuer URL. See docs/portal.md.
"""

from .app import create_app

__all__ = ["create_app"]
