"""BackupService: every N seconds, an online backup of the database into <data-dir>/backups, keeping the last K.

The copy runs on the store thread, from the store's own connection (SQLite backup API), so it
sees exactly what the server has committed and nothing writes meanwhile; the reactor never
waits. Files are `clawtown-<UTC stamp>.db` (see clawtown.ops.backup), the same names
`clawtown backup create` uses, and they share the rotation: after each backup only the newest
K stamped files of the directory are kept. A failed backup is logged and retried next time.
"""

from __future__ import annotations

import os

from twisted.application.service import Service
from twisted.internet.defer import Deferred
from twisted.internet.task import LoopingCall
from twisted.python import log

from ..ops.backup import BACKUP_DIR, copy_database, prune_backups, stamped_path

DEFAULT_KEEP = 24


class BackupService(Service):
    name = "backups"

    def __init__(self, runner, clock, data_dir: str, every_s: float, keep: int = DEFAULT_KEEP) -> None:
        self.runner = runner
        self.clock = clock
        self.directory = os.path.join(data_dir, BACKUP_DIR)
        self.every_s = every_s
        self.keep = keep
        self.taken = 0
        self.failed = 0
        self.last_path: str | None = None
        self._loop: LoopingCall | None = None
        self._busy = False
        self._stop_waiters: list[Deferred] = []

    def startService(self) -> None:
        super().startService()
        self._loop = LoopingCall(self.run_once)
        self._loop.clock = self.clock
        self._loop.start(self.every_s, now=False).addErrback(log.err, "backup loop stopped")

    def stopService(self):
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        super().stopService()
        if not self._busy:
            return None
        waiter: Deferred = Deferred()  # a backup under way finishes before the store closes
        self._stop_waiters.append(waiter)
        return waiter

    def run_once(self):
        """Take one backup now (on the store thread); the Deferred fires when it is done or failed."""
        directory, keep, when = self.directory, self.keep, self.clock.seconds()

        def backup(store):
            os.makedirs(directory, exist_ok=True)
            path = stamped_path(directory, when)
            copy_database(store.db.conn, path, check=False)
            return path, prune_backups(directory, keep)

        def done(result):
            path, removed = result
            self.taken += 1
            self.last_path = path
            log.msg(f"backup written: {path} ({os.path.getsize(path)} bytes); {len(removed)} old backups removed")

        def failed(failure):
            self.failed += 1
            log.err(failure, "backup failed; will retry at the next interval")

        def settle(_):
            self._busy = False
            waiters, self._stop_waiters = self._stop_waiters, []
            for waiter in waiters:
                waiter.callback(None)

        self._busy = True
        return self.runner.run(backup).addCallbacks(done, failed).addBoth(settle)
