"""Builders for client tests: a valid registration with overridable fields, and key material."""

from __future__ import annotations

from typing import Any

from joserfc.jwk import ECKey, RSAKey
from sqlalchemy.orm import Session

from clients import Client, ClientSpec, register_client

PORTAL_CALLBACK = "https://dichvucong.gov.vn/auth/callback"


def spec(**overrides: Any) -> ClientSpec:
    values: dict[str, Any] = {"name": "Cổng Dịch vụ công Quốc gia", "redirect_uris": [PORTAL_CALLBACK]}
    values.update(overrides)
    return ClientSpec(**values)


def register(
    session: Session, *, actor: str = "test:client-admin", allow_http_loopback: bool = False, **overrides: Any
) -> tuple[Client, str | None]:
    """Register and commit, as the CLI does."""
    client, secret = register_client(session, spec(**overrides), actor=actor, allow_http_loopback=allow_http_loopback)
    session.commit()
    return client, secret


def rsa_key(kid: str = "rp-1") -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid}, private=True)


def ec_key(kid: str = "rp-ec") -> ECKey:
    return ECKey.generate_key("P-256", parameters={"kid": kid}, private=True)


def public_jwks(*keys: RSAKey | ECKey) -> dict[str, Any]:
    return {"keys": [key.as_dict(private=False) for key in keys]}
