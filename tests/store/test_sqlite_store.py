"""SQLite-only store behaviour: files, pragmas, indexes, migrations, rollbacks."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
from store_records import (
    JOIN_CODE_ID,
    codes,
    event,
    join_code,
    placeholder,
    player,
    token_hash,
)

from clawtown.store import (
    SchemaTooNew,
    SqliteStore,
    StoreError,
    open_store,
)
from clawtown.store.migrations import (
    MIGRATIONS,
    SCHEMA_VERSION,
    migrate,
    schema_version,
)

# ---------------------------------------------------------------- sqlite only


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "nested" / "data"


def test_open_store_creates_the_data_dir_and_the_db(data_dir: Path) -> None:
    store = open_store(data_dir)
    try:
        assert (data_dir / "clawtown.db").is_file()
        assert store.path == str(data_dir / "clawtown.db")
    finally:
        store.close()


def test_sqlite_runs_in_wal_with_normal_sync_and_a_busy_timeout(data_dir: Path) -> None:
    store = open_store(data_dir, busy_timeout_ms=1234)
    try:
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        assert store.db.execute("PRAGMA busy_timeout").fetchone()[0] == 1234
    finally:
        store.close()


def test_sqlite_records_the_schema_version(data_dir: Path) -> None:
    open_store(data_dir).close()

    with sqlite3.connect(data_dir / "clawtown.db") as conn:
        rows = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
    assert rows == [(str(SCHEMA_VERSION),)]
    assert SCHEMA_VERSION == len(MIGRATIONS) >= 1


def test_sqlite_indexes_the_lookup_columns(data_dir: Path) -> None:
    store = open_store(data_dir)
    try:
        indexed = {tuple(index.columns) for index in store.db["players"].indexes}
        assert {("name_key",), ("session_hash",)} <= indexed
        store.save_batch(players=[player("p1", "Ann", sessionHash="h", updatedAt=7)])
        row = store.db.execute(
            "SELECT name, name_key, session_hash, updated_at FROM players"
        ).fetchone()
        assert row == ("Ann", "ann", "h", 7)
    finally:
        store.close()


def test_sqlite_refuses_a_newer_schema(data_dir: Path) -> None:
    open_store(data_dir).close()
    newer = SCHEMA_VERSION + 1
    with sqlite3.connect(data_dir / "clawtown.db") as conn:
        conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(newer),))

    with pytest.raises(SchemaTooNew) as caught:
        open_store(data_dir)
    assert str(caught.value) == (
        f"database schema v{newer} is newer than this clawtown (v{SCHEMA_VERSION}); "
        "upgrade clawtown"
    )
    assert isinstance(caught.value, StoreError)


def test_sqlite_refuses_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    (tmp_path / "clawtown.db").write_bytes(b"this is not sqlite" * 100)

    with pytest.raises(StoreError, match="cannot open"):
        open_store(tmp_path)


def test_sqlite_keeps_everything_across_reopen(data_dir: Path) -> None:
    store = open_store(data_dir)
    store.save_batch(
        players=[player("p1", "Ann", sessionHash="h", level=4)],
        events=[event("p1", 1, important=True, data={"n": 1})],
        parties=[{"id": "a", "leaderId": "p1", "members": ["p1"]}],
        board=[{"id": "b1", "createdAt": 5, "text": "hello"}],
    )
    store.set_meta("world_seed", "42")
    store.close()

    reopened = open_store(data_dir)
    try:
        assert reopened.load_players() == [player("p1", "Ann", sessionHash="h", level=4)]
        assert reopened.find_player_by_session_hash("h")["id"] == "p1"
        assert reopened.list_events("p1") == [event("p1", 1, important=True, data={"n": 1})]
        assert reopened.load_parties() == [{"id": "a", "leaderId": "p1", "members": ["p1"]}]
        assert reopened.load_board() == [{"id": "b1", "createdAt": 5, "text": "hello"}]
        assert reopened.get_meta("world_seed") == "42"
    finally:
        reopened.close()


def test_sqlite_rolls_back_a_batch_that_fails_inside_the_database(data_dir: Path) -> None:
    store = open_store(data_dir)
    try:
        store.save_batch(players=[player("p1", level=1)], parties=[{"id": "old"}])
        # Board rows are written last: make the database itself fail there.
        store.db.execute(
            "CREATE TRIGGER refuse_boom BEFORE INSERT ON board WHEN NEW.id = 'boom' "
            "BEGIN SELECT RAISE(ABORT, 'boom refused'); END"
        )

        with pytest.raises(StoreError, match="save_batch failed: boom refused"):
            store.save_batch(
                players=[player("p1", level=2), player("p2")],
                events=[event("p1", 1)],
                parties=[{"id": "new"}],
                deleted_parties=["old"],
                board=[{"id": "ok", "createdAt": 1}, {"id": "boom", "createdAt": 2}],
            )

        assert store.load_players() == [player("p1", level=1)]
        assert store.list_events("p1") == []
        assert store.load_parties() == [{"id": "old"}]
        assert store.load_board() == []
        assert not store.db.conn.in_transaction
        store.save_batch(players=[player("p2")])  # the connection is still usable
        assert store.count_players() == 2
    finally:
        store.close()


def test_appending_a_migration_upgrades_an_existing_database(data_dir: Path) -> None:
    open_store(data_dir).close()

    def m_next_scratch(db: Any) -> None:
        db["scratch"].create({"key": str, "at": int}, pk="key")

    def m_then_broken(db: Any) -> None:
        db["tokens"].create({"hash": str}, pk="hash")
        db.execute("SELECT * FROM no_such_table")

    broken_version = SCHEMA_VERSION + 2
    db = SqliteStore(data_dir / "clawtown.db").db
    try:
        with pytest.raises(
            StoreError, match=rf"migration v{broken_version} \(m_then_broken\) failed"
        ):
            migrate(db, (*MIGRATIONS, m_next_scratch, m_then_broken))
        # the first one committed on its own; the broken one rolled back entirely
        assert schema_version(db) == SCHEMA_VERSION + 1
        assert db["scratch"].exists()
        assert not db["tokens"].exists()
        assert migrate(db, (*MIGRATIONS, m_next_scratch)) == SCHEMA_VERSION + 1
    finally:
        db.close()


@contextmanager
def old_database(path: Path, version: int) -> Iterator[sqlite_utils.Database]:
    """A new database file with only the first ``version`` migrations applied, closed after."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite_utils.Database(path)
    try:
        assert migrate(db, MIGRATIONS[:version]) == version
        yield db
    finally:
        db.close()


def v1_database(path: Path) -> None:
    """A database as clawtown v1 (only m001 applied) left it, with a player and events."""
    with old_database(path, 1) as db:
        db["players"].insert(
            {
                "id": "p1",
                "name": "Ann",
                "name_key": "ann",
                "session_hash": "h",
                "updated_at": 7,
                "data": json.dumps(player("p1", "Ann", sessionHash="h", level=4)),
            }
        )
        db["events"].insert_all(
            {
                "player_id": "p1",
                "seq": seq,
                "at": 1000 + seq,
                "kind": "xp",
                "text": f"e{seq}",
                "important": 0,
                "data": None,
            }
            for seq in (1, 2)
        )


def test_sqlite_upgrades_a_v1_database_keeping_its_data(data_dir: Path) -> None:
    v1_database(data_dir / "clawtown.db")
    with sqlite3.connect(data_dir / "clawtown.db") as conn:
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
    assert "players" in tables and "join_codes" not in tables and "bot_links" not in tables

    store = open_store(data_dir)
    try:
        assert schema_version(store.db) == SCHEMA_VERSION
        assert store.get_meta("schema_version") == str(SCHEMA_VERSION)
        assert store.load_players() == [player("p1", "Ann", sessionHash="h", level=4)]
        assert store.find_player_by_session_hash("h")["id"] == "p1"
        assert [e["id"] for e in store.list_events("p1")] == [1, 2]
        assert store.list_join_codes() == []
        assert store.mint_join_code("ABC123", "p1", created_at=1, expires_at=2)
        assert store.revoke_bot_tokens("p1", at=3) == 1
        assert store.list_audit() == []
    finally:
        store.close()
    with sqlite3.connect(data_dir / "clawtown.db") as conn:
        rows = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
    assert rows == [(str(SCHEMA_VERSION),)]


def v3_database_with_codes(path: Path) -> None:
    """A database as clawtown v3 left it: join codes keyed by the code, with no id."""
    with old_database(path, 3) as db:
        db["join_codes"].insert_all(
            {"code": code, "player_id": pid, "created_at": created, "expires_at": 9000, "revoked_at": revoked}
            for code, pid, created, revoked in (
                ("LIVE01", "p1", 100, None),
                ("GONE01", "p1", 200, 250),
                ("BOBS01", "p2", 150, None),
            )
        )


def test_sqlite_v4_gives_existing_join_codes_ids(data_dir: Path) -> None:
    path = data_dir / "clawtown.db"
    v3_database_with_codes(path)

    store = open_store(data_dir)
    try:
        assert schema_version(store.db) == SCHEMA_VERSION >= 4
        listed = store.list_join_codes()
        assert listed == [
            join_code("LIVE01", "p1", 100, 9000),
            join_code("BOBS01", "p2", 150, 9000),
            join_code("GONE01", "p1", 200, 9000, revoked=250),
        ]
        ids = [record["id"] for record in listed]
        assert len(set(ids)) == 3 and all(JOIN_CODE_ID.fullmatch(i) for i in ids)
        # the codes work as before: looked up, live, colliding, revocable
        assert store.get_join_code("LIVE01")["id"] == ids[0]
        assert codes(store, now=300) == ["LIVE01", "BOBS01"]
        with pytest.raises(StoreError, match="join code collision"):
            store.mint_join_code("GONE01", "p3", created_at=300, expires_at=9000)
        assert store.revoke_join_code("BOBS01", at=300) is True
        store.restore_join_codes([placeholder("jc_restored", "p1", 50, 9000)])
        assert store.get_join_code("LIVE01")["id"] == ids[0]
    finally:
        store.close()
    store = open_store(data_dir)  # the ids are stored, not drawn again on open
    try:
        assert [r["id"] for r in store.list_join_codes()] == ["jc_restored", *ids]
        assert store.db["join_codes"].pks == ["id"]
    finally:
        store.close()


def test_sqlite_v4_rolls_back_whole_when_it_fails(data_dir: Path) -> None:
    path = data_dir / "clawtown.db"
    v3_database_with_codes(path)
    with sqlite3.connect(path) as conn:  # a leftover table makes the rebuild fail halfway
        conn.execute("CREATE TABLE join_codes_v4 (x)")

    with pytest.raises(StoreError, match=r"migration v4 \(m004_join_code_ids\) failed"):
        open_store(data_dir)

    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall() == [("3",)]
        assert conn.execute("SELECT code FROM join_codes ORDER BY code").fetchall() == [
            ("BOBS01",), ("GONE01",), ("LIVE01",)]


def test_sqlite_bot_access_tables_are_indexed(data_dir: Path) -> None:
    store = open_store(data_dir)
    try:
        join_indexes = {tuple(i.columns): i.unique for i in store.db["join_codes"].indexes}
        link_indexes = {tuple(i.columns): i.unique for i in store.db["bot_links"].indexes}
        assert join_indexes[("player_id",)] == 0
        assert join_indexes[("code",)] == 1  # many NULLs (placeholders), each code once
        assert link_indexes[("token_hash",)] == 1
        assert store.db["join_codes"].pks == ["id"]
        assert store.db["bot_links"].pks == ["player_id"]
        # the unique index itself refuses a second holder, even behind the store's back
        store.save_bot_link("p1", 0, token_hash("t"), linked_at=1)
        with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
            store.db.execute(
                "INSERT INTO bot_links (player_id, generation, token_hash) VALUES ('p2', 0, ?)",
                [token_hash("t")],
            )
    finally:
        store.close()


def test_sqlite_rolls_back_a_mint_that_fails_inside_the_database(data_dir: Path) -> None:
    store = open_store(data_dir)
    try:
        for i in range(4):
            store.mint_join_code(f"LIVE0{i}", "p1", created_at=50 + i, expires_at=9000)
        store.mint_join_code("EXPIRD", "p1", created_at=100, expires_at=200)
        store.db.execute(
            "CREATE TRIGGER refuse_boom BEFORE INSERT ON join_codes WHEN NEW.code = 'BOOM00' "
            "BEGIN SELECT RAISE(ABORT, 'boom refused'); END"
        )

        with pytest.raises(StoreError, match="mint_join_code failed: boom refused"):
            store.mint_join_code("BOOM00", "p1", created_at=400, expires_at=9000, max_live=2)

        # neither the clean-up nor the eviction happened
        assert codes(store) == ["LIVE00", "LIVE01", "LIVE02", "LIVE03", "EXPIRD"]
        assert not store.db.conn.in_transaction
    finally:
        store.close()


def test_sqlite_prune_all_events_is_one_statement(data_dir: Path) -> None:
    store = open_store(data_dir)
    try:
        store.save_batch(events=[event(f"p{p}", seq) for p in range(50) for seq in range(1, 21)])
        statements: list[str] = []
        store.db.conn.set_trace_callback(statements.append)
        try:
            assert store.prune_all_events(keep_last=5) == 50 * 15
        finally:
            store.db.conn.set_trace_callback(None)
        assert [s.split()[0] for s in statements] == ["BEGIN", "DELETE", "COMMIT"]
        assert store.oldest_event_seq("p49") == 16
    finally:
        store.close()


