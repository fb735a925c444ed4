"""The portal's session store: ids, the sign-in apart from the session's data, logout by sid or sub, and
logout tokens honoured once, across restarts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from portal.store import Replayed, SessionStore


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> SessionStore:
    return SessionStore(tmp_path / "sessions.sqlite3", clock=clock)


def login(clock: Clock, name: str = "Mai", *, lifetime: float = 3600) -> dict[str, Any]:
    return {"login_id": f"login-{name}", "name": name, "ends_at": clock.now + lifetime}


def signed_in(store: SessionStore, clock: Clock, *, sid: str | None, sub: str, name: str = "Mai") -> str:
    return store.sign_in(None, {}, login(clock, name), sid=sid, sub=sub)


def test_a_session_keeps_its_data_under_an_id(store: SessionStore) -> None:
    session_id = store.create({"pending": 1}, lifetime=60)
    assert store.save_data(session_id, {"pending": 2})
    stored = store.get(session_id)
    assert stored is not None
    assert (stored.data, stored.login) == ({"pending": 2}, None)
    assert store.get("another-id") is None


def test_the_file_holds_no_session_id(store: SessionStore, tmp_path: Path) -> None:
    session_id = store.create({}, lifetime=60)
    assert session_id.encode() not in (tmp_path / "sessions.sqlite3").read_bytes()


def test_a_session_past_its_lifetime_is_gone_and_swept(store: SessionStore, clock: Clock) -> None:
    old = store.create({}, lifetime=60)
    clock.now += 61
    assert store.get(old) is None
    store.create({}, lifetime=60)  # a new session sweeps the old ones
    clock.now -= 61
    assert store.get(old) is None


def test_data_written_back_never_recreates_a_deleted_session(store: SessionStore) -> None:
    session_id = store.create({}, lifetime=60)
    store.delete(session_id)
    assert not store.save_data(session_id, {"x": 1})
    assert store.get(session_id) is None


def test_signing_in_gives_a_new_id_and_ends_the_old_one(store: SessionStore, clock: Clock) -> None:
    before = store.create({"lang": "vi"}, lifetime=60)
    after = store.sign_in(before, {"lang": "vi"}, login(clock), sid="sid-1", sub="sub-1")
    assert after != before
    assert store.get(before) is None
    stored = store.get(after)
    assert stored is not None
    assert stored.login == login(clock)
    assert stored.data == {"lang": "vi"}


def test_the_sign_in_lasts_until_its_end(store: SessionStore, clock: Clock) -> None:
    session_id = store.sign_in(None, {}, login(clock, lifetime=100), sid="sid-1", sub="sub-1")
    clock.now += 101
    assert store.get(session_id) is None


def test_writing_data_back_leaves_the_sign_in_alone(store: SessionStore, clock: Clock) -> None:
    """A page served while a logout arrives writes its data back: the logout still stands."""
    session_id = signed_in(store, clock, sid="sid-1", sub="sub-1")
    store.end_provider_session("sid-1")
    assert store.save_data(session_id, {"after": "the page"})
    stored = store.get(session_id)
    assert stored is not None
    assert stored.login is None


def test_a_logout_token_ends_the_sign_ins_of_its_provider_session(store: SessionStore, clock: Clock) -> None:
    first = signed_in(store, clock, sid="sid-1", sub="sub-1")
    second_tab = signed_in(store, clock, sid="sid-1", sub="sub-1")
    other_session = signed_in(store, clock, sid="sid-2", sub="sub-1")
    other_citizen = signed_in(store, clock, sid="sid-3", sub="sub-2")
    assert store.end_by_provider(jti="j-1", keep_until=clock.now + 600, sid="sid-1", sub=None) == 2
    assert [store.get(s).login is None for s in (first, second_tab, other_session, other_citizen)] == [  # type: ignore[union-attr]
        True,
        True,
        False,
        False,
    ]


def test_sid_and_sub_together_must_both_match(store: SessionStore, clock: Clock) -> None:
    mine = signed_in(store, clock, sid="sid-1", sub="sub-1")
    assert store.end_by_provider(jti="j-1", keep_until=clock.now + 600, sid="sid-1", sub="sub-2") == 0
    assert store.end_by_provider(jti="j-2", keep_until=clock.now + 600, sid="sid-1", sub="sub-1") == 1
    assert store.get(mine).login is None  # type: ignore[union-attr]


def test_sub_alone_ends_every_sign_in_of_the_citizen(store: SessionStore, clock: Clock) -> None:
    sessions = [signed_in(store, clock, sid=f"sid-{n}", sub="sub-1") for n in range(3)]
    someone_else = signed_in(store, clock, sid="sid-9", sub="sub-2")
    assert store.end_by_provider(jti="j-1", keep_until=clock.now + 600, sid=None, sub="sub-1") == 3
    assert all(store.get(s).login is None for s in sessions)  # type: ignore[union-attr]
    assert store.get(someone_else).login is not None  # type: ignore[union-attr]


def test_a_replayed_jti_is_refused_and_changes_nothing(store: SessionStore, clock: Clock) -> None:
    store.end_by_provider(jti="j-1", keep_until=clock.now + 600, sid="sid-1", sub=None)
    other = signed_in(store, clock, sid="sid-2", sub="sub-1")
    with pytest.raises(Replayed):
        store.end_by_provider(jti="j-1", keep_until=clock.now + 600, sid="sid-2", sub=None)
    assert store.get(other).login is not None  # type: ignore[union-attr]


def test_a_jti_is_remembered_across_a_restart_until_it_may_be_forgotten(
    store: SessionStore, clock: Clock, tmp_path: Path
) -> None:
    store.end_by_provider(jti="j-1", keep_until=clock.now + 600, sid="sid-1", sub=None)
    restarted = SessionStore(tmp_path / "sessions.sqlite3", clock=clock)
    with pytest.raises(Replayed):
        restarted.end_by_provider(jti="j-1", keep_until=clock.now + 600, sid="sid-1", sub=None)
    clock.now += 601
    assert restarted.end_by_provider(jti="j-1", keep_until=clock.now + 600, sid="sid-1", sub=None) == 0


def test_a_sign_in_made_before_a_restart_is_ended_after_it(store: SessionStore, clock: Clock, tmp_path: Path) -> None:
    session_id = signed_in(store, clock, sid="sid-1", sub="sub-1")
    restarted = SessionStore(tmp_path / "sessions.sqlite3", clock=clock)
    assert restarted.end_by_provider(jti="j-1", keep_until=clock.now + 600, sid="sid-1", sub=None) == 1
    assert restarted.get(session_id).login is None  # type: ignore[union-attr]


def test_one_refresh_at_a_time_per_sign_in(store: SessionStore, clock: Clock) -> None:
    session_id = signed_in(store, clock, sid="sid-1", sub="sub-1")
    assert store.claim_refresh(session_id, "login-Mai")
    assert not store.claim_refresh(session_id, "login-Mai")
    assert not store.claim_refresh(session_id, "login-of-another-sign-in")
    clock.now += 31  # a refresh that never finished does not block the next one for long
    assert store.claim_refresh(session_id, "login-Mai")
    assert store.refreshed(session_id, {**login(clock), "access_token": "new"})
    assert store.claim_refresh(session_id, "login-Mai")


def test_a_logout_wins_over_a_refresh_under_way(store: SessionStore, clock: Clock) -> None:
    session_id = signed_in(store, clock, sid="sid-1", sub="sub-1")
    assert store.claim_refresh(session_id, "login-Mai")
    store.end_provider_session("sid-1")
    assert not store.refreshed(session_id, {**login(clock), "access_token": "new"})
    assert store.get(session_id).login is None  # type: ignore[union-attr]


def test_signing_out_ends_only_this_browser_s_sign_in(store: SessionStore, clock: Clock) -> None:
    mine = signed_in(store, clock, sid="sid-1", sub="sub-1")
    other_browser = signed_in(store, clock, sid="sid-1", sub="sub-1")
    store.sign_out(mine)
    assert store.get(mine).login is None  # type: ignore[union-attr]
    assert store.get(other_browser).login is not None  # type: ignore[union-attr]
