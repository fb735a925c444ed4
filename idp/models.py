"""Import every package's models, so that the one metadata (and the one migration history) is complete."""

import clients.models  # noqa: F401
import identity.models  # noqa: F401
import idp.sso.models  # noqa: F401
import keys.models  # noqa: F401
