"""TickService: advances the world at a fixed rate on an injected clock."""

from __future__ import annotations

from twisted.application.service import Service
from twisted.internet.task import LoopingCall
from twisted.python import log


class TickService(Service):
    name = "tick"

    def __init__(self, game, clock, hz: int = 20) -> None:
        self.game = game
        self.clock = clock
        self.interval = 1.0 / hz
        self._loop: LoopingCall | None = None

    def startService(self) -> None:
        super().startService()
        self._loop = LoopingCall.withCount(self._on_tick)
        self._loop.clock = self.clock
        self._loop.start(self.interval, now=False).addErrback(log.err, "tick loop stopped")

    def _on_tick(self, count: int) -> None:
        try:
            self.game.tick(skipped=max(0, count - 1))
        except Exception:
            log.err(None, "tick failed; the world keeps its previous state for the failed part")

    def stopService(self):
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        return super().stopService()

    def lag_seconds(self) -> float:
        if not self.running or not self.game.last_tick_at:
            return 0.0
        return max(0.0, self.clock.seconds() - self.game.last_tick_at - self.interval)
