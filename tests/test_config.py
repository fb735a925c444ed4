"""Configuration is typed, validated at start, and production refuses development secrets."""

from __future__ import annotations

import base64
import dataclasses
from pathlib import Path

import pytest

from idp.config import ConfigError, Settings, load_settings

REAL_KEK = base64.b64encode(bytes(range(32))).decode()
#: Production with its secrets set; every other setting at its default.
PRODUCTION = {
    "IDP_ENV": "production",
    "IDP_ISSUER": "https://id.example.vn",
    "IDP_SECRET_KEY": "s" * 40,
    "IDP_PAIRWISE_SALT": "p" * 40,
    "IDP_KEY_ENCRYPTION_KEY": REAL_KEK,
}
#: OWASP Password Storage Cheat Sheet, argon2id with one lane: (memory KiB, iterations), equally strong.
OWASP_ARGON2_TIERS = [(47104, 1), (19456, 2), (12288, 3), (9216, 4), (7168, 5)]


def test_environment_variables_are_read_and_typed() -> None:
    settings = load_settings({"IDP_ISSUER": "https://id.example.vn", "IDP_ARGON2_TIME_COST": "4"})
    assert settings.issuer == "https://id.example.vn"
    assert settings.argon2_time_cost == 4


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"IDP_ISSUR": "https://x"}, "Unknown setting IDP_ISSUR"),
        ({"IDP_ARGON2_TIME_COST": "three"}, "whole number"),
        ({"IDP_ENV": "staging"}, "IDP_ENV must be one of"),
        ({"IDP_KEY_ENCRYPTION_KEY": "c2hvcnQ="}, "exactly 32 random bytes"),
        ({"IDP_KEY_ROTATION_INTERVAL": "5"}, "IDP_KEY_ROTATION_INTERVAL=5 is too short"),
    ],
)
def test_bad_settings_are_refused_with_the_variable_named(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(environ)


def test_production_refuses_development_secrets() -> None:
    base = {"IDP_ENV": "production", "IDP_ISSUER": "https://id.example.vn"}
    with pytest.raises(ConfigError, match="IDP_SECRET_KEY"):
        load_settings(base)
    base["IDP_SECRET_KEY"] = "s" * 40
    with pytest.raises(ConfigError, match="IDP_PAIRWISE_SALT"):
        load_settings(base)
    base["IDP_PAIRWISE_SALT"] = "p" * 40
    with pytest.raises(ConfigError, match="IDP_KEY_ENCRYPTION_KEY"):
        load_settings(base)
    base["IDP_KEY_ENCRYPTION_KEY"] = REAL_KEK
    with pytest.raises(ConfigError, match="https"):
        load_settings({**base, "IDP_ISSUER": "http://x"})
    assert load_settings(base).is_production


def test_production_accepts_the_defaults() -> None:
    """Only the secrets and the issuer need setting: every default lies within the production limits."""
    assert load_settings(PRODUCTION) == Settings(
        env="production",
        issuer="https://id.example.vn",
        secret_key="s" * 40,
        pairwise_salt="p" * 40,
        key_encryption_key=REAL_KEK,
    )


@pytest.mark.parametrize(
    ("name", "ceiling"),
    [
        ("IDP_AUTHORIZATION_CODE_TTL", 60),
        ("IDP_SSO_SESSION_IDLE_TTL", 1800),
        ("IDP_SSO_SESSION_ABSOLUTE_TTL", 43200),
        ("IDP_REFRESH_TOKEN_ABSOLUTE_TTL", 43200),
        ("IDP_ACCESS_TOKEN_TTL", 900),
        ("IDP_ID_TOKEN_TTL", 3600),
    ],
)
def test_production_refuses_lifetimes_beyond_the_security_decisions(name: str, ceiling: int) -> None:
    """SECURITY.md decisions 2 and 7: codes at most 60 s, sessions at most 30 min idle and 12 h in all;
    access tokens at most 15 min (a resource server checking them offline honours no revocation), ID
    tokens at most 1 h."""
    assert getattr(load_settings({**PRODUCTION, name: str(ceiling)}), name[4:].lower()) == ceiling
    with pytest.raises(ConfigError, match=f"{name} may be at most {ceiling} seconds"):
        load_settings({**PRODUCTION, name: str(ceiling + 1)})
    assert load_settings({name: str(ceiling + 1)}).env == "development"


@pytest.mark.parametrize(("memory", "time_cost"), OWASP_ARGON2_TIERS)
def test_production_accepts_every_owasp_argon2_tier(memory: int, time_cost: int) -> None:
    environ = {**PRODUCTION, "IDP_ARGON2_MEMORY_COST": str(memory), "IDP_ARGON2_TIME_COST": str(time_cost)}
    settings = load_settings({**environ, "IDP_ARGON2_PARALLELISM": "1"})
    assert (settings.argon2_memory_cost, settings.argon2_time_cost) == (memory, time_cost)


@pytest.mark.parametrize(
    ("memory", "time_cost"),
    [(memory - 1, time_cost) for memory, time_cost in OWASP_ARGON2_TIERS]
    + [(memory, time_cost - 1) for memory, time_cost in OWASP_ARGON2_TIERS[1:]],
)
def test_production_refuses_argon2_parameters_below_every_owasp_tier(memory: int, time_cost: int) -> None:
    """Memory and iterations trade against each other only along OWASP's tiers: 19 MiB needs two passes."""
    environ = {**PRODUCTION, "IDP_ARGON2_MEMORY_COST": str(memory), "IDP_ARGON2_TIME_COST": str(time_cost)}
    with pytest.raises(ConfigError, match="IDP_ARGON2_MEMORY_COST and IDP_ARGON2_TIME_COST must meet"):
        load_settings(environ)
    assert load_settings({key: value for key, value in environ.items() if key != "IDP_ENV"}).env == "development"


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    variables = [f"IDP_{field.name.upper()}" for field in dataclasses.fields(Settings)]
    undocumented = [name for name in variables if name not in readme]
    assert undocumented == []
