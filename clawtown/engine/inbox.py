"""Bounded per-instance command queues between the transports and the tick."""

from __future__ import annotations

from collections import deque

WORLD_QUEUE = "_world"


class Inbox:
    """One FIFO per instance key (plus one for world-level commands), each holding at most `limit`.

    `put` refuses (returns False) when the queue is full; the caller answers the client and the
    refusal is counted in `dropped`. `drain` takes up to `per_tick` commands from each queue.
    """

    def __init__(self, limit: int = 4096, per_tick: int = 2048) -> None:
        self.limit = limit
        self.per_tick = per_tick
        self.queues: dict[str, deque] = {}
        self.dropped = 0
        self.accepted = 0

    def put(self, key: str, command) -> bool:
        queue = self.queues.setdefault(key, deque())
        if len(queue) >= self.limit:
            self.dropped += 1
            return False
        queue.append(command)
        self.accepted += 1
        return True

    def drain(self) -> list:
        out: list = []
        world_queue = self.queues.get(WORLD_QUEUE)
        if world_queue:
            out.extend(self._take(world_queue))
        for key, queue in self.queues.items():
            if key != WORLD_QUEUE and queue:
                out.extend(self._take(queue))
        return out

    def _take(self, queue: deque) -> list:
        n = min(len(queue), self.per_tick)
        return [queue.popleft() for _ in range(n)]

    def __len__(self) -> int:
        return sum(len(q) for q in self.queues.values())
