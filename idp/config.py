"""Typed configuration, loaded from ``IDP_*`` environment variables and validated at start.

Every setting has a default that is right for local development and a line saying why. With
``IDP_ENV=production`` the service refuses to start while any development-only secret is in use, or
while a lifetime or the password hashing is weaker than the security decisions allow.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_type_hints
from urllib.parse import urlsplit

from limits import parse_many

from keys import KeyPolicy

ENV_PREFIX = "IDP_"
ENVIRONMENTS = ("development", "test", "production")

#: Development-only values: published in this file, therefore never acceptable in production.
DEV_SECRET_KEY = "development-only-secret-key-not-for-production"  # refused in production
DEV_KEY_ENCRYPTION_KEY = base64.b64encode(b"development-only-kek-32-bytes!!!").decode()
DEV_PAIRWISE_SALT = "development-only-pairwise-salt"


class ConfigError(Exception):
    """The configuration is unusable; the message names the variable and the fix."""


@dataclass(frozen=True, slots=True)
class Settings:
    """All settings of one deployment. Field names map to ``IDP_<NAME>`` variables."""

    #: development, test or production; production enforces secure cookies and real secrets.
    env: str = "development"
    #: Signs Flask session and CSRF cookies; must be a long random value in production.
    secret_key: str = DEV_SECRET_KEY
    #: SQLAlchemy URL. Empty means embedded SQLite in the instance folder.
    database_url: str = ""
    #: The issuer identifier; every token and discovery document names it exactly.
    issuer: str = "http://127.0.0.1:5000"
    #: Base64 of 32 bytes: the AES-256-GCM key that seals TOTP seeds and private signing keys.
    key_encryption_key: str = DEV_KEY_ENCRYPTION_KEY
    #: Secret salt of pairwise subject identifiers. Changing it changes every citizen's ``sub`` at
    #: every portal, so it is set once per deployment and never rotated.
    pairwise_salt: str = DEV_PAIRWISE_SALT
    #: Where the embedded database and other local state live; empty means Flask's instance folder.
    instance_path: str = ""
    #: argon2id iterations, memory (KiB) and lanes; OWASP's second recommended profile by default.
    argon2_time_cost: int = 3
    argon2_memory_cost: int = 65536
    argon2_parallelism: int = 1
    #: Lifetimes in seconds. Codes: at most 60 s (ASVS 10.4.3 L3). Sessions: NIST 800-63B AAL2
    #: (30 min idle, 12 h absolute). Refresh tokens: idle and absolute, never beyond the SSO session.
    authorization_code_ttl: int = 60
    access_token_ttl: int = 600
    id_token_ttl: int = 3600
    refresh_token_idle_ttl: int = 4 * 3600
    refresh_token_absolute_ttl: int = 12 * 3600
    #: Parallel refreshes of one token within this many seconds get the same answer, not a family revocation.
    #: 0 (strict, as node-oidc-provider, Keycloak and Hydra): a replay inside a window would go unnoticed.
    refresh_reuse_grace: int = 0
    sso_session_idle_ttl: int = 30 * 60
    sso_session_absolute_ttl: int = 12 * 3600
    activation_code_ttl: int = 72 * 3600
    #: Logout notices (back-channel logout): seconds between the worker's rounds, a portal's time to answer,
    #: the wait before the first retry (doubled after each failure, at most an hour), and when to give up.
    logout_worker_interval: int = 2
    logout_delivery_timeout: int = 5
    logout_retry_delay: int = 5
    logout_notice_deadline: int = 24 * 3600
    #: Signing keys rotate by themselves this often (seconds); 0 turns automatic rotation off.
    key_rotation_interval: int = 30 * 24 * 3600
    #: How long a process trusts its cached copy of the signing keys; bounds how late it sees a rotation.
    key_cache_ttl: int = 5
    #: How long a process trusts an active client it has read (seconds; 0: never). The token endpoint then
    #: skips its one database read; a suspension or secret rotation made by another process takes effect
    #: within this time (at once in the process that made it). Measured in docs/performance.md.
    client_cache_ttl: int = 2
    #: Algorithm of JWT access tokens (RFC 9068); ID tokens use each client's registered algorithm.
    #: ES256 by measurement (docs/performance.md): signing is about 5x cheaper than RS256 and every token
    #: request signs one; verifying costs a little more, once per userinfo or introspection. RS256 stays
    #: available for resource servers that only verify RS256 (the algorithm RFC 9068 makes mandatory).
    access_token_alg: str = "ES256"
    #: How many reverse proxies stand in front of the service. Their X-Forwarded-For, -Proto, -Host and
    #: -Port are believed, that many from the right; with 0 nobody's are (docs/deployment.md).
    trusted_proxies: int = 0
    #: The issuer name authenticator apps show beside the citizen's masked PIN.
    otp_issuer: str = "Định danh điện tử quốc gia"
    #: Decree 69/2024: an identity verified in person (level 2) signs in with a one-time code too.
    level2_requires_otp: bool = True
    #: Failures of one factor that are free before attempts must wait, and failures that lock the factor
    #: until a supervisor lifts the lock (SECURITY.md decision 4: at most 100).
    free_failures: int = 5
    lock_after_failures: int = 100
    #: Sign-in attempts kept for the citizen's account page and the auditors, in days.
    sign_in_history_days: int = 365
    #: POSTs per client address to the forms that check a secret (sign-in, code, activation, password change),
    #: one budget for all of them: Flask-Limiter's notation, limits separated by ``;``. Counted in this
    #: process, or in Redis when ``IDP_REDIS_URL`` is set (``idp.rate_limit``).
    form_rate_limit: str = "30 per minute;300 per hour"
    #: ``redis://host:port/db`` shares rate-limit counters between processes; empty keeps them in memory.
    redis_url: str = ""
    #: Largest request body accepted, in bytes; forms here are small.
    max_content_length: int = 64 * 1024
    #: Default log level of the service.
    log_level: str = "INFO"

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def allows_http_loopback_redirects(self) -> bool:
        """http://127.0.0.1 and http://localhost redirect URIs are for development and tests only."""
        return not self.is_production

    def key_encryption_key_bytes(self) -> bytes:
        return base64.b64decode(self.key_encryption_key)


_BOOLEANS = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}


def _convert(name: str, raw: str, kind: Any) -> Any:
    if kind is bool:
        if raw.strip().lower() not in _BOOLEANS:
            raise ConfigError(f"{ENV_PREFIX}{name.upper()} must be true or false, not {raw!r}.")
        return _BOOLEANS[raw.strip().lower()]
    if kind is int:
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"{ENV_PREFIX}{name.upper()} must be a whole number, not {raw!r}.") from None
    return raw


def load_settings(environ: Mapping[str, str] | None = None, **explicit: Any) -> Settings:
    """Settings from the environment, then explicit keyword values; validated before returning."""
    environ = os.environ if environ is None else environ
    hints = get_type_hints(Settings)
    names = {f.name for f in dataclasses.fields(Settings)}
    values: dict[str, Any] = {}
    for key, raw in environ.items():
        if not key.startswith(ENV_PREFIX):
            continue
        name = key.removeprefix(ENV_PREFIX).lower()
        if name not in names:
            known = ", ".join(ENV_PREFIX + known.upper() for known in sorted(names))
            raise ConfigError(f"Unknown setting {key}; the settings are {known}.")
        values[name] = _convert(name, raw, hints[name])
    values.update(explicit)
    settings = Settings(**values)
    validate(settings)
    return settings


def validate(settings: Settings) -> None:
    """Refuse configurations that would run insecurely or not at all."""
    if settings.env not in ENVIRONMENTS:
        raise ConfigError(f"IDP_ENV must be one of {', '.join(ENVIRONMENTS)}, not {settings.env!r}.")
    try:
        kek = base64.b64decode(settings.key_encryption_key, validate=True)
    except (binascii.Error, ValueError):
        kek = b""
    if len(kek) != 32:
        raise ConfigError("IDP_KEY_ENCRYPTION_KEY must be the base64 encoding of exactly 32 random bytes.")
    if settings.access_token_alg not in ("RS256", "ES256", "EdDSA"):
        raise ConfigError("IDP_ACCESS_TOKEN_ALG must be RS256, ES256 or EdDSA.")
    if not 0 <= settings.client_cache_ttl <= 60:
        raise ConfigError("IDP_CLIENT_CACHE_TTL must be between 0 and 60 seconds.")
    if not 0 <= settings.trusted_proxies <= 5:
        raise ConfigError("IDP_TRUSTED_PROXIES must be between 0 and 5: the number of reverse proxies in front.")
    if not 1 <= settings.free_failures < settings.lock_after_failures <= 100:
        raise ConfigError(
            "IDP_FREE_FAILURES must be at least 1 and below IDP_LOCK_AFTER_FAILURES, which may be at most 100."
        )
    _validate_rate_limit(settings)
    if not 1 <= settings.authorization_code_ttl <= 600:
        raise ConfigError("IDP_AUTHORIZATION_CODE_TTL must be between 1 and 600 seconds.")
    _validate_logout_timing(settings)
    try:
        key_policy(settings)
    except ValueError as error:
        raise ConfigError(str(error)) from None
    if settings.argon2_memory_cost < 8 * settings.argon2_parallelism or settings.argon2_time_cost < 1:
        raise ConfigError("The argon2 parameters are below argon2's own minimums.")
    if settings.is_production:
        _validate_production(settings)


def _validate_logout_timing(settings: Settings) -> None:
    for name in ("logout_worker_interval", "logout_delivery_timeout", "logout_retry_delay", "logout_notice_deadline"):
        if getattr(settings, name) < 1:
            raise ConfigError(f"IDP_{name.upper()} must be at least 1 second.")


#: Redis URL schemes the rate-limit storage (the ``limits`` package) connects to.
_REDIS_SCHEMES = ("redis", "rediss", "redis+unix", "redis+sentinel", "redis+cluster")


def _validate_rate_limit(settings: Settings) -> None:
    """A typo in the limit would otherwise surface at the first sign-in, as an error on every one."""
    try:
        limits = parse_many(settings.form_rate_limit)
    except ValueError:
        limits = []
    if not limits or any(limit.amount < 1 for limit in limits):
        raise ConfigError(
            f"IDP_FORM_RATE_LIMIT must be one or more limits separated by ';', each like '30 per minute' or "
            f"'300/hour' with at least 1 request, not {settings.form_rate_limit!r}."
        )
    if settings.redis_url and urlsplit(settings.redis_url).scheme not in _REDIS_SCHEMES:
        raise ConfigError("IDP_REDIS_URL must be empty or a redis:// (or rediss://) URL such as redis://127.0.0.1:6379/0.")


#: SECURITY.md decisions 2 and 7, NIST 800-63B AAL2: codes live a minute at most; a sign-in lasts at most
#: 30 minutes idle and 12 hours in all, and so does the token family it opens. An access token lives at
#: most 15 minutes, since a resource server that checks it offline accepts it after revocation or logout
#: for its whole life; an ID token at most an hour. Shorter is always allowed.
_PRODUCTION_CEILINGS = {
    "authorization_code_ttl": 60,
    "sso_session_idle_ttl": 30 * 60,
    "sso_session_absolute_ttl": 12 * 3600,
    "refresh_token_absolute_ttl": 12 * 3600,
    "access_token_ttl": 15 * 60,
    "id_token_ttl": 3600,
}
#: OWASP Password Storage Cheat Sheet: argon2id (memory KiB, iterations) pairs of equal strength, one lane.
#: Production needs at least the memory and the iterations of one of them.
_OWASP_ARGON2_TIERS = ((47104, 1), (19456, 2), (12288, 3), (9216, 4), (7168, 5))


def _validate_production(settings: Settings) -> None:
    if settings.secret_key == DEV_SECRET_KEY or len(settings.secret_key) < 32:
        raise ConfigError("In production IDP_SECRET_KEY must be set to a random value of 32 characters or more.")
    if settings.pairwise_salt == DEV_PAIRWISE_SALT or len(settings.pairwise_salt) < 32:
        raise ConfigError("In production IDP_PAIRWISE_SALT must be set once to a random value of 32+ characters.")
    if settings.key_encryption_key == DEV_KEY_ENCRYPTION_KEY:
        raise ConfigError("In production IDP_KEY_ENCRYPTION_KEY must be set; the development key is public.")
    if not settings.issuer.startswith("https://"):
        raise ConfigError("In production IDP_ISSUER must be an https:// URL.")
    if not any(
        settings.argon2_memory_cost >= memory and settings.argon2_time_cost >= time_cost
        for memory, time_cost in _OWASP_ARGON2_TIERS
    ):
        tiers = [f"{memory} KiB and {time_cost}" for memory, time_cost in _OWASP_ARGON2_TIERS]
        raise ConfigError(
            "In production IDP_ARGON2_MEMORY_COST and IDP_ARGON2_TIME_COST must meet one of OWASP's argon2id "
            f"minimums (memory and iterations): {', '.join(tiers[:-1])} or {tiers[-1]}."
        )
    for name, ceiling in _PRODUCTION_CEILINGS.items():
        if getattr(settings, name) > ceiling:
            raise ConfigError(f"In production IDP_{name.upper()} may be at most {ceiling} seconds.")


def key_policy(settings: Settings) -> KeyPolicy:
    """The signing-key timing rules these settings imply (rotation, publication, removal)."""
    return KeyPolicy(
        rotation_interval=settings.key_rotation_interval,
        max_token_ttl=max(settings.access_token_ttl, settings.id_token_ttl),
        cache_ttl=settings.key_cache_ttl,
    )


def database_url(settings: Settings, instance_path: Path) -> str:
    """The configured URL, or embedded SQLite in the instance folder."""
    if settings.database_url:
        return settings.database_url
    instance_path.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{instance_path / 'idp.sqlite3'}"
