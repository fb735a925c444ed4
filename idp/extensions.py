"""Flask extensions, created unbound at import and bound to the app in ``create_app``.

Modules that need one (to exempt a blueprint from CSRF, say) import it from here, never from the
app factory, so no module imports ``idp.app``.
"""

from __future__ import annotations

from flask_babel import Babel
from flask_wtf import CSRFProtect

csrf = CSRFProtect()
babel = Babel()
