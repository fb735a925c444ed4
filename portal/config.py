"""The portal's settings, from ``PORTAL_*`` environment variables, checked before it serves anything.

One program serves every portal of the demo: each instance gets its own name, port, client
registration and session store through its environment. An unknown ``PORTAL_*`` variable stops the
start, since it is usually a typo that would otherwise be silently ignored.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ENV_PREFIX = "PORTAL_"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost")
#: Signs the session cookie (which holds only the session id); shorter values are guessable.
MIN_SECRET_KEY_LENGTH = 32


class ConfigError(Exception):
    """The configuration is unusable; the message names the variable and what to do."""


@dataclass(frozen=True, slots=True)
class Settings:
    """One portal instance. Field names map to ``PORTAL_<NAME>`` variables."""

    #: Shown on every page, e.g. "Cổng Dịch vụ công tỉnh Hải Dương".
    name: str = "Cổng Dịch vụ công"
    #: The provider's issuer identifier; discovery is read from ``<issuer>/.well-known/openid-configuration``.
    issuer: str = ""
    #: The client registration made with ``idp clients add`` (client_secret_basic).
    client_id: str = ""
    client_secret: str = ""
    #: Signs the session cookie; 32 or more random characters, kept across restarts.
    secret_key: str = ""
    #: Where the portal listens (loopback only: it is a demonstration).
    host: str = "127.0.0.1"
    port: int = 5001
    #: The portal's own address as the browser sees it; empty means ``http://HOST:PORT``. The redirect,
    #: post-logout and logout URIs registered with the provider are made from it.
    url: str = ""
    #: What the portal asks for.
    scope: str = "openid profile"
    #: The SQLite file of sessions and seen logout tokens; empty means ``instance/portal-PORT.sqlite3``.
    store: str = ""
    #: A signed-in session at the portal lasts at most this long (seconds), whatever the provider does.
    session_lifetime: int = 12 * 3600
    #: A logout token issued longer ago than this (seconds) is refused: its ``jti`` may have been forgotten.
    logout_token_max_age: int = 600
    #: Seconds the provider's and the portal's clocks may differ by.
    clock_leeway: int = 60
    #: Seconds to wait for the provider before giving up on a request.
    provider_timeout: int = 10

    @property
    def base_url(self) -> str:
        return (self.url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def redirect_uri(self) -> str:
        return f"{self.base_url}/callback"

    @property
    def post_logout_redirect_uri(self) -> str:
        return f"{self.base_url}/"

    @property
    def backchannel_logout_uri(self) -> str:
        return f"{self.base_url}/backchannel-logout"

    @property
    def frontchannel_logout_uri(self) -> str:
        return f"{self.base_url}/frontchannel-logout"

    @property
    def issuer_origin(self) -> str:
        parts = urlsplit(self.issuer)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def cookie_name(self) -> str:
        """Cookies are not separated by port: two portals on one host need two names."""
        return f"portal_session_{urlsplit(self.base_url).port or self.port}"

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

    def store_path(self, instance_path: str) -> Path:
        return Path(self.store) if self.store else Path(instance_path) / f"portal-{self.port}.sqlite3"


def load_settings(environ: Mapping[str, str] | None = None, **explicit: object) -> Settings:
    """Settings from ``PORTAL_*`` variables, then explicit keyword values; validated before returning."""
    environ = os.environ if environ is None else environ
    fields = {f.name: f for f in dataclasses.fields(Settings)}
    values: dict[str, object] = {}
    for key, raw in environ.items():
        if not key.startswith(ENV_PREFIX):
            continue
        name = key.removeprefix(ENV_PREFIX).lower()
        if name not in fields:
            known = ", ".join(ENV_PREFIX + n.upper() for n in sorted(fields))
            raise ConfigError(f"Unknown variable {key}; known ones are {known}.")
        values[name] = _convert(key, raw, fields[name].default)
    values.update(explicit)
    settings = Settings(**values)  # type: ignore[arg-type]
    validate(settings)
    return settings


def _convert(key: str, raw: str, default: object) -> object:
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"{key} must be a whole number, not {raw!r}.") from None
    return raw


def validate(settings: Settings) -> None:
    for name in ("issuer", "client_id", "client_secret"):
        if not getattr(settings, name):
            raise ConfigError(f"{ENV_PREFIX}{name.upper()} is required (see docs/portal.md).")
    if len(settings.secret_key) < MIN_SECRET_KEY_LENGTH:
        raise ConfigError(
            f"{ENV_PREFIX}SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} random characters, "
            'for example: python -c "import secrets; print(secrets.token_urlsafe(32))"'
        )
    if settings.host not in LOOPBACK_HOSTS:
        raise ConfigError(f"{ENV_PREFIX}HOST must be a loopback address ({', '.join(LOOPBACK_HOSTS)}).")
    _check_url("ISSUER", settings.issuer)
    _check_url("URL", settings.base_url)
    if not 0 < settings.port < 65536:
        raise ConfigError(f"{ENV_PREFIX}PORT must be between 1 and 65535.")
    if "openid" not in settings.scope.split():
        raise ConfigError(f"{ENV_PREFIX}SCOPE must contain openid.")
    for name in ("session_lifetime", "logout_token_max_age", "clock_leeway", "provider_timeout"):
        if getattr(settings, name) <= 0:
            raise ConfigError(f"{ENV_PREFIX}{name.upper()} must be a positive number of seconds.")


def _check_url(name: str, value: str) -> None:
    """https everywhere, except plain http on this machine (the demo)."""
    parts = urlsplit(value)
    loopback_http = parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS
    if not parts.hostname or not (parts.scheme == "https" or loopback_http) or parts.query or parts.fragment:
        raise ConfigError(
            f"{ENV_PREFIX}{name} must be an https URL without query or fragment (http only on 127.0.0.1 "
            f"or localhost), not {value!r}."
        )
