"""The server's own figures, read from its /metrics (Prometheus text format 0.0.4).

`parse` reads the text into samples, `extract` keeps what the load test reports from one
scrape, and `window` turns two scrapes into figures for the time between them: server CPU in %
of one core, tick duration p50/p99 estimated from the histogram buckets (as Prometheus'
histogram_quantile does), skipped ticks, memory and connections. Pure functions.
"""

from __future__ import annotations

import math

TICK_HIST = "clawtown_tick_duration_seconds"
TICKS_SKIPPED = "clawtown_ticks_skipped_total"
CPU = "process_cpu_seconds_total"
RSS = "process_resident_memory_bytes"
CONNECTIONS = "clawtown_connections"


class MetricsFormatError(ValueError):
    """The text is not in the Prometheus exposition format."""


def parse(text: str) -> list[tuple[str, dict[str, str], float]]:
    """Samples of an exposition text: (name, labels, value). Comments and blank lines skipped."""
    out = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            out.append(_sample(line))
        except (ValueError, IndexError):
            raise MetricsFormatError(f"line {lineno}: {line[:80]!r}") from None
    return out


def _sample(line: str) -> tuple[str, dict[str, str], float]:
    brace = line.find("{")
    space = line.find(" ")
    labels: dict[str, str] = {}
    if brace != -1 and (space == -1 or brace < space):
        name = line[:brace]
        i = brace + 1
        while True:
            while line[i] in " ,":
                i += 1
            if line[i] == "}":
                i += 1
                break
            eq = line.index("=", i)
            key = line[i:eq].strip()
            if line[eq + 1] != '"':
                raise ValueError("label value not quoted")
            j, chars = eq + 2, []
            while line[j] != '"':
                if line[j] == "\\":
                    j += 1
                    chars.append({"n": "\n", "\\": "\\", '"': '"'}.get(line[j], line[j]))
                else:
                    chars.append(line[j])
                j += 1
            labels[key] = "".join(chars)
            i = j + 1
        rest = line[i:].split()
    else:
        name, *rest = line.split()
    if not name or not rest:
        raise ValueError("no value")
    return name, labels, _number(rest[0])


def _number(text: str) -> float:
    low = text.lower()
    if low in ("+inf", "inf"):
        return math.inf
    if low == "-inf":
        return -math.inf
    return float(text)


def extract(samples) -> dict:
    """What the report needs from one scrape (None where the server does not export it)."""
    cpu = rss = skipped = conns = tick_count = tick_sum = None
    buckets: dict[float, float] = {}
    counters: dict[str, float] = {}
    conn_by_label: dict[str, float] = {}
    for name, labels, value in samples:
        if name == CPU:
            cpu = (cpu or 0.0) + value
        elif name == RSS:
            rss = (rss or 0.0) + value
        elif name == TICKS_SKIPPED:
            skipped = (skipped or 0.0) + value
        elif name == CONNECTIONS:
            conns = (conns or 0.0) + value
            if labels:
                key = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
                conn_by_label[key] = conn_by_label.get(key, 0.0) + value
        elif name == TICK_HIST + "_bucket" and "le" in labels:
            le = _number(labels["le"])
            buckets[le] = buckets.get(le, 0.0) + value
        elif name == TICK_HIST + "_count":
            tick_count = (tick_count or 0.0) + value
        elif name == TICK_HIST + "_sum":
            tick_sum = (tick_sum or 0.0) + value
        if name.endswith("_total"):
            key = name + ("{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}" if labels else "")
            counters[key] = counters.get(key, 0.0) + value
    return {"cpu_s": cpu, "rss_bytes": rss, "ticks_skipped": skipped, "connections": conns,
            "connections_by": conn_by_label, "tick_buckets": sorted(buckets.items()), "tick_count": tick_count,
            "tick_sum": tick_sum, "counters": counters}


def histogram_quantile(q: float, buckets: list[tuple[float, float]]) -> float | None:
    """The q-quantile (0-1) of a cumulative histogram [(le, count), …], interpolated linearly
    inside its bucket; a rank in the +Inf bucket gives the highest finite bound. None: no data."""
    buckets = sorted(buckets)
    if not buckets or buckets[-1][1] <= 0:
        return None
    total = buckets[-1][1]
    rank = q * total
    prev_le, prev_count = 0.0, 0.0
    for le, count in buckets:
        if count >= rank and count > prev_count:
            if math.isinf(le):
                return prev_le
            return prev_le + (le - prev_le) * (rank - prev_count) / (count - prev_count)
        prev_le, prev_count = (le if not math.isinf(le) else prev_le), count
    return prev_le


def _delta_buckets(before: list, after: list) -> list[tuple[float, float]]:
    b = dict(before)
    return [(le, max(0.0, count - b.get(le, 0.0))) for le, count in after]


def window(before: dict | None, after: dict | None, seconds: float) -> dict:
    """The server's figures between two `extract`ed scrapes `seconds` apart."""
    out: dict = {"seconds": round(seconds, 3)}
    if not before or not after or seconds <= 0:
        return out
    if before["cpu_s"] is not None and after["cpu_s"] is not None:
        out["cpu_pct"] = round((after["cpu_s"] - before["cpu_s"]) / seconds * 100.0, 2)
    if after["rss_bytes"] is not None:
        out["rss_mb_before"] = round(before["rss_bytes"] / 2**20, 2) if before["rss_bytes"] is not None else None
        out["rss_mb_after"] = round(after["rss_bytes"] / 2**20, 2)
    if after["ticks_skipped"] is not None:
        out["ticks_skipped"] = after["ticks_skipped"] - (before["ticks_skipped"] or 0.0)
    if after["connections"] is not None:
        out["connections_before"] = before["connections"]
        out["connections_after"] = after["connections"]
        if after.get("connections_by"):
            out["connections_by"] = after["connections_by"]
    if after["tick_buckets"]:
        delta = _delta_buckets(before["tick_buckets"], after["tick_buckets"])
        p50, p99 = histogram_quantile(0.50, delta), histogram_quantile(0.99, delta)
        out["tick_ms_p50"] = None if p50 is None else round(p50 * 1000.0, 3)
        out["tick_ms_p99"] = None if p99 is None else round(p99 * 1000.0, 3)
        if after["tick_count"] is not None:
            n = after["tick_count"] - (before["tick_count"] or 0.0)
            out["ticks"] = n
            out["ticks_per_s"] = round(n / seconds, 2)
            if after["tick_sum"] is not None and n > 0:
                out["tick_ms_mean"] = round((after["tick_sum"] - (before["tick_sum"] or 0.0)) / n * 1000.0, 3)
    rates = {}
    for key, value in after["counters"].items():
        if key in before["counters"]:
            rates[key] = round((value - before["counters"][key]) / seconds, 3)
    out["counters_per_s"] = rates
    return out
