"""BackupService: scheduled online backups on the store thread, the newest K kept (task.Clock, real SQLite)."""

from __future__ import annotations

import os
import sqlite3

import pytest
from twisted.internet.task import Clock
from twisted.internet.testing import MemoryReactorClock
from twisted.logger import globalLogPublisher

from clawtown.config import Settings
from clawtown.engine.backups import BackupService
from clawtown.ops.backup import stamped_backups, verify_backup
from clawtown.service import make_service
from clawtown.store import SyncRunner, open_store

START = 1_767_225_600  # 2026-01-01T00:00:00Z


@pytest.fixture
def data_dir(tmp_path):
    return str(tmp_path / "data")


@pytest.fixture
def runner(data_dir):
    runner = SyncRunner(lambda: open_store(data_dir))
    runner.start()
    yield runner
    runner.stop()


@pytest.fixture
def clock():
    clock = Clock()
    clock.advance(START)
    return clock


def add_player(runner, n: int) -> None:
    runner.run(lambda store: store.save_batch(players=[{"id": f"p{n:03d}", "name": f"P{n}", "updatedAt": n}]))


def names(data_dir):
    return [os.path.basename(p) for p in stamped_backups(os.path.join(data_dir, "backups"))]


def players_in(path):
    conn = sqlite3.connect(path)
    try:
        return [row[0] for row in conn.execute("SELECT id FROM players ORDER BY id")]
    finally:
        conn.close()


def test_nothing_happens_before_the_first_interval(runner, clock, data_dir):
    service = BackupService(runner, clock, data_dir, every_s=900, keep=3)
    service.startService()
    clock.advance(899)
    assert names(data_dir) == []
    assert service.taken == 0
    service.stopService()


def test_backups_appear_on_schedule_and_hold_what_was_committed(runner, clock, data_dir):
    service = BackupService(runner, clock, data_dir, every_s=900, keep=5)
    service.startService()
    add_player(runner, 1)
    clock.advance(900)
    add_player(runner, 2)
    clock.advance(900)
    assert names(data_dir) == ["clawtown-20260101-001500.db", "clawtown-20260101-003000.db"]
    first, second = stamped_backups(os.path.join(data_dir, "backups"))
    assert players_in(first) == ["p001"]
    assert players_in(second) == ["p001", "p002"]
    assert verify_backup(second).counts["players"] == 2
    assert (service.taken, service.failed, service.last_path) == (2, 0, second)
    service.stopService()
    clock.advance(3600)
    assert service.taken == 2  # stopped: no more backups
    assert clock.getDelayedCalls() == []


def test_only_the_newest_k_are_kept(runner, clock, data_dir):
    service = BackupService(runner, clock, data_dir, every_s=3600, keep=3)
    service.startService()
    for n in range(6):
        add_player(runner, n)
        clock.advance(3600)
    assert names(data_dir) == [
        "clawtown-20260101-040000.db",
        "clawtown-20260101-050000.db",
        "clawtown-20260101-060000.db",
    ]
    assert players_in(stamped_backups(os.path.join(data_dir, "backups"))[-1]) == [f"p{n:03d}" for n in range(6)]
    service.stopService()


def test_other_files_in_the_backup_dir_are_left_alone(runner, clock, data_dir):
    backups = os.path.join(data_dir, "backups")
    os.makedirs(backups)
    for name in ("before-upgrade.db", "clawtown-notes.txt", "clawtown-20250101-000000.db.1234.partial"):
        with open(os.path.join(backups, name), "w") as f:
            f.write("keep me")
    service = BackupService(runner, clock, data_dir, every_s=60, keep=1)
    service.startService()
    clock.pump([60] * 3)
    assert sorted(os.listdir(backups)) == [
        "before-upgrade.db", "clawtown-20250101-000000.db.1234.partial", "clawtown-20260101-000300.db",
        "clawtown-notes.txt",
    ]
    service.stopService()


def test_the_rotation_orders_by_time_not_by_name_suffix(runner, data_dir):
    clock = Clock()
    clock.advance(START)
    service = BackupService(runner, clock, data_dir, every_s=60, keep=2)
    # Three backups within one second get -1 and -2 suffixes; the unsuffixed one is the oldest.
    for _ in range(3):
        service.run_once()
    assert names(data_dir) == ["clawtown-20260101-000000-1.db", "clawtown-20260101-000000-2.db"]


def test_a_failed_backup_is_logged_and_retried(runner, clock, data_dir):
    logged = []
    globalLogPublisher.addObserver(logged.append)
    os.makedirs(data_dir, exist_ok=True)
    blocker = os.path.join(data_dir, "backups")
    with open(blocker, "w") as f:  # a file where the directory should be
        f.write("in the way")
    service = BackupService(runner, clock, data_dir, every_s=60, keep=2)
    service.startService()
    clock.advance(60)
    assert (service.taken, service.failed) == (0, 1)
    os.remove(blocker)
    clock.advance(60)
    assert (service.taken, service.failed) == (1, 1)
    assert names(data_dir) == ["clawtown-20260101-000200.db"]
    globalLogPublisher.removeObserver(logged.append)
    failures = [e for e in logged if e.get("isError")]
    assert len(failures) == 1
    assert "backup failed; will retry" in str(failures[0].get("why"))
    service.stopService()


def test_stop_waits_for_a_backup_under_way(data_dir, clock):
    from twisted.internet.defer import Deferred

    class HeldRunner:
        """Runs the call only when the test says so (a backup still running on the store thread)."""

        def __init__(self, inner):
            self.inner, self.pending = inner, []

        def run(self, fn):
            d = Deferred()
            self.pending.append((fn, d))
            return d

        def finish(self):
            fn, d = self.pending.pop()
            self.inner.run(fn).chainDeferred(d)

    inner = SyncRunner(lambda: open_store(data_dir))
    inner.start()
    held = HeldRunner(inner)
    service = BackupService(held, clock, data_dir, every_s=60, keep=2)
    service.startService()
    clock.advance(60)
    stopped = service.stopService()
    assert stopped is not None and not stopped.called
    held.finish()
    assert stopped.called
    assert names(data_dir) == ["clawtown-20260101-000100.db"]
    inner.stop()


def test_make_service_adds_the_backup_service_only_when_enabled(tmp_path):
    on = make_service(Settings(data_dir=str(tmp_path / "a"), backup_every_s=900, backup_keep=4), MemoryReactorClock())
    backups = on.getServiceNamed("backups")
    assert (backups.every_s, backups.keep) == (900, 4)
    assert not backups.running
    off = make_service(Settings(data_dir=str(tmp_path / "b")), MemoryReactorClock())
    with pytest.raises(KeyError):
        off.getServiceNamed("backups")
