"""Store runners: StoreRunner on its own thread, SyncRunner inline, one interface."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
import pytest_twisted
from store_records import (
    player,
)
from twisted.internet import reactor

from clawtown.store import (
    MemoryStore,
    SqliteStore,
    StoreError,
    StoreRunner,
    SyncRunner,
    open_store,
)

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


