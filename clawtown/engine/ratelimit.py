"""Token-bucket rate limits keyed by (who, what), on an injected clock."""

from __future__ import annotations

import math
from dataclasses import dataclass

FULL_AGAIN_MS = 60_000
"""Every rule in use refills its whole burst within this time."""


@dataclass(frozen=True)
class Rule:
    """`burst` actions at once, refilled at one per `interval_ms`."""

    interval_ms: int
    burst: int


class RateLimiter:
    """Buckets per key. `hit(key, rule)` returns 0 when allowed, else the milliseconds to wait."""

    def __init__(self, clock, max_keys: int = 100_000) -> None:
        self.clock = clock
        self.max_keys = max_keys
        self.buckets: dict[object, list[float]] = {}
        self.denied = 0

    def hit(self, key: object, rule: Rule) -> int:
        now = self.clock.seconds() * 1000.0
        bucket = self.buckets.get(key)
        if bucket is None:
            if len(self.buckets) >= self.max_keys:
                self._evict(now)
            bucket = self.buckets[key] = [float(rule.burst), now]
        tokens, last = bucket
        tokens = min(float(rule.burst), tokens + (now - last) / rule.interval_ms)
        if tokens >= 1.0:
            bucket[0], bucket[1] = tokens - 1.0, now
            return 0
        bucket[0], bucket[1] = tokens, now
        self.denied += 1
        return max(1, math.ceil((1.0 - tokens) * rule.interval_ms))

    def _evict(self, now: float) -> None:
        """Make room: forget buckets idle long enough to be full again, else the least recent tenth.

        Never clears everything, so flooding the table with new keys cannot reset anyone's limit
        that is still being enforced.
        """
        stale = [k for k, (_, last) in self.buckets.items() if now - last > FULL_AGAIN_MS]
        if not stale:
            by_age = sorted(self.buckets.items(), key=lambda item: item[1][1])
            stale = [k for k, _ in by_age[: max(1, len(by_age) // 10)]]
        for k in stale:
            del self.buckets[k]

    def discard(self, *keys: object) -> None:
        """Forget these buckets (cheap: no scan), e.g. those of a closed connection."""
        for key in keys:
            self.buckets.pop(key, None)

    def forget(self, prefix_key: object) -> None:
        for k in [k for k in self.buckets if isinstance(k, tuple) and k[0] == prefix_key]:
            del self.buckets[k]
