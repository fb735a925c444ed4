"""Plain-language descriptions of scopes for the consent page (translated)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

SCOPE_TEXT = {
    "openid": _l("Know that it is you (a pseudonymous identifier for this portal)"),
    "profile": _l("Your full name, date of birth and sex"),
    "pin": _l("Your personal identification number"),
    "citizen_card": _l("Your citizen identity card: number, issue and expiry dates, authority"),
    "address": _l("Your place of residence"),
    "email": _l("Your e-mail address"),
    "phone": _l("Your phone number"),
    "offline_access": _l("Stay connected when you are not using the portal"),
}


def describe_scopes(scopes: list[str]) -> list[tuple[str, str]]:
    return [(scope, str(SCOPE_TEXT.get(scope, scope))) for scope in scopes]
