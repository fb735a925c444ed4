"""The key lifecycle in the database: bootstrap, rotation order, removal, audit, sealing at rest."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from flask import Flask
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from identity import unit_of_work
from identity.models import AuditEvent
from identity.sealing import UnsealFailed, unseal
from idp.context import session_factory
from keys import (
    Algorithm,
    KeyPolicy,
    KeyState,
    NextKeyNotPublished,
    SigningKey,
    list_keys,
    rotate_keys,
    run_due_maintenance,
)
from keys.material import private_key, sealing_context

from .support import DAY, KEK, OTHER_KEK, POLICY, Clock, bootstrap, make_ring


def _keys(app: Flask) -> dict[tuple[Algorithm, KeyState], list[SigningKey]]:
    grouped: dict[tuple[Algorithm, KeyState], list[SigningKey]] = {}
    with unit_of_work(session_factory(app)) as session:
        for key in list_keys(session):
            grouped.setdefault((key.alg, key.state), []).append(key)
    return grouped


def _actions(app: Flask) -> list[tuple[str, str]]:
    with unit_of_work(session_factory(app)) as session:
        return [
            tuple(row) for row in session.execute(select(AuditEvent.action, AuditEvent.actor).order_by(AuditEvent.seq))
        ]


def test_bootstrap_creates_a_current_and_a_next_key_per_algorithm_once(app: Flask) -> None:
    clock = Clock()
    created = bootstrap(app, clock)
    assert len(created) == 6
    assert bootstrap(app, clock) == ()
    keys = _keys(app)
    for alg in Algorithm:
        (current,) = keys[alg, KeyState.CURRENT]
        (next_key,) = keys[alg, KeyState.NEXT]
        assert current.activated_at == clock.now
        assert next_key.activated_at is None
    assert _actions(app) == [("signing_key.created", "test")] * 6


def test_a_rotation_retires_current_promotes_next_and_publishes_a_new_next(app: Flask) -> None:
    clock = Clock()
    bootstrap(app, clock)
    before = _keys(app)
    clock.advance(600)
    with unit_of_work(session_factory(app)) as session:
        report = rotate_keys(
            session,
            kek=KEK,
            policy=POLICY,
            actor="cli:op",
            now=clock(),
            force=True,
            algorithms=[Algorithm.ES256],
            reason="drill",
        )
    (rotation,) = report.rotations
    after = _keys(app)
    (retired,) = after[Algorithm.ES256, KeyState.RETIRED]
    (current,) = after[Algorithm.ES256, KeyState.CURRENT]
    (next_key,) = after[Algorithm.ES256, KeyState.NEXT]
    assert retired.kid == rotation.retired == before[Algorithm.ES256, KeyState.CURRENT][0].kid
    assert current.kid == rotation.promoted == before[Algorithm.ES256, KeyState.NEXT][0].kid
    assert next_key.kid == rotation.next not in {k.kid for keys in before.values() for k in keys}
    assert retired.retired_at == current.activated_at == clock.now
    # tokens live 3600 s, processes cache keys 5 s, clocks may disagree by 60 s
    assert retired.remove_after == rotation.remove_after == clock.now + dt.timedelta(seconds=3665)
    assert retired.sealed_private_key is not None  # still published, so still a key pair
    for alg in (Algorithm.RS256, Algorithm.EDDSA):  # the other algorithms are untouched
        assert [k.kid for k in after[alg, KeyState.CURRENT]] == [k.kid for k in before[alg, KeyState.CURRENT]]
    assert _actions(app)[-2:] == [("signing_key.created", "cli:op"), ("signing_key.rotated", "cli:op")]


def test_a_rotation_waits_until_relying_parties_can_have_fetched_the_next_key(app: Flask) -> None:
    """No token that is still valid ever fails verification: an operator's rotation is refused, changing
    nothing, while the next key is younger than the JWKS max-age plus the key cache; force overrides."""
    clock = Clock()
    bootstrap(app, clock)
    before = {slot: [k.kid for k in keys] for slot, keys in _keys(app).items()}
    events = _actions(app)
    clock.advance(POLICY.publish_lead.total_seconds() - 1)
    with pytest.raises(NextKeyNotPublished, match="force"), unit_of_work(session_factory(app)) as session:
        rotate_keys(session, kek=KEK, policy=POLICY, actor="cli:op", now=clock(), algorithms=[Algorithm.RS256])
    assert {slot: [k.kid for k in keys] for slot, keys in _keys(app).items()} == before
    assert _actions(app) == events
    clock.advance(1)
    with unit_of_work(session_factory(app)) as session:
        report = rotate_keys(session, kek=KEK, policy=POLICY, actor="cli:op", now=clock(), algorithms=[Algorithm.RS256])
    assert [r.promoted for r in report.rotations] == before[Algorithm.RS256, KeyState.NEXT]


def test_rotating_every_algorithm_bootstraps_first_when_needed(app: Flask) -> None:
    with unit_of_work(session_factory(app)) as session:
        report = rotate_keys(session, kek=KEK, policy=POLICY, actor="cli:op", now=Clock()(), force=True)
    assert len(report.created) == 6
    assert {r.alg for r in report.rotations} == set(Algorithm)
    keys = _keys(app)
    assert all(len(keys[alg, KeyState.RETIRED]) == 1 for alg in Algorithm)


def test_the_database_allows_one_current_and_one_next_key_per_algorithm(app: Flask) -> None:
    clock = Clock()
    bootstrap(app, clock)
    with session_factory(app)() as session:
        extra = session.scalars(select(SigningKey).where(SigningKey.state == KeyState.RETIRED)).all()
        assert extra == []
        next_key = session.scalars(
            select(SigningKey).where(SigningKey.alg == Algorithm.RS256, SigningKey.state == KeyState.NEXT)
        ).one()
        next_key.state, next_key.activated_at = KeyState.CURRENT, clock()
        with pytest.raises(IntegrityError):
            session.flush()
        session.rollback()


def test_retired_keys_are_removed_after_their_tokens_expired_and_lose_their_private_half(app: Flask) -> None:
    clock = Clock()
    bootstrap(app, clock)
    with unit_of_work(session_factory(app)) as session:
        (rotation,) = rotate_keys(
            session, kek=KEK, policy=POLICY, actor="cli:op", now=clock(), force=True, algorithms=[Algorithm.RS256]
        ).rotations
    clock.now = rotation.remove_after - dt.timedelta(seconds=1)
    with unit_of_work(session_factory(app)) as session:
        assert run_due_maintenance(session, kek=KEK, policy=POLICY, now=clock()).removed == ()
    clock.advance(1)
    with unit_of_work(session_factory(app)) as session:
        report = run_due_maintenance(session, kek=KEK, policy=POLICY, now=clock())
    assert report.removed == (rotation.retired,)
    assert report.rotations == ()  # removal does not rotate: the current key is an hour old
    (removed,) = _keys(app)[Algorithm.RS256, KeyState.REMOVED]
    assert removed.kid == rotation.retired
    assert removed.sealed_private_key is None
    assert removed.removed_at == clock.now
    assert json.loads(removed.public_jwk)["kid"] == removed.kid  # the row stays for investigators
    assert _actions(app)[-1] == ("signing_key.removed", "system:key-rotation")


def test_a_private_key_is_never_stored_in_plaintext(app: Flask) -> None:
    bootstrap(app, Clock())
    with unit_of_work(session_factory(app)) as session:
        rows = session.execute(text("SELECT * FROM signing_keys")).mappings().all()
        assert len(rows) == 6
        for row in rows:
            key = private_key(KEK, session.get(SigningKey, row["kid"]))
            secrets = [
                key.as_dict(private=True)["d"],
                key.as_pem(private=True).decode(),
                key.as_bytes(encoding="DER", private=True).hex(),
            ]
            stored = json.dumps({name: str(value) for name, value in row.items()})
            assert "PRIVATE KEY" not in stored
            assert not any(secret in stored for secret in secrets)
            assert not any(name in json.loads(row["public_jwk"]) for name in ("d", "p", "q", "dp", "dq", "qi"))
            assert row["sealed_private_key"].startswith("v1.")


def test_a_sealed_private_key_opens_only_for_its_own_kid_and_the_right_kek(app: Flask) -> None:
    bootstrap(app, Clock())
    with unit_of_work(session_factory(app)) as session:
        first, second = list_keys(session)[:2]
        with pytest.raises(UnsealFailed):
            unseal(KEK, first.sealed_private_key or "", context=sealing_context(second.kid))
        with pytest.raises(UnsealFailed, match="IDP_KEY_ENCRYPTION_KEY"):
            private_key(OTHER_KEK, first)


def test_a_key_ring_with_the_wrong_kek_fails_clearly_instead_of_signing(app: Flask) -> None:
    bootstrap(app, Clock())
    ring = make_ring(app, Clock(), kek=OTHER_KEK)
    with pytest.raises(UnsealFailed, match="IDP_KEY_ENCRYPTION_KEY"):
        ring.current("RS256")


def test_automatic_rotation_waits_for_the_interval_and_a_long_enough_published_next_key() -> None:
    now = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    current = SigningKey(activated_at=now - dt.timedelta(seconds=DAY))
    old_next = SigningKey(created_at=now - dt.timedelta(seconds=DAY))
    young_next = SigningKey(created_at=now - dt.timedelta(seconds=60))
    assert POLICY.rotation_due(current, old_next, now)
    assert not POLICY.rotation_due(current, old_next, now - dt.timedelta(seconds=1))
    assert not POLICY.rotation_due(current, young_next, now)  # relying parties may not have seen it yet
    assert not KeyPolicy(rotation_interval=0, max_token_ttl=3600, cache_ttl=5).rotation_due(current, old_next, now)


@pytest.mark.parametrize(
    ("interval", "max_age"), [(30 * DAY, 3600), (DAY, 3600), (6 * 3600, 2160), (600, 60), (0, 3600)]
)
def test_the_jwks_max_age_is_a_tenth_of_the_interval_at_most_an_hour(interval: int, max_age: int) -> None:
    assert KeyPolicy(rotation_interval=interval, max_token_ttl=600, cache_ttl=5).jwks_max_age == max_age


def test_an_interval_too_short_for_relying_parties_to_see_the_next_key_is_refused() -> None:
    with pytest.raises(ValueError, match="too short"):
        KeyPolicy(rotation_interval=5, max_token_ttl=600, cache_ttl=5)
    with pytest.raises(ValueError, match="negative"):
        KeyPolicy(rotation_interval=DAY, max_token_ttl=-1, cache_ttl=5)
