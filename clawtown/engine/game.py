"""The running game: the world, its inbox, and the bridge between callers and the tick.

Transports call `submit` (fire and forget, acknowledged later), `request` (a Deferred that
fires with the command's result once the tick that applied it has been committed) or
`apply_now` (the bot REST API: applied at once between ticks, answered once settled).
"""

from __future__ import annotations

import time
from collections import deque

from twisted.internet.defer import Deferred, fail
from twisted.python import log

from ..sim.world import World
from .inbox import WORLD_QUEUE, Inbox
from .metrics import TIME_BUCKETS, Histogram


class Busy(Exception):
    """The inbox is full: the command was not queued."""


class TickFailed(Exception):
    """The tick that held a command raised; the command's effect is unknown."""


class Game:
    def __init__(self, world: World, inbox: Inbox, clock) -> None:
        self.world = world
        self.inbox = inbox
        self.clock = clock
        self.outbox: list = []
        self.waiters: dict[int, Deferred] = {}
        self._next_ref = 0
        self.tick_ms: deque = deque(maxlen=2400)
        self.tick_seconds = Histogram(TIME_BUCKETS)
        self.ticks = 0
        self.skipped_ticks = 0
        self.last_tick_at = 0.0
        self.listeners: list = []

    def now_ms(self) -> int:
        return int(self.clock.seconds() * 1000)

    def queue_key(self, player_id: str) -> str:
        p = self.world.players.get(player_id)
        return self.world.instance_key_of(p) if p is not None else WORLD_QUEUE

    def submit(self, command) -> bool:
        return self.inbox.put(self.queue_key(command.player_id), command)

    def request(self, make_command) -> Deferred:
        """Queue `make_command(ref)`; the Deferred fires with its result after the commit."""
        self._next_ref += 1
        ref = self._next_ref
        command = make_command(ref)
        if not self.submit(command):
            return fail(Busy("server busy, try again"))
        d = Deferred()
        self.waiters[ref] = d
        return d

    def apply_now(self, command) -> dict:
        """Apply `command` at once, between ticks; its events go out with the next sync round.

        The result may show state not yet on disk: callers that answer with it wait for
        `SyncService.settled` first.
        """
        try:
            result, events = self.world.apply_now(self.now_ms(), command)
        except Exception:
            log.err(None, f"applying {type(command).__name__} failed")
            raise TickFailed("the server could not apply this command") from None
        self._publish(events)
        return result

    def tick(self, skipped: int = 0) -> None:
        started = time.perf_counter()
        commands = self.inbox.drain()
        try:
            events = self.world.step(self.now_ms(), commands)
        except Exception:
            self._fail_waiters(commands)
            raise
        self._publish(events)
        self.ticks += 1
        self.skipped_ticks += skipped
        self.last_tick_at = self.clock.seconds()
        elapsed = time.perf_counter() - started
        self.tick_ms.append(elapsed * 1000.0)
        self.tick_seconds.observe(elapsed)

    def _publish(self, events: list) -> None:
        self.outbox.extend(events)
        for listener in self.listeners:
            listener(events)

    def _fail_waiters(self, commands: list) -> None:
        """A tick that crashed answers its waiting callers instead of leaving them hanging."""
        for command in commands:
            d = self.waiters.pop(command.ref, None) if isinstance(command.ref, int) else None
            if d is not None:
                d.errback(TickFailed("the server could not apply this command"))

    def fail_all_waiters(self, reason: str) -> None:
        waiters, self.waiters = self.waiters, {}
        for d in waiters.values():
            d.errback(TickFailed(reason))

    def take_outbox(self) -> list:
        out, self.outbox = self.outbox, []
        return out
