"""Server metrics in the Prometheus text exposition format (version 0.0.4), on the reactor thread.

Instruments are plain objects that the hot path updates with an attribute add (Counter, Gauge)
or a bisect and three adds (Histogram). Figures the engine already keeps (ticks, bytes sent,
inbox drops, ...) are not duplicated: a callback reads them when /metrics is scraped. Everything
runs on the reactor thread, so nothing needs a lock.

    registry = Metrics()
    hits = registry.counter("app_hits_total", "Hits.", labels=("route",))
    hits.labels("/a").inc()
    registry.callback("gauge", "app_queue_length", "Queued items.", lambda: len(queue))
    registry.render()  # bytes, served as text/plain; version=0.0.4
"""

from __future__ import annotations

import math
import os
import re
import sys
import time
from bisect import bisect_left
from itertools import pairwise

from twisted.python import log

CONTENT_TYPE = b"text/plain; version=0.0.4; charset=utf-8"

TIME_BUCKETS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.04, 0.05, 0.1, 0.25, 0.5, 1.0)
"""Upper bounds (seconds) of the tick and sync round histograms."""
SLOW_TIME_BUCKETS = TIME_BUCKETS + (2.5,)
"""Upper bounds (seconds) of the REST latency and store commit histograms."""

BOT_ONLINE_MS = 60_000
"""A player counts as online with a live socket or bot activity this recent (as the admin API)."""

_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
KINDS = ("counter", "gauge", "histogram")


# ---- formatting ------------------------------------------------------------------------
def format_value(value) -> str:
    """A sample value as Prometheus writes it: integers plainly, floats by repr, +Inf/-Inf/NaN."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def escape_label_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def label_pairs(names: tuple, values: tuple) -> str:
    """`a="1",b="2"` (no braces), values escaped."""
    return ",".join(f'{n}="{escape_label_value(str(v))}"' for n, v in zip(names, values))


def _bound(le: float) -> str:
    return "+Inf" if math.isinf(le) else repr(float(le))


# ---- instruments -----------------------------------------------------------------------
class Counter:
    """A number that only goes up: `c.value += n` or `c.inc(n)`."""

    __slots__ = ("value",)
    kind = "counter"

    def __init__(self) -> None:
        self.value = 0

    def inc(self, amount=1) -> None:
        if amount < 0:
            raise ValueError("a counter only goes up")
        self.value += amount


class Gauge:
    """A number that goes up and down."""

    __slots__ = ("value",)
    kind = "gauge"

    def __init__(self) -> None:
        self.value = 0

    def set(self, value) -> None:
        self.value = value

    def inc(self, amount=1) -> None:
        self.value += amount

    def dec(self, amount=1) -> None:
        self.value -= amount


class Histogram:
    """Observations counted into fixed buckets (`le` upper bounds, inclusive), plus sum and count.

    `counts[i]` holds the observations that fell in bucket i alone; the last slot is the +Inf
    overflow. `render` makes them cumulative, as the format wants.
    """

    __slots__ = ("bounds", "count", "counts", "sum")
    kind = "histogram"

    def __init__(self, buckets=TIME_BUCKETS) -> None:
        bounds = tuple(float(b) for b in buckets)
        if not bounds or any(b >= c for b, c in pairwise(bounds)) or math.isinf(bounds[-1]):
            raise ValueError("buckets must be finite and strictly increasing")
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)
        self.sum = 0.0
        self.count = 0

    def observe(self, value: float) -> None:
        self.counts[bisect_left(self.bounds, value)] += 1
        self.sum += value
        self.count += 1


class Family:
    """One labelled metric: a child instrument per combination of label values, made on first use."""

    def __init__(self, kind: str, labelnames: tuple, buckets=None) -> None:
        self.kind = kind
        self.labelnames = labelnames
        self.buckets = buckets
        self.children: dict[tuple, object] = {}

    def labels(self, *values):
        child = self.children.get(values)
        if child is None:
            if len(values) != len(self.labelnames):
                raise ValueError(f"expected {len(self.labelnames)} label values, got {len(values)}")
            values = tuple(str(v) for v in values)
            child = self.children.get(values)
            if child is None:
                child = self.children[values] = _make(self.kind, self.buckets)
        return child


def _make(kind: str, buckets=None):
    if kind == "counter":
        return Counter()
    if kind == "gauge":
        return Gauge()
    return Histogram(buckets if buckets is not None else TIME_BUCKETS)


class _Entry:
    __slots__ = ("header", "is_callback", "kind", "labelnames", "name", "prefixes", "source")

    def __init__(self, name, kind, help_text, labelnames, source, is_callback) -> None:
        self.name = name
        self.kind = kind
        self.header = f"# HELP {name} {escape_help(help_text)}\n# TYPE {name} {kind}\n"
        self.labelnames = labelnames
        self.source = source
        self.is_callback = is_callback
        self.prefixes: dict[tuple, object] = {}
        """Per label values: the text of each sample line before its value (built once)."""

    def prefix(self, values: tuple) -> str:
        got = self.prefixes.get(values)
        if got is None:
            pairs = label_pairs(self.labelnames, values)
            got = self.prefixes[values] = f"{self.name}{{{pairs}}} " if pairs else f"{self.name} "
        return got

    def histogram_prefixes(self, values: tuple, bounds: tuple) -> tuple[list[str], str, str]:
        got = self.prefixes.get(values)
        if got is None:
            pairs = label_pairs(self.labelnames, values)
            head = pairs + "," if pairs else ""
            labels = f"{{{pairs}}}" if pairs else ""
            buckets = [f'{self.name}_bucket{{{head}le="{_bound(le)}"}} ' for le in bounds + (math.inf,)]
            got = self.prefixes[values] = (buckets, f"{self.name}_sum{labels} ", f"{self.name}_count{labels} ")
        return got


# ---- the registry ----------------------------------------------------------------------
class Metrics:
    """Named metrics, rendered in registration order."""

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}

    def _add(self, name: str, kind: str, help_text: str, labels, source, is_callback: bool = False):
        labelnames = tuple(labels)
        if not _NAME.match(name):
            raise ValueError(f"invalid metric name {name!r}")
        if kind not in KINDS:
            raise ValueError(f"unknown metric type {kind!r}")
        for label in labelnames:
            if not _LABEL.match(label) or label.startswith("__") or (kind == "histogram" and label == "le"):
                raise ValueError(f"invalid label name {label!r}")
        if len(set(labelnames)) != len(labelnames):
            raise ValueError("duplicate label name")
        if name in self._entries:
            raise ValueError(f"metric {name} is already registered")
        self._entries[name] = _Entry(name, kind, help_text, labelnames, source, is_callback)
        return source

    def counter(self, name: str, help_text: str, labels=()):
        """A new Counter (a Family of them with `labels`)."""
        return self._add(name, "counter", help_text, labels, Family("counter", tuple(labels)) if labels else Counter())

    def gauge(self, name: str, help_text: str, labels=()):
        return self._add(name, "gauge", help_text, labels, Family("gauge", tuple(labels)) if labels else Gauge())

    def histogram(self, name: str, help_text: str, buckets=TIME_BUCKETS, labels=()):
        source = Histogram(buckets)  # checks the buckets now, also for a family
        if labels:
            source = Family("histogram", tuple(labels), source.bounds)
        return self._add(name, "histogram", help_text, labels, source)

    def register(self, name: str, help_text: str, instrument):
        """Expose an instrument someone else owns (e.g. the Game's tick histogram)."""
        return self._add(name, instrument.kind, help_text, (), instrument)

    def callback(self, kind: str, name: str, help_text: str, fn, labels=()) -> None:
        """A counter or gauge computed at scrape time.

        `fn()` returns a number (no labels) or an iterable of (label values tuple, number).
        """
        if kind == "histogram":
            raise ValueError("histogram callbacks are not supported; register a Histogram")
        self._add(name, kind, help_text, labels, fn, is_callback=True)

    def names(self) -> list[str]:
        return list(self._entries)

    def get(self, name: str):
        return self._entries[name].source

    # ---- exposition ----------------------------------------------------------------
    def render(self) -> bytes:
        out: list[str] = []
        for entry in self._entries.values():
            try:
                lines = self._samples(entry)
            except Exception:  # noqa: BLE001 - one broken collector must not hide every other metric
                log.err(None, f"metrics: collecting {entry.name} failed")
                continue
            out.append(entry.header)
            out.extend(lines)
        return "".join(out).encode("utf-8")

    def _samples(self, entry: _Entry) -> list[str]:
        source = entry.source
        if entry.is_callback:
            got = source()
            if not entry.labelnames:
                return [f"{entry.prefix(())}{format_value(got)}\n"]
            return [f"{entry.prefix(tuple(str(v) for v in values))}{format_value(v)}\n" for values, v in got]
        children = source.children.items() if isinstance(source, Family) else [((), source)]
        lines: list[str] = []
        if entry.kind != "histogram":
            for values, child in children:
                lines.append(f"{entry.prefix(values)}{format_value(child.value)}\n")
            return lines
        for values, child in children:
            buckets, total, count = entry.histogram_prefixes(values, child.bounds)
            running = 0
            for prefix, n in zip(buckets, child.counts):
                running += n
                lines.append(f"{prefix}{running}\n")
            lines.append(f"{total}{format_value(child.sum)}\n")
            lines.append(f"{count}{child.count}\n")
        return lines


# ---- reading it back -------------------------------------------------------------------
def parse(text: str) -> dict[str, dict[tuple, float]]:
    """Samples of an exposition: {sample name: {((label, value), ... sorted by label): value}}.

    The reading side of `render` (for tests and for tools that scrape a server); comment lines
    and timestamps are ignored.
    """
    samples: dict[str, dict[tuple, float]] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        labels: list[tuple[str, str]] = []
        brace = line.find("{")
        space = line.find(" ")
        if brace != -1 and (space == -1 or brace < space):
            name, i = line[:brace], brace + 1
            while line[i] != "}":
                eq = line.index("=", i)
                label, i, chars = line[i:eq].strip(), eq + 2, []
                while line[i] != '"':
                    if line[i] == "\\":
                        i += 1
                        chars.append({"n": "\n", "\\": "\\", '"': '"'}.get(line[i], "\\" + line[i]))
                    else:
                        chars.append(line[i])
                    i += 1
                labels.append((label, "".join(chars)))
                i += 1
                if line[i] == ",":
                    i += 1
            rest = line[i + 1:]
        else:
            name, rest = line[:space], line[space:]
        samples.setdefault(name, {})[tuple(sorted(labels))] = float(rest.split()[0])
    return samples


# ---- the process -----------------------------------------------------------------------
class ProcessStats:
    """CPU time, resident memory and start time of this process, read when asked.

    From /proc/self/stat and /proc/self/statm where there is a /proc; elsewhere from
    resource.getrusage (whose memory figure is the peak resident size, not the current one).
    """

    def __init__(self, proc_dir: str = "/proc") -> None:
        self.proc_dir = proc_dir
        self._started_at: float | None = None
        self._fallback_start = time.time()
        try:
            self.clock_ticks = os.sysconf("SC_CLK_TCK")
            self.page_size = os.sysconf("SC_PAGE_SIZE")
        except (AttributeError, ValueError, OSError):
            self.clock_ticks, self.page_size = 100, 4096

    def _stat_fields(self) -> list[str]:
        """The fields of /proc/self/stat after the command name, which may hold spaces and parens."""
        with open(os.path.join(self.proc_dir, "self", "stat"), "rb") as f:
            raw = f.read().decode("ascii", "replace")
        return raw[raw.rindex(")") + 2:].split()

    def cpu_seconds(self) -> float:
        try:
            fields = self._stat_fields()
            return (int(fields[11]) + int(fields[12])) / self.clock_ticks  # utime, stime (fields 14, 15)
        except (OSError, ValueError, IndexError):
            usage = _rusage()
            return usage.ru_utime + usage.ru_stime if usage else 0.0

    def resident_bytes(self) -> int:
        try:
            with open(os.path.join(self.proc_dir, "self", "statm"), "rb") as f:
                return int(f.read().split()[1]) * self.page_size
        except (OSError, ValueError, IndexError):
            usage = _rusage()
            if usage is None:
                return 0
            return usage.ru_maxrss if sys.platform == "darwin" else usage.ru_maxrss * 1024

    def start_time(self) -> float:
        if self._started_at is None:
            try:
                ticks = int(self._stat_fields()[19])  # starttime (field 22), clock ticks since boot
                with open(os.path.join(self.proc_dir, "stat"), "rb") as f:
                    boot = next(int(line.split()[1]) for line in f if line.startswith(b"btime "))
                self._started_at = boot + ticks / self.clock_ticks
            except (OSError, ValueError, IndexError, StopIteration):
                self._started_at = self._fallback_start
        return self._started_at


def _rusage():
    try:
        import resource
    except ImportError:  # not on this platform
        return None
    return resource.getrusage(resource.RUSAGE_SELF)


def register_process_metrics(registry: Metrics, stats: ProcessStats | None = None) -> ProcessStats:
    stats = stats or ProcessStats()
    registry.callback("counter", "process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
                      stats.cpu_seconds)
    registry.callback("gauge", "process_resident_memory_bytes", "Resident memory size in bytes.",
                      stats.resident_bytes)
    registry.callback("gauge", "process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
                      stats.start_time)
    return stats


# ---- the engine's figures --------------------------------------------------------------
def players_online(game, sessions) -> list[tuple[tuple[str, str], int]]:
    """((instance key, map id), players with a live socket or a bot seen in the last minute) per instance."""
    world = game.world
    since = game.now_ms() - BOT_ONLINE_MS
    sockets = sessions.by_player
    out = []
    for key in sorted(world.instances):
        inst = world.instances[key]
        n = 0
        for p in inst.players.values():
            if p.id in sockets or (p.bot_seen_at is not None and p.bot_seen_at >= since):
                n += 1
        out.append(((key, inst.map.id), n))
    return out


def register_engine_metrics(registry: Metrics, game, sync, sessions) -> None:
    """The game, sync and store figures. Reads `game.world` at each scrape (a test reset replaces it)."""
    cb = registry.callback
    cb("gauge", "clawtown_players_online", "Players with a live socket or bot activity in the last 60 s, per map "
       "instance.", lambda: players_online(game, sessions), labels=("instance", "map"))
    cb("gauge", "clawtown_players_in_world", "Characters in the simulated world (online, in H-Mode or not yet parked).",
       lambda: len(game.world.players))
    cb("gauge", "clawtown_connections", "Open WebSocket connections.", lambda: len(sessions))
    registry.register("clawtown_tick_duration_seconds", "Time one simulation tick took.", game.tick_seconds)
    cb("counter", "clawtown_ticks_total", "Simulation ticks run.", lambda: game.ticks)
    cb("counter", "clawtown_ticks_skipped_total", "Ticks skipped because the reactor fell behind.",
       lambda: game.skipped_ticks)
    registry.register("clawtown_sync_round_duration_seconds",
                      "Reactor time of one sync round: building frames and the store batch, then sending.",
                      sync.round_seconds)
    cb("counter", "clawtown_sync_bytes_total", "Bytes of WebSocket frames sent by the sync service.",
       lambda: sync.bytes_sent)
    cb("counter", "clawtown_sync_messages_total", "WebSocket frames sent by the sync service.",
       lambda: sync.messages_sent)
    cb("counter", "clawtown_inbox_dropped_total", "Commands refused because their inbox queue was full.",
       lambda: game.inbox.dropped)
    cb("gauge", "clawtown_inbox_length", "Commands waiting for the next tick.", lambda: len(game.inbox))
    registry.register("clawtown_store_commit_duration_seconds", "Time one store commit took (successful commits).",
                      sync.commit_seconds)
    cb("counter", "clawtown_store_commit_failures_total", "Store commits that failed (retried with the next round).",
       lambda: sync.commit_failures)
    cb("gauge", "clawtown_store_lag_seconds", "Age of the oldest change not yet committed (0 when all is on disk).",
       lambda: sync.store_lag_ms() / 1000.0)
