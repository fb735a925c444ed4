"""Registry services: generated identifiers, hashed secrets, rotation, suspension, audit, nothing written on refusal."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import clients.credentials
from clients import (
    AuthMethod,
    Client,
    ClientStatusConflict,
    ClientSuspended,
    InvalidMetadata,
    UnknownClient,
    find_active_client,
    get_active_client,
    get_client,
    list_clients,
    restore_client,
    rotate_secret,
    suspend_client,
)
from identity import InvalidInput, audit
from identity.models import AuditEvent
from tests.factories import public_jwks, registered_client, rsa_key


def events(session: Session) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))


def count_clients(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Client)) or 0


def raw_rows(session: Session, table: str) -> list[str]:
    """Every stored value of a table as text, read past the ORM."""
    return [str(value) for row in session.execute(text(f"SELECT * FROM {table}")) for value in row]


def test_client_ids_are_generated_unguessable_and_never_pin_shaped(session: Session) -> None:
    ids = {registered_client(session)[0].client_id for _ in range(5)}
    assert len(ids) == 5
    for client_id in ids:
        assert re.fullmatch(r"[A-Za-z0-9]{32}", client_id)
        assert not re.fullmatch(r"[0-9]{12}", client_id)


def test_the_secret_is_strong_returned_once_and_stored_only_as_a_hash(session: Session) -> None:
    client, secret = registered_client(session)
    assert secret is not None and len(secret) >= 43  # 256 bits, URL-safe base64
    assert client.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    stored = raw_rows(session, "clients") + raw_rows(session, "audit_events")
    assert not any(secret in value for value in stored)
    assert not any(client.secret_hash in value for value in raw_rows(session, "audit_events"))


def test_a_wrong_secret_fails_through_a_constant_time_comparison(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, secret = registered_client(session)
    assert secret is not None
    compared: list[tuple[str, str]] = []
    real = clients.credentials.compare_digest

    def spy(a: str, b: str) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(clients.credentials, "compare_digest", spy)
    assert not client.check_client_secret(secret[:-1] + ("A" if secret[-1] != "A" else "B"))
    assert client.check_client_secret(secret)
    assert len(compared) == 2 and all(len(a) == len(b) == 64 for a, b in compared)
    assert not client.check_client_secret(None)
    assert not client.check_client_secret("\udcff")


@pytest.mark.parametrize(
    ("method", "extra"),
    [("none", {}), ("private_key_jwt", {"jwks": public_jwks(rsa_key())})],
)
def test_clients_without_secret_methods_get_no_secret_and_cannot_rotate_one(
    session: Session, method: str, extra: dict[str, Any]
) -> None:
    client, secret = registered_client(session, token_endpoint_auth_method=method, **extra)
    assert secret is None and client.secret_hash is None
    with pytest.raises(InvalidMetadata, match=f"has no secret: it authenticates with {method}"):
        rotate_secret(session, client.client_id, actor="admin")


def test_a_public_client_cannot_get_client_credentials(session: Session) -> None:
    with pytest.raises(InvalidMetadata, match="public client cannot use client_credentials"):
        registered_client(
            session, token_endpoint_auth_method="none", grant_types=["authorization_code", "client_credentials"]
        )


def test_a_rotated_secret_replaces_the_old_one_at_once(session: Session) -> None:
    client, old = registered_client(session)
    new = rotate_secret(session, client.client_id, actor="admin:lan")
    session.commit()
    client = get_client(session, client.client_id)
    assert new != old and client.check_client_secret(new) and not client.check_client_secret(old)
    event = events(session)[-1]
    assert (event.action, event.actor, event.subject) == (
        "client.secret_rotated",
        "admin:lan",
        f"client:{client.client_id}",
    )
    assert new not in event.details and client.secret_hash not in event.details


def test_registration_is_audited_with_the_metadata_and_the_approver(session: Session) -> None:
    client, _ = registered_client(
        session, scopes=["openid", "citizen_card"], approve_restricted=True, actor="admin:lan"
    )
    (event,) = events(session)
    assert (event.action, event.actor, event.subject) == (
        "client.registered",
        "admin:lan",
        f"client:{client.client_id}",
    )
    assert '"scopes":["openid","citizen_card"]' in event.details
    assert '"restricted_scopes_approved_by":"admin:lan"' in event.details
    assert audit.verify_chain(session).ok


def test_a_refused_registration_writes_nothing(session: Session) -> None:
    with pytest.raises(InvalidMetadata):
        registered_client(session, redirect_uris=["https://dichvucong.gov.vn/cb", "https://evil.example@x.gov.vn/"])
    session.rollback()
    assert count_clients(session) == 0 and events(session) == []


def test_suspend_and_restore_need_a_reason_and_are_audited(session: Session) -> None:
    client, _ = registered_client(session)
    for blank in ("", "   ", None):
        with pytest.raises(InvalidInput, match="reason is required"):
            suspend_client(session, client.client_id, reason=blank, actor="admin")  # type: ignore[arg-type]
    assert client.is_active and len(events(session)) == 1

    suspend_client(session, client.client_id, reason="  secret  leaked ", actor="admin:lan")
    session.commit()
    assert (client.status.value, client.status_reason) == ("suspended", "secret leaked")
    with pytest.raises(ClientSuspended, match="is suspended: secret leaked"):
        get_active_client(session, client.client_id)
    assert find_active_client(session, client.client_id) is None
    with pytest.raises(ClientStatusConflict, match="already suspended"):
        suspend_client(session, client.client_id, reason="again", actor="admin")

    restore_client(session, client.client_id, reason="secret rotated", actor="admin:minh")
    session.commit()
    assert get_active_client(session, client.client_id) is client
    with pytest.raises(ClientStatusConflict, match="already active"):
        restore_client(session, client.client_id, reason="again", actor="admin")
    suspended, restored = events(session)[-2:]
    assert (suspended.action, suspended.actor, suspended.reason) == ("client.suspended", "admin:lan", "secret leaked")
    assert (restored.action, restored.actor, restored.reason) == ("client.restored", "admin:minh", "secret rotated")
    assert audit.verify_chain(session).ok


def test_unknown_client_ids_are_refused_whatever_they_look_like(session: Session) -> None:
    for client_id in ("nope", "0" * 12, "x" * 5000, "", "' OR 1=1 --"):
        with pytest.raises(UnknownClient, match="No client is registered"):
            get_client(session, client_id)
        assert find_active_client(session, client_id) is None
    with pytest.raises(UnknownClient):
        suspend_client(session, "nope", reason="x", actor="admin")


def test_list_includes_suspended_clients_by_name(session: Session) -> None:
    b, _ = registered_client(session, name="B portal")
    registered_client(session, name="A portal")
    suspend_client(session, b.client_id, reason="audit finding", actor="admin")
    session.commit()
    assert [(c.name, c.status.value) for c in list_clients(session)] == [
        ("A portal", "active"),
        ("B portal", "suspended"),
    ]


@pytest.mark.parametrize(
    "tamper",
    [
        {"secret_hash": None},
        {"require_pkce": False, "token_endpoint_auth_method": AuthMethod.NONE, "secret_hash": None},
        {"restricted_scopes_approved_by": "someone"},
        {"status": "suspended"},
    ],
)
def test_the_database_refuses_rows_that_break_the_rules(session: Session, tamper: dict[str, Any]) -> None:
    client, _ = registered_client(session)
    with pytest.raises(IntegrityError):
        session.execute(update(Client).where(Client.id == client.id).values(**tamper))
    session.rollback()
