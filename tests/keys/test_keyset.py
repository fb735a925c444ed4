"""The key ring over time: JWKS, automatic rotation, overlaps, removal, several processes at once."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time

import pytest
from flask import Flask
from joserfc import jws
from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from identity import audit, unit_of_work
from identity.models import AuditEvent
from idp import context
from idp.context import session_factory
from keys import (
    Algorithm,
    ExpiredToken,
    KeyRing,
    KeyState,
    NoActiveKey,
    SigningKey,
    UnknownKid,
    ensure_keys,
    list_keys,
    rotate_keys,
    run_due_maintenance,
    sign_jwt,
    verify_jwt,
)
from keys.keyset import in_daemon_thread

from .support import DAY, KEK, POLICY, Clock, bootstrap, make_ring, run_inline

PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}


def _jwks_kids(ring) -> set[str]:  # type: ignore[no-untyped-def]
    document, _etag = ring.jwks_document()
    return {key["kid"] for key in json.loads(document)["keys"]}


def _kid_of(token: str) -> str:
    return jws.extract_compact(token.encode()).headers()["kid"]


def _state_kids(app: Flask, state: KeyState) -> set[str]:
    with unit_of_work(session_factory(app)) as session:
        return {key.kid for key in list_keys(session) if key.state is state}


def _rotations(app: Flask) -> list[str]:
    with unit_of_work(session_factory(app)) as session:
        query = select(AuditEvent.actor).where(AuditEvent.action == "signing_key.rotated")
        return list(session.scalars(query))


def _is_postgresql(app: Flask) -> bool:
    return context.engine(app).dialect.name == "postgresql"


def test_the_jwks_publishes_next_and_current_public_keys_only(app: Flask) -> None:
    ring = make_ring(app, Clock())
    document, etag = ring.jwks_document()  # the ring bootstraps an empty database by itself
    keys = json.loads(document)["keys"]
    assert {(key["alg"], key["kty"]) for key in keys} == {("RS256", "RSA"), ("ES256", "EC"), ("EdDSA", "OKP")}
    assert len(keys) == 6
    assert {key["kid"] for key in keys} == _state_kids(app, KeyState.CURRENT) | _state_kids(app, KeyState.NEXT)
    assert all(key["use"] == "sig" and not PRIVATE_MEMBERS & set(key) for key in keys)
    assert etag.startswith('"') and etag.endswith('"')  # strong: byte-for-byte identical documents
    assert _rotations(app) == []


def test_the_document_and_etag_are_computed_once_per_refresh(app: Flask) -> None:
    clock = Clock()
    ring = make_ring(app, clock)
    first, etag = ring.jwks_document()
    assert ring.jwks_document()[0] is first  # served from the snapshot, not rebuilt per request
    clock.advance(5)
    again, same_etag = ring.jwks_document()
    assert again is not first and again == first and same_etag == etag
    with unit_of_work(session_factory(app)) as session:
        rotate_keys(
            session, kek=KEK, policy=POLICY, actor="test", now=clock(), force=True, algorithms=[Algorithm.RS256]
        )
    clock.advance(5)
    assert ring.jwks_document()[1] != etag


def test_the_next_key_is_published_before_it_signs_anything(app: Flask) -> None:
    clock = Clock()
    ring = make_ring(app, clock)
    published_before = _jwks_kids(ring)
    (next_kid,) = _state_kids(app, KeyState.NEXT) & {k.kid for k in _alg_keys(app, Algorithm.ES256)}
    assert _kid_of(sign_jwt(ring, {"exp": 1}, alg="ES256")) != next_kid
    clock.advance(DAY + 1)
    assert _kid_of(sign_jwt(ring, {"exp": 1}, alg="ES256")) == next_kid
    assert next_kid in published_before


def _alg_keys(app: Flask, alg: Algorithm) -> list[SigningKey]:
    with unit_of_work(session_factory(app)) as session:
        return [key for key in list_keys(session) if key.alg is alg]


def test_rotation_runs_by_itself_when_due_and_not_before(app: Flask) -> None:
    clock = Clock()
    ring = make_ring(app, clock)
    first = ring.current("RS256").kid
    clock.advance(DAY - 10)
    assert ring.current("RS256").kid == first
    assert _rotations(app) == []
    clock.advance(11)
    assert ring.current("RS256").kid != first
    assert _rotations(app) == ["system:key-rotation"] * 3  # one per algorithm, audited
    assert first in _state_kids(app, KeyState.RETIRED)


def test_with_rotation_off_keys_never_rotate_by_themselves_but_retired_keys_still_leave(app: Flask) -> None:
    clock = Clock()
    ring = make_ring(app, clock, rotation_interval=0)
    first = ring.current("EdDSA").kid
    clock.advance(100 * DAY)
    assert ring.current("EdDSA").kid == first
    with unit_of_work(session_factory(app)) as session:
        rotate_keys(
            session, kek=KEK, policy=ring.policy, actor="test", now=clock(), force=True, algorithms=[Algorithm.EDDSA]
        )
    clock.advance(3665)
    assert first not in _jwks_kids(ring)
    assert first in _state_kids(app, KeyState.REMOVED)


def test_a_token_outlives_two_rotations_until_its_key_is_removed(app: Flask) -> None:
    clock = Clock()
    ring = make_ring(app, clock, rotation_interval=600)  # rotations every 10 minutes, tokens live an hour
    issued_at = clock.now
    token = sign_jwt(ring, {"sub": "citizen", "exp": int(issued_at.timestamp()) + 3600}, alg="ES256")
    signer = _kid_of(token)
    for _ in range(2):
        clock.advance(601)
        assert ring.current("ES256").kid != signer
        assert verify_jwt(ring, token, algorithms=["ES256"])["sub"] == "citizen"
        assert signer in _jwks_kids(ring)
    assert len(_rotations(app)) == 6
    clock.now = issued_at + dt.timedelta(seconds=3600 + 60)
    with pytest.raises(ExpiredToken):
        verify_jwt(ring, token, algorithms=["ES256"])
    assert verify_jwt(ring, token, algorithms=["ES256"], allow_expired=True)["sub"] == "citizen"
    clock.now = issued_at + dt.timedelta(seconds=601 + 3665)  # the first rotation's remove_after
    assert signer not in _jwks_kids(ring)
    with pytest.raises(UnknownKid):
        verify_jwt(ring, token, algorithms=["ES256"], allow_expired=True)
    assert signer in _state_kids(app, KeyState.REMOVED)


def test_another_process_sees_a_rotation_once_its_cache_ttl_passes(app: Flask) -> None:
    clock = Clock()
    bootstrap(app, clock)
    this, other = make_ring(app, clock), make_ring(app, clock)
    before = other.current("RS256").kid
    _, etag = other.jwks_document()
    with unit_of_work(session_factory(app)) as session:
        (rotation,) = rotate_keys(
            session, kek=KEK, policy=POLICY, actor="test", now=clock(), force=True, algorithms=[Algorithm.RS256]
        ).rotations
    clock.advance(4.9)
    assert other.current("RS256").kid == before  # still within its cache TTL
    clock.advance(0.1)
    assert other.current("RS256").kid == rotation.promoted == this.current("RS256").kid
    assert other.jwks_document()[1] != etag
    assert rotation.next in _jwks_kids(other)


def test_only_one_of_two_concurrent_rings_rotates(app: Flask) -> None:
    clock = Clock()
    bootstrap(app, clock)
    clock.advance(DAY + 1)
    rings = [make_ring(app, clock), make_ring(app, clock)]
    start, errors = threading.Barrier(2), []

    def refresh(ring) -> None:  # type: ignore[no-untyped-def]
        try:
            start.wait()
            ring.refresh()
        except Exception as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=refresh, args=(ring,)) for ring in rings]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(_rotations(app)) == 3
    assert len(_state_kids(app, KeyState.CURRENT)) == 3


def test_a_rotator_skips_while_another_holds_the_lock_on_postgresql(app: Flask) -> None:
    if not _is_postgresql(app):
        pytest.skip("SQLite serialises whole transactions; the threaded test covers it")
    clock = Clock()
    bootstrap(app, clock)
    clock.advance(DAY + 1)
    factory = session_factory(app)
    with factory() as first, factory() as second:
        assert len(run_due_maintenance(first, kek=KEK, policy=POLICY, now=clock()).rotations) == 3
        assert not run_due_maintenance(second, kek=KEK, policy=POLICY, now=clock()).changed  # no wait, no work
        first.commit()
        second.rollback()
    assert len(_rotations(app)) == 3


def test_a_ring_reports_no_active_key_while_another_process_bootstraps(app: Flask) -> None:
    if not _is_postgresql(app):
        pytest.skip("on SQLite the ring would wait for the bootstrap's write lock instead")
    clock = Clock()
    bootstrap(app, clock)
    with unit_of_work(session_factory(app)) as session:
        session.execute(delete(SigningKey))
    ring = make_ring(app, clock)
    with session_factory(app)() as bootstrapping:
        ensure_keys(bootstrapping, kek=KEK, actor="test", now=clock())
        with pytest.raises(NoActiveKey, match="no current RS256"):
            ring.current("RS256")
        bootstrapping.commit()
    clock.advance(5)
    assert ring.current("RS256").kid in _state_kids(app, KeyState.CURRENT)


def _eventually(condition, attempts: int = 200) -> bool:  # type: ignore[no-untyped-def]
    """Wait for a background refresh (a synchronisation, not a timing assertion)."""
    for _ in range(attempts):
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_a_caller_holding_a_transaction_never_waits_for_a_refresh(app: Flask) -> None:
    clock = Clock()
    bootstrap(app, clock)
    ring = make_ring(app, clock, spawn=in_daemon_thread)
    ring.refresh()  # what the process does at start
    before = ring.current("RS256").kid
    clock.advance(DAY + 1)  # a rotation is due, and it appends to the audit chain
    with session_factory(app)() as holding:
        if _is_postgresql(app):  # if the ring ever waited on us, the server ends our transaction instead of a hang
            holding.execute(text("SET idle_in_transaction_session_timeout = '10s'"))
        audit.record(holding, audit.Event("test.busy", "test"))  # SQLite write lock; audit head row lock
        assert ring.current("RS256").kid == before  # served from the cache at once, refresh started aside
        holding.commit()
    assert _eventually(lambda: ring.current("RS256").kid != before)
    assert len(_rotations(app)) == 3


def test_a_failed_refresh_keeps_the_keys_and_retries_after_one_ttl(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    clock, broken = Clock(), threading.Event()
    factory = session_factory(app)

    def sessions() -> Session:
        if broken.is_set():
            raise OSError("database unreachable")
        return factory()

    ring = KeyRing(sessions, kek=KEK, policy=POLICY, clock=clock, spawn=run_inline)
    before = ring.current("ES256").kid
    with unit_of_work(factory) as session:
        rotate_keys(
            session, kek=KEK, policy=POLICY, actor="test", now=clock(), force=True, algorithms=[Algorithm.ES256]
        )
    broken.set()
    clock.advance(5)
    assert ring.current("ES256").kid == before
    assert "refreshing the signing keys failed" in caplog.text
    broken.clear()
    clock.advance(4)
    assert ring.current("ES256").kid == before  # not retried before one more TTL
    clock.advance(1)
    assert ring.current("ES256").kid != before
