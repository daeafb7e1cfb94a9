"""The audit part of the Store contract (append_audit, list_audit), on every backend, plus SQLite specifics."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
from store_records import FakeClock, StoreFactory

from clawtown.store import SqliteStore, Store, StoreError, open_store
from clawtown.store.base import AUDIT_TEXT_MAX, DEFAULT_AUDIT_LIMIT
from clawtown.store.migrations import (
    MIGRATIONS,
    SCHEMA_VERSION,
    migrate,
    schema_version,
)


@pytest.fixture
def store(make_store: StoreFactory) -> Store:
    return make_store(clock=FakeClock())


def entry(action: str = "bot.link", at: int | None = 5000, **extra: Any) -> dict[str, Any]:
    record = {"actor": "cli", "action": action, "subject": "p1", "detail": {"code": "AB…"}, **extra}
    if at is not None:
        record["at"] = at
    return record


# ---------------------------------------------------------------- contract


def test_append_returns_the_stored_entry_with_an_id(store: Store) -> None:
    got = store.append_audit(entry(requestId="req-1"))
    assert got == {
        "id": got["id"], "at": 5000, "actor": "cli", "action": "bot.link", "subject": "p1",
        "detail": {"code": "AB…"}, "requestId": "req-1",
    }
    assert isinstance(got["id"], int)
    assert store.list_audit() == [got]


def test_optional_fields_default_to_none_and_at_to_the_clock(store: Store) -> None:
    got = store.append_audit({"actor": "test-mode", "action": "test.reset"})
    assert got["at"] == 1_000_000  # FakeClock(1000.0) seconds
    assert (got["subject"], got["detail"], got["requestId"]) == (None, None, None)


def test_ids_increase_and_the_list_is_newest_last(store: Store) -> None:
    ids = [store.append_audit(entry(at=at))["id"] for at in (300, 100, 200)]
    assert ids == sorted(ids) and len(set(ids)) == 3
    # Order is the order of appending (ids), not of `at`: a clock may step back.
    assert [e["at"] for e in store.list_audit()] == [300, 100, 200]


def test_limit_keeps_the_newest(store: Store) -> None:
    for i in range(10):
        store.append_audit(entry(at=i, subject=f"p{i}"))
    assert [e["subject"] for e in store.list_audit(limit=3)] == ["p7", "p8", "p9"]
    assert len(store.list_audit()) == 10


def test_the_default_limit_is_200(store: Store) -> None:
    assert DEFAULT_AUDIT_LIMIT == 200
    for i in range(205):
        store.append_audit(entry(at=i))
    listed = store.list_audit()
    assert len(listed) == 200 and listed[0]["at"] == 5 and listed[-1]["at"] == 204


def test_since_and_action_filter_together(store: Store) -> None:
    store.append_audit(entry("bot.link", at=100))
    store.append_audit(entry("tokens.revoke", at=200))
    store.append_audit(entry("bot.link", at=300))
    store.append_audit(entry("bot.link", at=400))
    assert [e["at"] for e in store.list_audit(since_ms=300)] == [300, 400]  # inclusive
    assert [e["at"] for e in store.list_audit(action="tokens.revoke")] == [200]
    assert [e["at"] for e in store.list_audit(since_ms=150, action="bot.link", limit=1)] == [400]
    assert store.list_audit(action="nothing.like.this") == []
    assert store.list_audit(since_ms=401) == []


def test_detail_round_trips_any_json(store: Store) -> None:
    detail = {"counts": {"players": 3}, "list": [1, "two", None], "ok": True, "text": "héllo ✓"}
    store.append_audit(entry(detail=detail))
    assert store.list_audit()[0]["detail"] == detail


def test_entries_are_copies(store: Store) -> None:
    record = entry(detail={"n": 1})
    got = store.append_audit(record)
    got["detail"]["n"] = 2
    record["detail"]["n"] = 3
    assert store.list_audit()[0]["detail"] == {"n": 1}


@pytest.mark.parametrize(
    "bad",
    [
        "not a dict",
        {"action": "x"},
        {"actor": "cli"},
        {"actor": "", "action": "x"},
        {"actor": "cli", "action": 5},
        {"actor": "cli", "action": "x", "subject": 7},
        {"actor": "cli", "action": "x", "at": -1},
        {"actor": "cli", "action": "x", "at": True},
        {"actor": "cli", "action": "x", "detail": {"bad": object()}},
        {"actor": "cli", "action": "x", "requestId": ["r"]},
        {"actor": "a" * (AUDIT_TEXT_MAX + 1), "action": "x"},
        {"actor": "cli", "action": "x", "requestId": "r" * (AUDIT_TEXT_MAX + 1)},
    ],
)
def test_bad_entries_are_refused_and_leave_nothing(store: Store, bad: Any) -> None:
    with pytest.raises(StoreError):
        store.append_audit(bad)
    assert store.list_audit() == []


@pytest.mark.parametrize(
    "query", [{"since_ms": "1h"}, {"since_ms": 1.5}, {"action": ""}, {"action": 3}, {"limit": 0}, {"limit": "9"}]
)
def test_bad_queries_are_refused(store: Store, query: dict) -> None:
    with pytest.raises(StoreError):
        store.list_audit(**query)


def test_wipe_keeps_the_audit_trail(store: Store) -> None:
    store.append_audit(entry())
    store.wipe()
    store.append_audit(entry("test.reset"))
    assert [e["action"] for e in store.list_audit()] == ["bot.link", "test.reset"]


def test_a_closed_store_refuses_audit_calls(make_store: StoreFactory) -> None:
    store = make_store()
    store.close()
    with pytest.raises(StoreError):
        store.append_audit(entry())
    with pytest.raises(StoreError):
        store.list_audit()


# ---------------------------------------------------------------- SQLite


def test_sqlite_entries_survive_a_reopen_and_ids_are_never_reused(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    first = store.append_audit(entry())
    second = store.append_audit(entry())
    store.db.execute("DELETE FROM audit WHERE id = ?", [second["id"]])  # e.g. an operator's manual cleanup
    store.close()
    store = open_store(tmp_path)
    try:
        third = store.append_audit(entry())
        assert third["id"] > second["id"] > first["id"]
        assert [e["id"] for e in store.list_audit()] == [first["id"], third["id"]]
    finally:
        store.close()


def test_sqlite_v3_adds_the_audit_table_to_a_v2_database(tmp_path: Path) -> None:
    path = tmp_path / "clawtown.db"
    conn = sqlite3.connect(path)
    db = sqlite_utils.Database(conn)
    migrate(db, MIGRATIONS[:2])
    db.execute("INSERT INTO players (id, name, name_key, updated_at, data) VALUES ('p1', 'A', 'a', 1, '{}')")
    conn.commit()
    assert schema_version(db) == 2 and not db["audit"].exists()
    conn.close()

    store = SqliteStore(path)
    try:
        assert schema_version(store.db) == SCHEMA_VERSION >= 3
        assert store.count_players() == 1 and store.list_audit() == []
        assert store.append_audit(entry())["id"] == 1
        indexes = {tuple(i.columns) for i in store.db["audit"].indexes}
        assert ("at",) in indexes and ("action", "id") in indexes
    finally:
        store.close()
