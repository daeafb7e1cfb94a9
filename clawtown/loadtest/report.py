"""The load test's results: one report dict, shown as Rich tables, written as JSON and as a PNG.

Windows: the *steady* window is the `--duration` after the `--ramp` (every client started);
per-client rates, update intervals, WebSocket ack latency, the REST routes of the bots' loop and
the server's own figures are taken over it. Setup calls (players, join codes, link, spawn, mode)
and WebSocket connects happen during the ramp and are taken over the whole run. The per-second
time series covers the whole run.
"""

from __future__ import annotations

import json
import math
import os
from datetime import datetime, timezone

from .. import __version__
from . import promtext
from .runner import Run
from .stats import Hist, Tally

SETUP_ROUTES = ("players", "join-codes", "link", "spawn", "mode")
LOOP_ROUTES = ("world", "goal", "cast", "thought", "events")
BUSY_CPU_PCT = 80.0
BUSY_LAG_MS = 50.0
REPORT_KEYS = ("tool", "version", "url", "options", "started_at", "windows", "clients", "per_player", "per_bot",
               "update_interval_ms", "latency_ms", "rest", "errors", "generator", "server", "series")


def _r(x, nd: int = 2):
    return None if x is None else round(float(x), nd)


def steady_bounds(ramp: float, duration: float, last: int, stopped_at: float | None = None) -> tuple[int, int]:
    """(a, b): the seconds k with a < k <= b make the steady window (k covers (k-1, k]);
    an interrupted run's window ends with the last whole second before the interruption."""
    a, b = math.ceil(ramp - 1e-9), math.floor(ramp + duration + 1e-9)
    if stopped_at is not None:
        b = min(b, math.floor(stopped_at))
    if b <= a:  # shorter than one whole second after the ramp: use the whole run
        return 0, max(last, 1)
    return a, b


def build(run: Run) -> dict:
    opts, tl = run.opts, run.timeline
    last = max(tl.seconds) if tl and tl.seconds else 0
    a, b = steady_bounds(opts.ramp, opts.duration, last, run.stopped_at)
    steady_s = max(1, b - a)
    whole_end = math.floor(opts.ramp + opts.duration + 1e-9)
    if run.stopped_at is not None:
        whole_end = max(1, min(whole_end, math.ceil(run.stopped_at)))
    steady = tl.window(a, b)
    whole = tl.window()
    series = _series(run, last)
    peak = {k: max((row[k] for row in series), default=0) for k in ("players", "bots")}
    peak_total = max((row["players"] + row["bots"] for row in series), default=0)
    final_gauges = tl.latest_gauges()
    players_started = int(final_gauges.get("players_started", 0))
    bots_started = int(final_gauges.get("bots_started", 0))
    players_failed = int(final_gauges.get("players_failed", 0))
    bots_failed = int(final_gauges.get("bots_failed", 0))
    c = steady.counts
    ps, bs = c.get("player_seconds", 0.0), c.get("bot_seconds", 0.0)
    per_player = None
    if opts.players:
        sync_n = c.get("sync_msgs", 0)
        per_player = {
            "msgs_in_per_s": _r(c.get("ws_in_msgs", 0) / ps) if ps else None,
            "bytes_in_per_s": _r(c.get("ws_in_bytes", 0) / ps, 1) if ps else None,
            "sync_per_s": _r(sync_n / ps) if ps else None,
            "bytes_per_update": _r(c.get("sync_bytes", 0) / sync_n, 1) if sync_n else None,
            "msgs_out_per_s": _r(c.get("ws_out_msgs", 0) / ps) if ps else None,
            "bytes_out_per_s": _r(c.get("ws_out_bytes", 0) / ps, 1) if ps else None,
            "client_seconds": _r(ps, 1),
        }
    per_bot = None
    if opts.bots:
        loop_n = sum(steady.hists[f"rest:{r}"].n for r in LOOP_ROUTES if f"rest:{r}" in steady.hists)
        per_bot = {"requests_per_s": _r(loop_n / bs) if bs else None,
                   "bytes_in_per_s": _r(c.get("rest_bytes", 0) / bs, 1) if bs else None,
                   "client_seconds": _r(bs, 1)}
    rest = {}
    for name in sorted({k[5:] for k in whole.hists if k.startswith("rest:")}):
        setup = name in SETUP_ROUTES
        src = whole if setup else steady
        h = src.hists.get(f"rest:{name}") or Hist()
        secs = max(1, (whole_end if setup else steady_s))
        rest[name] = {**h.summary(), "per_s": _r(h.n / secs), "window": "run" if setup else "steady"}
    latency = {}
    for key in sorted(whole.hists):
        if key.startswith("ws:"):
            latency[key] = (steady.hists.get(key) or Hist()).summary()
        elif key.startswith("connect:"):
            latency[key] = whole.hists[key].summary()
    errors = dict(sorted(whole.errors.items(), key=lambda kv: (-kv[1], kv[0])))
    instances = {}
    for row in series:
        for k, v in row["instances"].items():
            instances[k] = max(instances.get(k, 0), v)
    return {
        "tool": "clawtown loadtest",
        "version": __version__,
        "url": opts.http_base,
        "options": {"players": opts.players, "bots": opts.bots, "duration_s": opts.duration, "ramp_s": opts.ramp,
                    "scenario": opts.scenario, "procs": opts.procs, "bot_join": opts.bot_join, "seed": opts.seed},
        "started_at": datetime.fromtimestamp(run.started_at, tz=timezone.utc).isoformat().replace("+00:00", "Z"),
        "interrupted": run.interrupted,
        "stopped_at_s": _r(run.stopped_at, 1),
        "windows": {"steady_s": [a, b], "steady_seconds": steady_s, "run_seconds": _r(run.wall_s, 1)},
        "clients": {
            "target": opts.clients,
            "connected": (players_started - players_failed) + (bots_started - bots_failed),
            "failed": players_failed + bots_failed,
            "peak_connected": peak_total,
            "players": {"target": opts.players, "started": players_started, "connected": players_started - players_failed,
                        "failed": players_failed, "peak": peak["players"]},
            "bots": {"target": opts.bots, "started": bots_started, "connected": bots_started - bots_failed,
                     "failed": bots_failed, "peak": peak["bots"]},
            "source_addresses": run.sources,
            "setup_waits": int(whole.counts.get("setup_waits", 0)),
            "per_map_channel_peak": dict(sorted(instances.items())),
        },
        "per_player": per_player,
        "per_bot": per_bot,
        "update_interval_ms": steady.hists["update_interval"].summary() if "update_interval" in steady.hists else None,
        "latency_ms": latency,
        "rest": rest,
        "errors": errors,
        "generator": _generator(run, steady_s, a, b),
        "server": _server(run),
        "series": series,
    }


def _series(run: Run, last: int) -> list[dict]:
    tl = run.timeline
    server_cpu = {}
    scrapes = run.scrapes
    for (t1, f1), (t2, f2) in zip(scrapes, scrapes[1:]):
        if f1["cpu_s"] is not None and f2["cpu_s"] is not None and t2 > t1:
            server_cpu[max(0, math.ceil(t2))] = _r((f2["cpu_s"] - f1["cpu_s"]) / (t2 - t1) * 100.0, 1)
    rows = []
    for k in range(1, last + 1):
        per = tl.seconds.get(k, {})
        t = Tally()
        for w in per.values():
            t.merge(w)
        rest = Hist()
        for name, h in t.hists.items():
            if name.startswith("rest:"):
                rest.merge(h)
        upd = t.hists.get("update_interval")
        g = t.gauges
        rows.append({
            "t": k,
            "players": int(g.get("players_connected", 0)),
            "bots": int(g.get("bots_active", 0)),
            "msgs_in_per_s": int(t.counts.get("ws_in_msgs", 0)),
            "bytes_in_per_s": int(t.counts.get("ws_in_bytes", 0)),
            "msgs_out_per_s": int(t.counts.get("ws_out_msgs", 0)),
            "rest_per_s": rest.n,
            "rest_p50_ms": _r(rest.percentile(50)),
            "rest_p99_ms": _r(rest.percentile(99)),
            "update_p99_ms": _r(upd.percentile(99)) if upd else None,
            "errors": sum(t.errors.values()),
            "generator_cpu_pct": [_r(per[w].cpu_s * 100.0, 1) for w in sorted(per)],
            "server_cpu_pct": server_cpu.get(k),
            "instances": {key[3:]: int(v) for key, v in g.items() if key.startswith("in:")},
        })
    return rows


def _generator(run: Run, steady_s: int, a: int, b: int) -> dict:
    tl = run.timeline
    workers = []
    for wid in range(tl.workers):
        cpu = [tl.seconds[k][wid].cpu_s for k in sorted(tl.seconds) if wid in tl.seconds[k]]
        steady_cpu = [tl.seconds[k][wid].cpu_s for k in sorted(tl.seconds) if a < k <= b and wid in tl.seconds[k]]
        lag = Hist()
        for k in tl.seconds:
            if a < k <= b and wid in tl.seconds[k]:
                h = tl.seconds[k][wid].hists.get("loop_lag")
                if h:
                    lag.merge(h)
        info = run.workers.get(wid, {})
        workers.append({
            "worker": wid, "pid": run.pids.get(wid), "clients": info.get("clients"),
            "cpu_pct": _r(sum(steady_cpu) / len(steady_cpu) * 100.0, 1) if steady_cpu else None,
            "cpu_pct_peak": _r(max(cpu) * 100.0, 1) if cpu else None,
            "cpu_s_total": _r(sum(cpu), 2),
            "loop_lag_ms": lag.summary(),
            "cancelled_at_end": info.get("cancelled", 0),
            **({"error": info["error"]} if info.get("error") else {}),
        })
    hot = [w for w in workers if (w["cpu_pct"] or 0) >= BUSY_CPU_PCT]
    late = [w for w in workers if (w["loop_lag_ms"]["p99"] or 0) > BUSY_LAG_MS]
    if hot:
        verdict = ("busy: a worker used ≥ 80 % of a core; use more --procs (or another machine) before "
                   "trusting the latencies")
    elif late:
        verdict = ("starved: a worker's loop ran > 50 ms late (p99) while using little CPU, so this machine "
                   "is oversubscribed; latencies include that scheduling delay")
    else:
        verdict = "ok: not the bottleneck"
    return {"workers": workers, "parent_cpu_s": _r(run.parent_cpu_s, 2), "cpus": os.cpu_count(), "verdict": verdict}


def _server(run: Run) -> dict:
    opts = run.opts
    if not run.scrapes:
        return {"metrics": run.metrics_missing or "/metrics not read"}
    end = opts.ramp + opts.duration if run.stopped_at is None else min(opts.ramp + opts.duration, run.stopped_at)
    first = run.scrapes[0]
    # the steady window: the first scrape after every client had time to connect, the last one
    # before they start closing (scrapes are half-way between whole seconds)
    after_ramp = [s for s in run.scrapes if s[0] >= opts.ramp + 0.25]
    start = after_ramp[0] if after_ramp else first
    before_end = [s for s in run.scrapes if start[0] < s[0] <= end - 0.1]
    stop = before_end[-1] if before_end else min(run.scrapes, key=lambda s: abs(s[0] - end))
    if stop[0] <= start[0]:
        start = first
    out = {"metrics": "ok", "scrapes": len(run.scrapes), "steady": promtext.window(start[1], stop[1], stop[0] - start[0])}
    before, after = first[1], stop[1]
    if before["rss_bytes"] is not None and after["rss_bytes"] is not None:
        out["rss_mb_before_load"] = _r(before["rss_bytes"] / 2**20, 1)
        out["rss_mb_at_end"] = _r(after["rss_bytes"] / 2**20, 1)
    if before["connections"] is not None:
        out["connections_before_load"] = before["connections"]
    return out


# ---- output -------------------------------------------------------------------------------------
def _finite(value):
    """The report with every NaN or infinity (a server may export them) as null: strict JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def write_json(report: dict, path: str) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(_finite(report), f, indent=1, sort_keys=False, allow_nan=False, default=str)
        f.write("\n")
    os.replace(tmp, path)


def _ms(x) -> str:
    if x is None:
        return "–"
    return f"{x:.1f}" if x < 100 else f"{x:.0f}"


def _size(n) -> str:
    if n is None:
        return "–"
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:.2f} MB"
    if n >= 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n:.0f} B"


def tables(report: dict) -> list:
    """The Rich tables of a report (built lazily: Rich is imported here only)."""
    from rich.markup import escape
    from rich.table import Table

    o, cl = report["options"], report["clients"]
    title = (f"Clawtown load test of {report['url']}: {o['players']} players ({o['scenario']}) + {o['bots']} bots, "
             f"ramp {o['ramp_s']:g} s, steady {o['duration_s']:g} s, {o['procs']} worker process(es)")
    if report.get("interrupted"):
        title += f" (interrupted after {report.get('stopped_at_s') or 0:g} s)"
    main = Table(title=escape(title), title_justify="left", show_header=False)
    main.add_column("what", style="bold")
    main.add_column("value")
    main.add_row("clients connected / failed",
                 f"{cl['connected']} / {cl['failed']} of {cl['target']} (players {cl['players']['connected']}/"
                 f"{cl['players']['target']}, bots {cl['bots']['connected']}/{cl['bots']['target']}; "
                 f"peak at once {cl['peak_connected']})")
    if cl["per_map_channel_peak"]:
        main.add_row("players per map channel",
                     escape(", ".join(f"{k} {v}" for k, v in cl["per_map_channel_peak"].items())))
    setup = f"{cl['source_addresses']} loopback source addresses" if cl["source_addresses"] else "one source address"
    if cl["setup_waits"]:
        setup += f"; waited {cl['setup_waits']} times on the server's rate limits (setup paced)"
    main.add_row("setup", setup)
    pp = report["per_player"]
    if pp:
        main.add_row("per player: received", f"{pp['msgs_in_per_s'] or 0:.2f} msg/s, {_size(pp['bytes_in_per_s'])}/s "
                     f"({pp['sync_per_s'] or 0:.2f} sync/s, {_size(pp['bytes_per_update'])} per update)")
        main.add_row("per player: sent", f"{pp['msgs_out_per_s'] or 0:.2f} msg/s, {_size(pp['bytes_out_per_s'])}/s")
    ui = report["update_interval_ms"]
    if ui:
        main.add_row("update interval p50 / p99 / max", f"{_ms(ui['p50'])} / {_ms(ui['p99'])} / {_ms(ui['max'])} ms")
    for key, s in report["latency_ms"].items():
        label = {"connect:ws hello": "WebSocket connect → hello"}.get(key, f"{key} → ack" if key.startswith("ws:") else key)
        main.add_row(f"{label} p50 / p99", f"{_ms(s['p50'])} / {_ms(s['p99'])} ms ({s['n']:,})")
    pb = report["per_bot"]
    if pb:
        main.add_row("per bot", f"{pb['requests_per_s'] or 0:.2f} req/s, {_size(pb['bytes_in_per_s'])}/s received")
    out = [main]

    if report["rest"]:
        rt = Table(title="REST latency per route (ms)", title_justify="left")
        for col, just in (("route", "left"), ("window", "left"), ("requests", "right"), ("per s", "right"),
                          ("p50", "right"), ("p99", "right"), ("max", "right")):
            rt.add_column(col, justify=just)
        for name, s in report["rest"].items():
            rt.add_row(name, s["window"], f"{s['n']:,}", f"{s['per_s']:.1f}", _ms(s["p50"]), _ms(s["p99"]), _ms(s["max"]))
        out.append(rt)

    et = Table(title="Errors by kind", title_justify="left")
    et.add_column("kind")
    et.add_column("count", justify="right")
    for kind, n in list(report["errors"].items())[:20]:
        et.add_row(escape(kind), f"{n:,}")
    if not report["errors"]:
        et.add_row("none", "0")
    out.append(et)

    g = report["generator"]
    gt = Table(title=f"Load generator ({g['cpus']} CPUs here): {g['verdict']}", title_justify="left")
    for col in ("worker", "clients", "CPU % (steady)", "CPU % peak", "loop lag p99 ms"):
        gt.add_column(col, justify="right")
    for w in g["workers"]:
        gt.add_row(str(w["worker"]), str(w["clients"] if w["clients"] is not None else "?"),
                   _ms(w["cpu_pct"]), _ms(w["cpu_pct_peak"]), _ms(w["loop_lag_ms"]["p99"]))
    out.append(gt)

    sv = report["server"]
    st = Table(title="Server (from its /metrics, steady window)", title_justify="left", show_header=False)
    st.add_column("what", style="bold")
    st.add_column("value")
    if sv.get("metrics") != "ok":
        st.add_row("metrics", escape(f"not available: {sv.get('metrics')}"))
    else:
        w = sv["steady"]
        st.add_row("tick p50 / p99", f"{_ms(w.get('tick_ms_p50'))} / {_ms(w.get('tick_ms_p99'))} ms"
                   + (f" ({w['ticks_per_s']:.1f} ticks/s)" if w.get("ticks_per_s") is not None else "")
                   if "tick_ms_p99" in w else "not exported")
        st.add_row("skipped ticks", f"{w['ticks_skipped']:.0f}" if "ticks_skipped" in w else "not exported")
        st.add_row("CPU", f"{w['cpu_pct']:.1f} % of one core" if "cpu_pct" in w else "not exported")
        if "rss_mb_at_end" in sv:
            n = cl["peak_connected"]
            per = ((sv["rss_mb_at_end"] - sv["rss_mb_before_load"]) * 1024 / n) if n else None
            st.add_row("memory (RSS)", f"{sv['rss_mb_before_load']:.1f} MB before the load, {sv['rss_mb_at_end']:.1f} MB "
                       f"at the end" + (f" ({per:.0f} KB per connected client)" if per is not None else ""))
        else:
            st.add_row("memory (RSS)", "not exported")
        sync_b, sync_n = _rate(w, "clawtown_sync_bytes_total"), _rate(w, "clawtown_sync_messages_total")
        if sync_b is not None and sync_n is not None:
            conns = w.get("connections_after") or 0
            per = f" ({_size(sync_b / conns)}/s per connection)" if conns else ""
            st.add_row("sync sent", f"{sync_n:,.0f} frames/s, {_size(sync_b)}/s{per}")
        limited = _rate(w, "clawtown_rate_limited_total")
        if limited is not None:
            st.add_row("rate-limit refusals", f"{limited:,.1f}/s")
        drops = _rate(w, "clawtown_inbox_dropped_total")
        if drops is not None:
            st.add_row("inbox drops", f"{drops:,.1f}/s")
        if w.get("connections_after") is not None:
            st.add_row("connections", f"{w['connections_before']:.0f} at the start, {w['connections_after']:.0f} "
                       "at the end of the steady window")
    out.append(st)
    return out


def _rate(window: dict, name: str) -> float | None:
    """Per-second rate of a server counter over the window, summed over its labels (None: not exported)."""
    rates = [v for k, v in (window.get("counters_per_s") or {}).items() if k == name or k.startswith(name + "{")]
    return sum(rates) if rates else None


def print_report(report: dict, console) -> None:
    for table in tables(report):
        console.print(table)


def live_view(run: Run, phase: str, t: float, poller=None):
    """The Rich renderable of the live progress: time, connected clients, messages/s, errors."""
    from rich.markup import escape
    from rich.progress_bar import ProgressBar
    from rich.table import Table

    opts, tl = run.opts, run.timeline
    total = opts.ramp + opts.duration
    k = tl.last_complete() or 0
    now = tl.second(k) if k else Tally()
    gauges = tl.latest_gauges()
    rest = Hist()
    for name, h in now.hists.items():
        if name.startswith("rest:"):
            rest.merge(h)
    errors = tl.errors
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    grid.add_row("phase", f"{phase}  {min(max(t, 0.0), total):.0f} / {total:g} s")
    grid.add_row("", ProgressBar(total=total or 1, completed=min(max(t, 0.0), total), width=40))
    grid.add_row("players", f"{gauges.get('players_connected', 0):.0f} connected of {opts.players} "
                 f"({gauges.get('players_failed', 0):.0f} failed)")
    grid.add_row("bots", f"{gauges.get('bots_active', 0):.0f} active of {opts.bots} ({gauges.get('bots_failed', 0):.0f} failed)")
    grid.add_row("WebSocket", f"{now.counts.get('ws_in_msgs', 0):,.0f} msg/s in, {_size(now.counts.get('ws_in_bytes', 0))}/s, "
                 f"{now.counts.get('ws_out_msgs', 0):,.0f} msg/s out")
    grid.add_row("REST", f"{rest.n:,} req/s, p99 {_ms(rest.percentile(99))} ms")
    grid.add_row("errors", f"{errors:,}")
    cpu = [f"{per.cpu_s * 100:.0f}%" for _, per in sorted(tl.seconds.get(k, {}).items())]
    grid.add_row("generator CPU", " ".join(cpu) or "–")
    if poller is not None and len(poller.scrapes) >= 2:
        (t1, f1), (t2, f2) = poller.scrapes[-2], poller.scrapes[-1]
        if f1["cpu_s"] is not None and f2["cpu_s"] is not None and t2 > t1:
            grid.add_row("server CPU", f"{(f2['cpu_s'] - f1['cpu_s']) / (t2 - t1) * 100:.0f}%")
    elif poller is not None and poller.missing:
        grid.add_row("server", escape(poller.missing))
    return grid


# ---- the plot -----------------------------------------------------------------------------------
PLOT_W, PANEL_H = 960, 220
COLORS = {"p50": (37, 99, 235), "p99": (220, 38, 38), "ws in": (22, 163, 74), "ws out": (202, 138, 4),
          "rest": (124, 58, 237), "players": (37, 99, 235), "bots": (234, 88, 12)}


def write_plot(report: dict, path: str) -> None:
    """Line charts over time: REST latency p50/p99, messages per second, clients connected (PNG)."""
    from PIL import Image, ImageDraw, ImageFont

    series = report["series"]
    panels = [
        ("REST latency (ms)", {"p50": [r["rest_p50_ms"] for r in series], "p99": [r["rest_p99_ms"] for r in series]}),
        ("messages per second", {"ws in": [r["msgs_in_per_s"] for r in series],
                                 "ws out": [r["msgs_out_per_s"] for r in series],
                                 "rest": [r["rest_per_s"] for r in series]}),
        ("clients connected", {"players": [r["players"] for r in series], "bots": [r["bots"] for r in series]}),
    ]
    top = 36
    img = Image.new("RGB", (PLOT_W, top + PANEL_H * len(panels)), "white")
    draw = ImageDraw.Draw(img)
    try:
        font = ImageFont.load_default(size=13)
    except TypeError:  # an old Pillow without a scalable default font
        font = ImageFont.load_default()
    o = report["options"]
    draw.text((12, 10), f"clawtown loadtest {report['url']}: {o['players']} players ({o['scenario']}) + "
              f"{o['bots']} bots, ramp {o['ramp_s']:g} s, steady {o['duration_s']:g} s", fill="black", font=font)
    ts = [r["t"] for r in series]
    ramp = o["ramp_s"]
    for i, (title, lines) in enumerate(panels):
        _panel(draw, font, (0, top + i * PANEL_H, PLOT_W, top + (i + 1) * PANEL_H), title, ts, lines, ramp)
    tmp = path + ".tmp"
    img.save(tmp, format="PNG")
    os.replace(tmp, path)


def _nice_max(v: float) -> float:
    if v <= 0:
        return 1.0
    exp = 10 ** math.floor(math.log10(v))
    for m in (1, 2, 2.5, 5, 10):
        if v <= m * exp:
            return m * exp
    return 10 * exp


def _panel(draw, font, box, title, ts, lines, ramp) -> None:
    x0, y0, x1, y1 = box
    left, right, upper, lower = x0 + 64, x1 - 110, y0 + 24, y1 - 28
    draw.text((left, y0 + 4), title, fill="black", font=font)
    values = [v for vs in lines.values() for v in vs if v is not None]
    ymax = _nice_max(max(values) if values else 1.0)
    tmax = max(ts) if ts else 1
    draw.rectangle((left, upper, right, lower), outline=(160, 160, 160))
    for j in range(5):
        y = lower - (lower - upper) * j / 4
        draw.line((left, y, right, y), fill=(230, 230, 230))
        label = f"{ymax * j / 4:g}"
        draw.text((left - 8 - draw.textlength(label, font=font), y - 7), label, fill=(80, 80, 80), font=font)
    step = max(1, _nice_max(tmax / 8))
    t = 0.0
    for _ in range(100):
        if t > tmax:
            break
        x = left + (right - left) * (t / tmax if tmax else 0)
        draw.line((x, lower, x, lower + 4), fill=(120, 120, 120))
        label = f"{t:g} s"
        draw.text((x - draw.textlength(label, font=font) / 2, lower + 6), label, fill=(80, 80, 80), font=font)
        t += step
    if 0 < ramp < tmax:
        x = left + (right - left) * ramp / tmax
        for yy in range(int(upper), int(lower), 8):
            draw.line((x, yy, x, min(yy + 4, lower)), fill=(150, 150, 150))
    for n, (name, vs) in enumerate(lines.items()):
        color = COLORS.get(name, (0, 0, 0))
        pts = [(left + (right - left) * (tt / tmax if tmax else 0), lower - (lower - upper) * min(v, ymax) / ymax)
               for tt, v in zip(ts, vs) if v is not None]
        if len(pts) >= 2:
            draw.line(pts, fill=color, width=2)
        elif pts:
            draw.ellipse((pts[0][0] - 2, pts[0][1] - 2, pts[0][0] + 2, pts[0][1] + 2), fill=color)
        ly = upper + 4 + n * 18
        draw.line((right + 12, ly + 7, right + 32, ly + 7), fill=color, width=3)
        draw.text((right + 38, ly), name, fill="black", font=font)
