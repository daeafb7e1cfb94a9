"""What the load generator counts: small mergeable histograms and per-second tallies.

A worker process keeps one `Tally` for the current second and hands it to the parent once a
second (`Tally.take`); the parent merges the tallies of every worker, second by second, and
over whole windows. Everything here is plain data (picklable, JSON-able through `to_dict`) and
pure: no clock, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

GROWTH = 1.02
"""Bucket width of a `Hist`: each bucket is 2 % wider than the one below, so a percentile read
from the buckets is within 2 % of the true value."""
FLOOR = 0.001
"""The smallest distinct value (values are milliseconds, so 1 µs); anything below shares bucket 0."""
_LOG_GROWTH = math.log(GROWTH)


def bucket_of(value: float) -> int:
    """Index of the bucket holding `value`: bucket i holds (FLOOR·G^(i-1), FLOOR·G^i]."""
    if value <= FLOOR:
        return 0
    return max(0, math.ceil(math.log(value / FLOOR) / _LOG_GROWTH - 1e-9))


def bucket_top(index: int) -> float:
    """The upper bound of bucket `index`."""
    return FLOOR * GROWTH ** index


class Hist:
    """A log-bucketed histogram of non-negative values (ms): sparse counts, exact n/sum/min/max."""

    __slots__ = ("counts", "n", "total", "lo", "hi")

    def __init__(self) -> None:
        self.counts: dict[int, int] = {}
        self.n = 0
        self.total = 0.0
        self.lo = math.inf
        self.hi = 0.0

    def add(self, value: float, times: int = 1) -> None:
        if not math.isfinite(value) or times <= 0:
            return
        value = max(0.0, value)
        i = bucket_of(value)
        self.counts[i] = self.counts.get(i, 0) + times
        self.n += times
        self.total += value * times
        self.lo = min(self.lo, value)
        self.hi = max(self.hi, value)

    def merge(self, other: Hist) -> Hist:
        for i, c in other.counts.items():
            self.counts[i] = self.counts.get(i, 0) + c
        self.n += other.n
        self.total += other.total
        self.lo = min(self.lo, other.lo)
        self.hi = max(self.hi, other.hi)
        return self

    def percentile(self, q: float) -> float | None:
        """The q-th percentile (0-100, nearest rank) within one bucket's width; None when empty."""
        if not self.n:
            return None
        if q <= 0:
            return self.lo
        if q >= 100:
            return self.hi
        rank = max(1, math.ceil(self.n * q / 100.0))
        seen = 0
        for i in sorted(self.counts):
            seen += self.counts[i]
            if seen >= rank:
                return min(max(bucket_top(i), self.lo), self.hi)
        return self.hi

    @property
    def mean(self) -> float | None:
        return self.total / self.n if self.n else None

    def summary(self) -> dict:
        """n, mean, p50, p90, p99, max (None when empty), for reports."""
        return {"n": self.n, "mean": _r(self.mean), "p50": _r(self.percentile(50)), "p90": _r(self.percentile(90)),
                "p99": _r(self.percentile(99)), "max": _r(self.hi if self.n else None)}

    def to_dict(self) -> dict:
        return {"counts": {str(i): c for i, c in sorted(self.counts.items())}, "n": self.n, "sum": self.total,
                "min": self.lo if self.n else None, "max": self.hi if self.n else None}

    @classmethod
    def from_dict(cls, data: dict) -> Hist:
        h = cls()
        h.counts = {int(i): int(c) for i, c in (data.get("counts") or {}).items()}
        h.n = int(data.get("n") or 0)
        h.total = float(data.get("sum") or 0.0)
        h.lo = math.inf if data.get("min") is None else float(data["min"])
        h.hi = 0.0 if data.get("max") is None else float(data["max"])
        return h

    @classmethod
    def of(cls, values: Iterable[float]) -> Hist:
        h = cls()
        for v in values:
            h.add(v)
        return h

    def __repr__(self) -> str:
        return f"Hist(n={self.n}, p50={self.percentile(50)}, p99={self.percentile(99)})"


def _r(x: float | None, nd: int = 3) -> float | None:
    return None if x is None else round(float(x), nd)


class Tally:
    """One worker's counts for one interval: counters, histograms by name, errors by kind, gauges.

    Counter names used by the clients (all totals over the interval):
    `ws_in_msgs`, `ws_in_bytes`, `ws_out_msgs`, `ws_out_bytes`, `sync_msgs`, `sync_bytes`,
    `rest_requests`, `rest_bytes`, `player_seconds`, `bot_seconds` (connected client-seconds).
    Histograms: `update_interval` (ms between two sync frames of one client from consecutive
    rounds), `rest:<route>`, `ws:<type>` (command → ack), `connect:<what>`, `loop_lag`.
    Gauges (a level at the end of the interval, not a sum): `players_connected`, `bots_active`,
    `players_failed`, `bots_failed`, `players_started`, `bots_started`.
    """

    __slots__ = ("counts", "hists", "errors", "gauges", "cpu_s")

    def __init__(self) -> None:
        self.counts: dict[str, float] = {}
        self.hists: dict[str, Hist] = {}
        self.errors: dict[str, int] = {}
        self.gauges: dict[str, float] = {}
        self.cpu_s = 0.0

    def count(self, name: str, n: float = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + n

    def observe(self, name: str, ms: float) -> None:
        h = self.hists.get(name)
        if h is None:
            h = self.hists[name] = Hist()
        h.add(ms)

    def error(self, kind: str, n: int = 1) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + n

    def take(self) -> Tally:
        """This interval's tally (gauges copied); self starts a new interval (gauges kept)."""
        out = Tally()
        out.counts, out.hists, out.errors, out.cpu_s = self.counts, self.hists, self.errors, self.cpu_s
        out.gauges = dict(self.gauges)
        self.counts, self.hists, self.errors, self.cpu_s = {}, {}, {}, 0.0
        return out

    def merge(self, other: Tally, gauges: bool = True) -> Tally:
        """Add `other` in; gauges add too (merging workers) unless `gauges=False` (merging seconds)."""
        for k, v in other.counts.items():
            self.counts[k] = self.counts.get(k, 0) + v
        for k, h in other.hists.items():
            mine = self.hists.get(k)
            if mine is None:
                mine = self.hists[k] = Hist()
            mine.merge(h)
        for k, v in other.errors.items():
            self.errors[k] = self.errors.get(k, 0) + v
        if gauges:
            for k, v in other.gauges.items():
                self.gauges[k] = self.gauges.get(k, 0) + v
        self.cpu_s += other.cpu_s
        return self

    def to_dict(self) -> dict:
        return {"counts": dict(self.counts), "hists": {k: h.to_dict() for k, h in self.hists.items()},
                "errors": dict(self.errors), "gauges": dict(self.gauges), "cpu_s": self.cpu_s}

    @classmethod
    def from_dict(cls, data: dict) -> Tally:
        t = cls()
        t.counts = dict(data.get("counts") or {})
        t.hists = {k: Hist.from_dict(v) for k, v in (data.get("hists") or {}).items()}
        t.errors = dict(data.get("errors") or {})
        t.gauges = dict(data.get("gauges") or {})
        t.cpu_s = float(data.get("cpu_s") or 0.0)
        return t


def merge_all(tallies: Iterable[Tally], gauges: bool = True) -> Tally:
    out = Tally()
    for t in tallies:
        out.merge(t, gauges=gauges)
    return out


class Timeline:
    """The parent's view: every worker's tally of every second, merged on demand.

    `add(wid, second, tally)` files a worker's interval (second k covers (k-1, k] after the
    start). A second is complete once every worker has reported it; gauges of a second are the
    sum over workers of each one's level at that second.
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.seconds: dict[int, dict[int, Tally]] = {}
        self.errors = 0
        self._last_complete: int | None = None
        self._gauges: dict[int, tuple[int, dict]] = {}

    def add(self, wid: int, second: int, tally: Tally) -> None:
        slot = self.seconds.setdefault(second, {})
        if wid in slot:
            slot[wid].merge(tally, gauges=False)
            slot[wid].gauges = dict(tally.gauges)
        else:
            slot[wid] = tally
        self.errors += sum(tally.errors.values())
        if len(slot) >= self.workers and (self._last_complete is None or second > self._last_complete):
            self._last_complete = second
        if wid not in self._gauges or second >= self._gauges[wid][0]:
            self._gauges[wid] = (second, slot[wid].gauges)

    def second(self, k: int) -> Tally:
        return merge_all(self.seconds.get(k, {}).values())

    def complete(self, k: int) -> bool:
        return len(self.seconds.get(k, {})) >= self.workers

    def last_complete(self) -> int | None:
        return self._last_complete

    def window(self, start: float = -math.inf, end: float = math.inf) -> Tally:
        """Every interval ending within (start, end], gauges left out (they are levels, not sums)."""
        out = Tally()
        for k, per in self.seconds.items():
            if start < k <= end:
                for t in per.values():
                    out.merge(t, gauges=False)
        return out

    def latest_gauges(self) -> dict[str, float]:
        """Each worker's last reported gauges, summed."""
        out: dict[str, float] = {}
        for _, g in self._gauges.values():
            for name, v in g.items():
                out[name] = out.get(name, 0) + v
        return out
