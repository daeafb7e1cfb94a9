"""The Store contract, run against every backend, plus SQLite- and runner-specific tests."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_twisted
from twisted.internet import reactor

from clawtown.store import (
    MemoryStore,
    SchemaTooNew,
    SqliteStore,
    Store,
    StoreError,
    StoreRunner,
    SyncRunner,
    open_store,
)
from clawtown.store.migrations import MIGRATIONS, SCHEMA_VERSION, migrate, schema_version


class FakeClock:
    """Seconds, advanced by hand."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def player(pid: str, name: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"id": pid, "name": name or pid.upper(), **extra}


def event(pid: str, seq: int, **extra: Any) -> dict[str, Any]:
    record = {"playerId": pid, "id": seq, "at": 1000 + seq, "kind": "xp", "text": f"e{seq}"}
    return {**record, **extra}


StoreFactory = Callable[..., Store]


@pytest.fixture(params=["memory", "sqlite"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreFactory]:
    opened: list[Store] = []

    def make(**options: Any) -> Store:
        if request.param == "memory":
            store: Store = MemoryStore(**options)
        else:
            store = open_store(tmp_path / f"data{len(opened)}", **options)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


@pytest.fixture
def store(make_store: StoreFactory) -> Store:
    return make_store()


# ---------------------------------------------------------------- contract


def test_implements_the_protocol(store: Store) -> None:
    assert isinstance(store, Store)


def test_a_new_store_is_empty(store: Store) -> None:
    assert store.load_players() == []
    assert store.count_players() == 0
    assert store.get_player("p1") is None
    assert store.find_player_by_session_hash("h") is None
    assert store.find_players_by_name("Ann") == []
    assert store.list_events("p1") == []
    assert store.oldest_event_seq("p1") is None
    assert store.newest_event_seq("p1") is None
    assert store.load_parties() == []
    assert store.load_board() == []
    assert store.get_meta("schema_version") == str(SCHEMA_VERSION)
    assert store.get_meta("anything") is None


def test_players_round_trip_whole_records(store: Store) -> None:
    ann = player("p1", "Ann", level=3, items=[{"kind": "potion", "n": 2}], pos={"x": 1.5})
    bob = player("p2", "Bøb ☃", sessionHash="h2", inventory={})
    store.save_batch(players=[bob, ann])

    assert store.load_players() == [ann, bob]  # ordered by id
    assert store.get_player("p2") == bob
    assert store.count_players() == 2


def test_saving_a_player_again_replaces_it(store: Store) -> None:
    store.save_batch(players=[player("p1", "Ann", level=1)])
    store.save_batch(players=[player("p1", "Anna", level=2)])

    assert store.count_players() == 1
    assert store.get_player("p1") == player("p1", "Anna", level=2)
    assert store.find_players_by_name("ann") == []
    assert store.find_players_by_name("ANNA") == [player("p1", "Anna", level=2)]


def test_the_store_shares_no_mutable_state_with_callers(store: Store) -> None:
    record = player("p1", "Ann", items=["sword"])
    store.save_batch(players=[record])
    record["items"].append("shield")
    loaded = store.get_player("p1")
    loaded["items"].append("bow")

    assert store.get_player("p1") == player("p1", "Ann", items=["sword"])


def test_find_players_by_name_ignores_case(store: Store) -> None:
    store.save_batch(players=[player("p2", "ann"), player("p1", "ANN"), player("p3", "Bob")])

    assert [p["id"] for p in store.find_players_by_name("Ann")] == ["p1", "p2"]
    assert [p["id"] for p in store.find_players_by_name("bob")] == ["p3"]


def test_session_hash_finds_the_most_recently_updated_holder(make_store: StoreFactory) -> None:
    clock = FakeClock(1.0)
    store = make_store(clock=clock)
    store.save_batch(players=[player("p1", sessionHash="h")])
    clock.now = 2.0
    store.save_batch(players=[player("p2", sessionHash="h")])
    assert store.find_player_by_session_hash("h")["id"] == "p2"

    clock.now = 3.0
    store.save_batch(players=[player("p1", sessionHash="h")])
    assert store.find_player_by_session_hash("h")["id"] == "p1"

    # an explicit updatedAt wins over the clock
    store.save_batch(players=[player("p2", sessionHash="h", updatedAt=10_000)])
    assert store.find_player_by_session_hash("h")["id"] == "p2"


def test_clearing_a_session_hash_forgets_it(store: Store) -> None:
    store.save_batch(players=[player("p1", sessionHash="h")])
    store.save_batch(players=[player("p1", sessionHash=None)])

    assert store.find_player_by_session_hash("h") is None


def test_events_are_listed_in_order_with_cursor_and_limit(store: Store) -> None:
    store.save_batch(events=[event("p1", seq) for seq in (3, 1, 2, 5, 4)])
    store.save_batch(events=[event("p2", 1)])

    assert [e["id"] for e in store.list_events("p1")] == [1, 2, 3, 4, 5]
    assert [e["id"] for e in store.list_events("p1", after_seq=2)] == [3, 4, 5]
    assert [e["id"] for e in store.list_events("p1", after_seq=1, limit=2)] == [2, 3]
    assert store.list_events("p1", after_seq=5) == []
    assert [e["id"] for e in store.list_events("p2")] == [1]
    assert store.oldest_event_seq("p1") == 1
    assert store.newest_event_seq("p1") == 5


def test_events_keep_every_field(store: Store) -> None:
    full = event("p1", 1, important=True, data={"xp": 10, "from": ["slime"]})
    plain = event("p1", 2)
    store.save_batch(events=[full, plain])

    assert store.list_events("p1") == [
        full,
        {**plain, "important": False, "data": None},
    ]


def test_saving_an_event_seq_again_replaces_it(store: Store) -> None:
    store.save_batch(events=[event("p1", 1, text="old")])
    store.save_batch(events=[event("p1", 1, text="new")])

    assert [e["text"] for e in store.list_events("p1")] == ["new"]


def test_prune_events_keeps_the_newest(store: Store) -> None:
    store.save_batch(events=[event("p1", seq) for seq in range(1, 11)])
    store.save_batch(events=[event("p2", 1)])

    assert store.prune_events("p1", keep_last=3) == 7
    assert [e["id"] for e in store.list_events("p1")] == [8, 9, 10]
    assert store.oldest_event_seq("p1") == 8
    assert store.prune_events("p1", keep_last=3) == 0
    assert store.list_events("p2") != []  # other players untouched
    assert store.prune_events("p1", keep_last=0) == 3
    assert store.oldest_event_seq("p1") is None


def test_prune_events_keeps_1000_by_default(store: Store) -> None:
    store.save_batch(events=[event("p1", seq) for seq in range(1, 1006)])

    assert store.prune_events("p1") == 5
    assert store.oldest_event_seq("p1") == 6
    assert store.newest_event_seq("p1") == 1005


def test_parties_are_saved_updated_and_deleted(store: Store) -> None:
    a = {"id": "a", "leaderId": "p1", "members": ["p1", "p2"]}
    b = {"id": "b", "leaderId": "p3", "members": ["p3"]}
    store.save_batch(parties=[b, a])
    assert store.load_parties() == [a, b]

    a2 = {**a, "members": ["p1"]}
    store.save_batch(parties=[a2], deleted_parties=["b", "never-existed"])
    assert store.load_parties() == [a2]


def test_a_party_cannot_be_saved_and_deleted_in_one_batch(store: Store) -> None:
    with pytest.raises(StoreError, match="both saved and deleted.*: a"):
        store.save_batch(parties=[{"id": "a", "members": []}], deleted_parties=["a"])
    assert store.load_parties() == []


def test_board_returns_the_newest_posts_newest_last(store: Store) -> None:
    posts = [{"id": f"b{i}", "createdAt": 100 + i, "text": f"hi {i}"} for i in range(5)]
    store.save_batch(board=list(reversed(posts)))
    store.save_batch(board=[{"id": "a-tie", "createdAt": 104, "text": "same ms"}])

    assert store.load_board() == posts[:4] + [
        {"id": "a-tie", "createdAt": 104, "text": "same ms"},
        posts[4],
    ]
    assert [p["id"] for p in store.load_board(limit=2)] == ["a-tie", "b4"]


def test_prune_board_keeps_the_newest(store: Store) -> None:
    store.save_batch(board=[{"id": f"b{i}", "createdAt": i} for i in range(60)])

    assert store.prune_board() == 10
    assert [p["id"] for p in store.load_board(limit=100)] == [f"b{i}" for i in range(10, 60)]
    assert store.prune_board(keep_last=1) == 49
    assert store.load_board() == [{"id": "b59", "createdAt": 59}]


def test_meta_values_are_stored(store: Store) -> None:
    store.set_meta("world_seed", "42")
    store.set_meta("world_seed", "43")
    store.set_meta("empty", "")

    assert store.get_meta("world_seed") == "43"
    assert store.get_meta("empty") == ""


def test_schema_version_cannot_be_set_by_hand(store: Store) -> None:
    with pytest.raises(StoreError, match="reserved"):
        store.set_meta("schema_version", "99")
    assert store.get_meta("schema_version") == str(SCHEMA_VERSION)


def test_one_bad_item_rejects_the_whole_batch(store: Store) -> None:
    store.save_batch(players=[player("p1", level=1)], parties=[{"id": "old"}])

    with pytest.raises(StoreError, match=r"events\[1\]\.at"):
        store.save_batch(
            players=[player("p1", level=2), player("p2")],
            events=[event("p1", 1), {**event("p1", 2), "at": "noon"}],
            parties=[{"id": "new"}],
            deleted_parties=["old"],
            board=[{"id": "b", "createdAt": 1}],
        )

    assert store.load_players() == [player("p1", level=1)]
    assert store.list_events("p1") == []
    assert store.load_parties() == [{"id": "old"}]
    assert store.load_board() == []


@pytest.mark.parametrize(
    ("batch", "message"),
    [
        ({"players": "p1"}, "players must be a list, got str"),
        ({"players": {"id": "p1"}}, "players must be a list, got dict"),
        ({"players": [["p1"]]}, r"players\[0\] must be a dict, got list"),
        ({"players": [{"name": "Ann"}]}, r"players\[0\]\.id must be a string, got NoneType"),
        ({"players": [{"id": "p1", "name": ""}]}, r"players\[0\]\.name must not be empty"),
        ({"players": [player("p1", sessionHash=5)]}, r"players\[0\]\.sessionHash must be a"),
        ({"players": [player("p1", updatedAt=1.5)]}, r"players\[0\]\.updatedAt must be an int"),
        ({"players": [player("p1", bag={1, 2})]}, r"players\[0\] is not JSON-serialisable"),
        ({"players": [{**player("p1"), 7: "x"}]}, r"players\[0\] is not JSON-serialisable"),
        ({"players": [player("p1", "\ud800")]}, r"players\[0\]\.name is not valid text"),
        ({"events": [{**event("p1", 1), "id": True}]}, r"events\[0\]\.id must be an integer"),
        ({"events": [event("p1", 2**70)]}, r"events\[0\]\.id must be between"),
        ({"events": [event("p1", 1, important="yes")]}, r"events\[0\]\.important must be a"),
        ({"events": [event("p1", 1, data=object())]}, r"events\[0\]\.data is not JSON"),
        ({"events": [{"id": 1, "at": 1, "kind": "x", "text": ""}]}, r"events\[0\]\.playerId"),
        ({"parties": [{"leaderId": "p1"}]}, r"parties\[0\]\.id must be a string"),
        ({"deleted_parties": [5]}, r"deleted_parties\[0\] must be a string, got int"),
        ({"board": [{"id": "b"}]}, r"board\[0\]\.createdAt must be an integer"),
    ],
)
def test_bad_input_raises_a_clear_store_error(
    store: Store, batch: dict[str, Any], message: str
) -> None:
    with pytest.raises(StoreError, match=message):
        store.save_batch(**batch)
    assert store.count_players() == 0


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: s.get_player(5), "player_id must be a string"),
        (lambda s: s.list_events("p1", limit=0), "limit must be between 1"),
        (lambda s: s.list_events("p1", after_seq="3"), "after_seq must be an integer"),
        (lambda s: s.prune_events("p1", keep_last=-1), "keep_last must be between 0"),
        (lambda s: s.load_board(limit=0), "limit must be between 1"),
        (lambda s: s.set_meta("k", 1), "meta value for 'k' must be a string"),
        (lambda s: s.get_meta(""), "meta key must not be empty"),
    ],
)
def test_bad_arguments_raise_a_clear_store_error(
    store: Store, call: Callable[[Store], Any], message: str
) -> None:
    with pytest.raises(StoreError, match=message):
        call(store)


def test_a_closed_store_refuses_work(store: Store) -> None:
    store.close()
    store.close()  # twice is fine

    with pytest.raises(StoreError):
        store.load_players()
    with pytest.raises(StoreError):
        store.save_batch(players=[player("p1")])


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

    def m002_join_codes(db: Any) -> None:
        db["join_codes"].create({"code": str, "expires_at": int}, pk="code")

    def m003_broken(db: Any) -> None:
        db["tokens"].create({"hash": str}, pk="hash")
        db.execute("SELECT * FROM no_such_table")

    db = SqliteStore(data_dir / "clawtown.db").db
    try:
        with pytest.raises(StoreError, match=r"migration v3 \(m003_broken\) failed"):
            migrate(db, (*MIGRATIONS, m002_join_codes, m003_broken))
        # v2 committed on its own; v3 rolled back entirely
        assert schema_version(db) == SCHEMA_VERSION + 1
        assert db["join_codes"].exists()
        assert not db["tokens"].exists()
        assert migrate(db, (*MIGRATIONS, m002_join_codes)) == SCHEMA_VERSION + 1
    finally:
        db.close()


# ---------------------------------------------------------------- runners


@pytest_twisted.inlineCallbacks
def test_store_runner_runs_store_calls_on_its_own_thread(tmp_path: Path) -> Any:
    opened_on: list[int] = []

    def open_fn() -> SqliteStore:
        opened_on.append(threading.get_ident())
        return open_store(tmp_path)

    runner = StoreRunner(reactor, open_fn)
    yield runner.start()
    try:
        ident, name = yield runner.run(
            lambda store: (threading.get_ident(), threading.current_thread().name)
        )
        assert ident != threading.get_ident()
        assert opened_on == [ident]  # opened on the same thread that runs the calls
        assert "clawtown-store" in name

        yield runner.run(lambda store, rec: store.save_batch(players=[rec]), player("p1"))
        loaded = yield runner.run(lambda store, pid: store.get_player(pid), pid="p1")
        assert loaded == player("p1")

        with pytest.raises(StoreError, match="limit"):
            yield runner.run(lambda store: store.list_events("p1", limit=0))
    finally:
        yield runner.stop()


@pytest_twisted.inlineCallbacks
def test_store_runner_stop_finishes_queued_work_first(tmp_path: Path) -> Any:
    runner = StoreRunner(reactor, lambda: open_store(tmp_path))
    yield runner.start()
    done: list[int] = []
    for i in range(20):
        d = runner.run(lambda store, i: store.save_batch(players=[player(f"p{i:02}")]), i)
        d.addCallback(lambda _, i=i: done.append(i))

    yield runner.stop()

    assert done == list(range(20))
    with pytest.raises(StoreError, match="stopped"):
        yield runner.run(lambda store: store.count_players())
    yield runner.stop()  # stopping twice is fine
    store = open_store(tmp_path)
    try:
        assert store.count_players() == 20
    finally:
        store.close()


@pytest_twisted.inlineCallbacks
def test_store_runner_reports_a_store_that_fails_to_open(tmp_path: Path) -> Any:
    (tmp_path / "clawtown.db").write_bytes(b"garbage" * 100)
    runner = StoreRunner(reactor, lambda: open_store(tmp_path))

    with pytest.raises(StoreError, match="cannot open"):
        yield runner.start()
    with pytest.raises(StoreError, match="not open"):
        yield runner.run(lambda store: store.count_players())
    yield runner.stop()


def test_sync_runner_runs_inline_with_the_same_interface() -> None:
    store = MemoryStore()
    runner = SyncRunner(lambda: store)
    results: list[Any] = []
    failures: list[Any] = []

    runner.run(lambda s: 1).addErrback(failures.append)
    runner.start().addCallback(results.append)
    runner.run(lambda s, rec: s.save_batch(players=[rec]), player("p1"))
    runner.run(lambda s: s.count_players()).addCallback(results.append)
    runner.run(lambda s: s.get_player(7)).addErrback(failures.append)
    runner.stop().addCallback(results.append)

    assert results == [None, 1, None]
    assert [f.value.args[0] for f in failures] == [
        "store runner is not started",
        "player_id must be a string, got int",
    ]
    with pytest.raises(StoreError, match="closed"):
        store.count_players()
