"""The in-process cache of active clients: fewer reads, yet suspensions and secret rotations still bite."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, text, update
from sqlalchemy.orm import Session

from clients import Client, rotate_secret, suspend_client
from idp import context
from idp.context import session_factory
from idp.oidc.client_cache import ActiveClients
from tests.idp.conftest import Portal, register_portal


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def count_selects(app: Flask) -> list[str]:
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT") and "clients" in statement:
            statements.append(statement)

    event.listen(context.engine(app), "before_cursor_execute", record)
    return statements


def backend(app: Flask) -> Portal:
    return register_portal(app, grant_types=["client_credentials"], redirect_uris=[], scopes=["profile"])


def client_credentials(client: FlaskClient, portal: Portal):  # type: ignore[no-untyped-def]
    return client.post("/token", data={"grant_type": "client_credentials"}, headers=portal.basic_auth())


def test_a_client_is_read_once_per_ttl(app: Flask, session: Session) -> None:
    portal, clock = register_portal(app), Clock()
    cache = ActiveClients(ttl=2, clock=clock)
    selects = count_selects(app)
    first = cache.get(session, portal.client_id)
    assert first is not None
    assert cache.get(session, portal.client_id) is first
    clock.now += 1.9
    assert cache.get(session, portal.client_id) is first
    assert len(selects) == 1
    clock.now += 0.2
    assert cache.get(session, portal.client_id) is not None
    assert len(selects) == 2


def test_a_change_made_elsewhere_takes_effect_within_the_ttl(app: Flask, session: Session) -> None:
    portal, clock = register_portal(app), Clock()
    cache = ActiveClients(ttl=2, clock=clock)
    assert cache.get(session, portal.client_id) is not None
    session.commit()
    with context.engine(app).begin() as connection:  # another process: no ORM event here
        connection.execute(
            text("UPDATE clients SET status = 'suspended', status_reason = 'x' WHERE client_id = :id"),
            {"id": portal.client_id},
        )
    assert cache.get(session, portal.client_id) is not None  # still trusted for the TTL
    session.rollback()
    clock.now += 2
    assert cache.get(session, portal.client_id) is None


def test_unknown_and_suspended_clients_are_never_cached(app: Flask, session: Session) -> None:
    cache = ActiveClients(ttl=60, clock=Clock())
    assert cache.get(session, "no-such-client") is None
    session.rollback()  # SQLite: the admin's writes below need the lock this read took
    portal = register_portal(app)
    with session_factory(app)() as admin:
        suspend_client(admin, portal.client_id, reason="test", actor="test")
        admin.commit()
    assert cache.get(session, portal.client_id) is None
    session.rollback()
    with session_factory(app)() as admin:
        admin.execute(update(Client).where(Client.client_id == portal.client_id).values(status="active"))
        admin.commit()
    assert cache.get(session, portal.client_id) is not None  # restored: usable at once


def test_a_request_rollback_leaves_the_shared_copy_intact(app: Flask) -> None:
    portal = register_portal(app)
    cache = ActiveClients(ttl=60, clock=Clock())
    with session_factory(app)() as request_session:
        cached = cache.get(request_session, portal.client_id)
        request_session.rollback()
    assert cached is not None
    assert cached.client_id == portal.client_id  # no lazy load, no DetachedInstanceError
    assert cached.redirect_uris == [portal.redirect_uri]


def test_ttl_zero_reads_every_time(app: Flask, session: Session) -> None:
    portal = register_portal(app)
    cache = ActiveClients(ttl=0, clock=Clock())
    selects = count_selects(app)
    cache.get(session, portal.client_id)
    cache.get(session, portal.client_id)
    assert len(selects) == 2


def test_suspension_in_this_process_refuses_tokens_at_once(app: Flask, client: FlaskClient) -> None:
    portal = backend(app)
    assert client_credentials(client, portal).status_code == 200
    with session_factory(app)() as admin:
        suspend_client(admin, portal.client_id, reason="compromised", actor="test")
        admin.commit()
    refused = client_credentials(client, portal)
    assert refused.status_code == 401, refused.get_json()
    assert refused.get_json()["error"] == "invalid_client"


def test_rotated_secret_stops_working_at_once(app: Flask, client: FlaskClient) -> None:
    portal = backend(app)
    assert client_credentials(client, portal).status_code == 200
    with session_factory(app)() as admin:
        new_secret = rotate_secret(admin, portal.client_id, actor="test")
        admin.commit()
    assert client_credentials(client, portal).status_code == 401
    assert client_credentials(client, Portal(portal.client_id, new_secret)).status_code == 200
