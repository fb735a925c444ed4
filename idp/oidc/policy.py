"""When must the citizen interact? Named checks as data (the shape of node-oidc-provider's policy).

Each check names the step it requires: ``login`` (sign in), ``code`` (the one-time code only: a step-up
keeps the password already given), ``level`` (the page that explains identity level 2) or ``consent``.
The first check that applies wins; with ``prompt=none`` it becomes the matching error instead (OIDC
Core 3.1.2.6).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from identity.models import Person

from ..sso import acr
from ..sso.models import SsoSession


@dataclass(frozen=True, slots=True)
class Situation:
    """Everything the checks look at, gathered once per authorization request."""

    sso: SsoSession | None
    person: Person | None
    prompts: frozenset[str]
    max_age: int | None
    login_hint: str | None
    #: ``sub`` named by a verified id_token_hint, and the signed-in citizen's ``sub`` for this client.
    hinted_sub: str | None
    session_sub: str | None
    first_party: bool
    consent_covers: bool
    logged_in_during_interaction: bool
    consented_during_interaction: bool
    #: The session's authentication methods, the identity's level, and the ``acr`` classes the portal wants.
    amr: frozenset[str] = frozenset()
    identity_level: int = 1
    wanted_acr: tuple[acr.AcrClass, ...] = ()
    #: ``IDP_LEVEL2_REQUIRES_OTP`` for a level-2 identity (Decree 69/2024).
    otp_required_by_level: bool = False
    level_acknowledged: bool = False


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    step: str
    description: str
    applies: Callable[[Situation], bool]


def _auth_age(s: Situation) -> float:
    return time.time() - s.sso.auth_time.timestamp() if s.sso else float("inf")


CHECKS = (
    Check("no_session", "login", "nobody is signed in", lambda s: s.sso is None),
    Check(
        "prompt_login",
        "login",
        "the portal asked for a fresh sign-in (prompt=login)",
        lambda s: "login" in s.prompts and not s.logged_in_during_interaction,
    ),
    Check(
        "max_age",
        "login",
        "the sign-in is older than the portal's max_age (OIDC Core 3.1.2.1)",
        lambda s: s.max_age is not None and _auth_age(s) > s.max_age and not s.logged_in_during_interaction,
    ),
    Check(
        "login_hint",
        "login",
        "the portal expects another citizen (login_hint)",
        lambda s: (
            bool(s.login_hint)
            and s.person is not None
            and s.person.pin != s.login_hint
            and not s.logged_in_during_interaction
        ),
    ),
    Check(
        "id_token_hint",
        "login",
        "the portal's id_token_hint names another citizen than the one signed in",
        lambda s: s.hinted_sub is not None and s.hinted_sub != s.session_sub and not s.logged_in_during_interaction,
    ),
    Check(
        "level2_requires_otp",
        "code",
        "an identity verified in person signs in with a one-time code too",
        lambda s: s.otp_required_by_level and "otp" not in s.amr,
    ),
    Check(
        "acr_step_up",
        "code",
        "the portal asks for an acr that a one-time code reaches (acr_values, or essential in claims)",
        lambda s: acr.shortfall(s.amr, s.identity_level, list(s.wanted_acr)) == "otp",
    ),
    Check(
        "acr_beyond_identity",
        "level",
        "the portal asks for an acr above the identity's level: the citizen is told how to reach it",
        lambda s: acr.shortfall(s.amr, s.identity_level, list(s.wanted_acr)) == "level" and not s.level_acknowledged,
    ),
    Check(
        "consent_missing",
        "consent",
        "the citizen has not yet allowed this portal these scopes",
        lambda s: not s.first_party and not s.consent_covers and not s.consented_during_interaction,
    ),
    Check(
        "prompt_consent",
        "consent",
        "the portal asked to confirm consent (prompt=consent)",
        lambda s: not s.first_party and "consent" in s.prompts and not s.consented_during_interaction,
    ),
)


def first_required(situation: Situation) -> Check | None:
    return next((check for check in CHECKS if check.applies(situation)), None)
