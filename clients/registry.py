"""The relying-party register's services: register, look up, list, suspend, restore, rotate a secret.

Every function works in the caller's transaction: it flushes but never commits, and writes its audit
event in the same unit of work, so a change and its record are committed together or not at all. A
refused request raises a :class:`ClientError` (or ``InvalidInput`` for a missing reason) before
anything is written.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from identity import audit
from identity.errors import InvalidInput
from identity.types import utcnow

from .credentials import hash_secret, new_client_id, new_secret
from .errors import ClientStatusConflict, ClientSuspended, InvalidMetadata, UnknownClient
from .metadata import ClientSpec, validate_spec
from .models import Client
from .vocabulary import ClientStatus

MAX_REASON_LENGTH = 500


def register_client(
    session: Session, spec: ClientSpec, *, actor: str, allow_http_loopback: bool
) -> tuple[Client, str | None]:
    """Register a client; return it with its secret, which exists only here (None without one).

    ``allow_http_loopback`` comes from the deployment (``Settings.allows_http_loopback_redirects``):
    http redirect URIs on a loopback host are accepted only in development and tests.
    """
    metadata = validate_spec(spec, allow_http_loopback=allow_http_loopback)
    secret = new_secret() if metadata.auth_method.uses_secret else None
    approved = metadata.restricted_approved
    client = Client(
        client_id=new_client_id(),
        name=metadata.name,
        secret_hash=None if secret is None else hash_secret(secret),
        token_endpoint_auth_method=metadata.auth_method,
        redirect_uris=list(metadata.redirect_uris),
        post_logout_redirect_uris=list(metadata.post_logout_redirect_uris),
        scopes=list(metadata.scopes),
        grant_types=[grant.value for grant in metadata.grant_types],
        jwks_json=metadata.jwks,
        id_token_signed_response_alg=metadata.id_token_alg,
        require_pkce=metadata.require_pkce,
        sector=metadata.sector,
        backchannel_logout_uri=metadata.backchannel_logout_uri,
        frontchannel_logout_uri=metadata.frontchannel_logout_uri,
        first_party=metadata.first_party,
        restricted_scopes_approved_by=actor if approved else None,
        restricted_scopes_approved_at=utcnow() if approved else None,
        status=ClientStatus.ACTIVE,
    )
    session.add(client)
    session.flush()
    audit.record(session, audit.Event("client.registered", actor, subject_of(client), None, client_record(client)))
    return client, secret


def get_client(session: Session, client_id: str, *, for_update: bool = False) -> Client:
    """The client with this client_id, whatever its status; UnknownClient otherwise."""
    client = None
    if isinstance(client_id, str) and len(client_id) <= 64:
        query = select(Client).where(Client.client_id == client_id)
        if for_update:
            query = query.with_for_update()
        client = session.scalars(query).one_or_none()
    if client is None:
        raise UnknownClient(f"No client is registered with client_id {str(client_id)[:80]!r}.")
    return client


def get_active_client(session: Session, client_id: str) -> Client:
    """The client with this client_id if it may be used now; UnknownClient or ClientSuspended otherwise."""
    client = get_client(session, client_id)
    if not client.is_active:
        raise ClientSuspended(f"The client {client.name!r} ({client.client_id}) is suspended: {client.status_reason}")
    return client


def find_active_client(session: Session, client_id: str) -> Client | None:
    """Authlib's ``query_client`` contract: the usable client, or None for an unknown or suspended one."""
    try:
        return get_active_client(session, client_id)
    except (UnknownClient, ClientSuspended):
        return None


def list_clients(session: Session) -> list[Client]:
    """Every client, suspended ones included, by name."""
    return list(session.scalars(select(Client).order_by(Client.name, Client.client_id)))


def client_names(session: Session, client_ids: Iterable[str]) -> dict[str, str]:
    """The names of the clients among *client_ids*, suspended ones included (for history shown to citizens)."""
    wanted = sorted(set(client_ids))
    if not wanted:
        return {}
    rows = session.execute(select(Client.client_id, Client.name).where(Client.client_id.in_(wanted)))
    return {row.client_id: row.name for row in rows}


def suspend_client(session: Session, client_id: str, *, reason: str, actor: str) -> Client:
    """Stop a client from logging anyone in or obtaining tokens, until it is restored."""
    return _change_status(session, client_id, ClientStatus.SUSPENDED, reason=reason, actor=actor)


def restore_client(session: Session, client_id: str, *, reason: str, actor: str) -> Client:
    return _change_status(session, client_id, ClientStatus.ACTIVE, reason=reason, actor=actor)


def rotate_secret(session: Session, client_id: str, *, actor: str) -> str:
    """Replace the client's secret; the old one stops working at once. Returns the new secret, once.

    A suspended client may have its secret rotated (a leaked secret is a reason to suspend), so
    that it can be restored with a fresh one.
    """
    client = get_client(session, client_id, for_update=True)
    if not client.token_endpoint_auth_method.uses_secret:
        raise InvalidMetadata(
            f"The client {client.client_id} has no secret: it authenticates with "
            f"{client.token_endpoint_auth_method.value}.",
            field="token_endpoint_auth_method",
        )
    secret = new_secret()
    client.secret_hash = hash_secret(secret)
    session.flush()
    audit.record(session, audit.Event("client.secret_rotated", actor, subject_of(client)))
    return secret


def client_record(client: Client) -> dict[str, Any]:
    """Everything about a client that may be shown or audited; never its secret nor the secret's hash."""
    return {
        "client_id": client.client_id,
        "name": client.name,
        "status": client.status.value,
        "status_reason": client.status_reason,
        "status_changed_at": _iso(client.status_changed_at),
        "token_endpoint_auth_method": client.token_endpoint_auth_method.value,
        "public": client.is_public,
        "has_secret": client.secret_hash is not None,
        "redirect_uris": list(client.redirect_uris),
        "post_logout_redirect_uris": list(client.post_logout_redirect_uris),
        "scopes": list(client.scopes),
        "restricted_scopes_approved_by": client.restricted_scopes_approved_by,
        "restricted_scopes_approved_at": _iso(client.restricted_scopes_approved_at),
        "grant_types": list(client.grant_types),
        "id_token_signed_response_alg": client.id_token_signed_response_alg.value,
        "require_pkce": client.require_pkce,
        "sector": client.sector,
        "backchannel_logout_uri": client.backchannel_logout_uri,
        "frontchannel_logout_uri": client.frontchannel_logout_uri,
        "first_party": client.first_party,
        "jwks": client.jwks,
        "created_at": _iso(client.created_at),
    }


def subject_of(client: Client) -> str:
    """The audit subject of a client."""
    return f"client:{client.client_id}"


def _change_status(session: Session, client_id: str, target: ClientStatus, *, reason: str, actor: str) -> Client:
    reason = _require_reason(reason)
    client = get_client(session, client_id, for_update=True)
    if client.status == target:
        raise ClientStatusConflict(f"The client {client.client_id} is already {target.value}.")
    previous = client.status
    client.status, client.status_reason, client.status_changed_at = target, reason, utcnow()
    session.flush()
    action = "client.suspended" if target == ClientStatus.SUSPENDED else "client.restored"
    details = {"from": previous.value, "to": target.value}
    audit.record(session, audit.Event(action, actor, subject_of(client), reason, details))
    return client


def _require_reason(reason: str | None) -> str:
    text = " ".join((reason or "").split())
    if not text:
        raise InvalidInput("A reason is required to suspend or restore a client.", field="reason")
    if len(text) > MAX_REASON_LENGTH:
        raise InvalidInput(f"The reason is longer than {MAX_REASON_LENGTH} characters.", field="reason")
    return text


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()
