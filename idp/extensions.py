"""Flask extensions, created unbound at import and bound to the app in ``create_app``.

Modules that need one (to exempt a blueprint from CSRF, say) import it from here, never from the
app factory, so no module imports ``idp.app``.
"""

from __future__ import annotations

from flask_babel import Babel
from flask_wtf import CSRFProtect

csrf = CSRFProtect()
babel = Babel()

#: The pages whose POST checks a secret (a password, a one-time or recovery code, an activation code).
#: Together they get one budget per client address, ``IDP_FORM_RATE_LIMIT`` (``idp.rate_limit``, bound
#: in ``create_app``): a new form that checks a secret adds its endpoint here.
SECRET_FORMS = frozenset(
    {
        "interaction.login",
        "interaction.code",
        "interaction.recovery",
        "interaction.enrol",
        "interaction.activate",
        "account.change",
        "account.recovery_codes",
    }
)
