"""UpkeepService: periodic store housekeeping (event retention, expired join codes), off the reactor."""

from __future__ import annotations

from twisted.application.service import Service
from twisted.internet.task import LoopingCall
from twisted.python import log

EVERY_S = 600
EVENTS_KEPT = 1000


class UpkeepService(Service):
    name = "upkeep"

    def __init__(self, runner, clock, now_ms, every_s: float = EVERY_S, events_kept: int = EVENTS_KEPT) -> None:
        self.runner = runner
        self.clock = clock
        self.now_ms = now_ms
        self.every_s = every_s
        self.events_kept = events_kept
        self.pruned_events = 0
        self.purged_codes = 0
        self._loop: LoopingCall | None = None

    def startService(self) -> None:
        super().startService()
        self._loop = LoopingCall(self.run_once)
        self._loop.clock = self.clock
        self._loop.start(self.every_s, now=False).addErrback(log.err, "upkeep loop stopped")

    def stopService(self):
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        return super().stopService()

    def run_once(self):
        now, kept = self.now_ms(), self.events_kept

        def tidy(store):
            return store.prune_all_events(kept), store.purge_join_codes(now)

        def counted(result):
            events, codes = result
            self.pruned_events += events
            self.purged_codes += codes

        return self.runner.run(tidy).addCallbacks(counted, lambda f: log.err(f, "upkeep failed; will retry"))
