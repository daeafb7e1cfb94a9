"""Memory per connected player: the real server's RSS as simulated browser players connect in steps,
beside the memory per player of the simulation alone (no sockets).

- **Model** (in this process, before the server starts): a `World` with a fixed seed; players are
  added in the same steps with `CreatePlayer` (+ `Teleport`, spread over town and meadow like the
  server's players below), then `World.step` runs 1 s of game time. Measured twice: once as this
  process's RSS, once as `tracemalloc`'s traced bytes (everything Python allocated, nothing else).
- **Server**: a real `twistd clawtown` (bench/_server.py: free loopback port, fresh data dir).
  Idle first, until its RSS is stable. Then players join in steps (`--players 1000 --steps 4`:
  0, 100, 250, 500, 1000), each step one `clawtown loadtest` run (clawtown.loadtest.runner.execute
  in a thread; its clients in their own worker processes), and every step stays connected while
  the next ones join. The players are the load test's browser players (POST /api/players, then
  the WebSocket, every frame applied to the reference view model). They all start in the town;
  `--meadow-share` of them (default 0.7) first walk through the portal to the meadow, as the
  `hunt` scenario does with no monster in sight. Then they move as `--moves` says: `wander` (the
  load test's arrow-key walking, 10 `move`s a second in bursts) or `stroll` (calmer: a click
  within 300 px every 3-6 s). After each step the bench samples the server's RSS (and USS, PSS and
  anonymous memory from /proc/<pid>/smaps_rollup) every `--sample-every` s until the last
  `--window` samples lie within `--tolerance-mb` (at least `--min-hold` s, at most `--max-hold`
  s), and reads /metrics
  (`process_resident_memory_bytes`, `clawtown_connections`, `clawtown_players_in_world`,
  `clawtown_players_online` per channel). At the top step it holds `--hold-top` s more and fits
  the RSS trend (a leak shows as growth at a constant player count). Last, every player closes
  and the RSS is read again (the characters stay in the world, offline, until they are parked).
- `--trace-server` starts the server under a launcher that runs tracemalloc in it, and breaks its
  Python memory down by clawtown module and installed package at each step. Tracing makes the
  server slower and its RSS larger, so that run's RSS figures are not comparable.

The load generator shares the machine's cores with the server, so the bench reports the load
test's own verdict on its workers and the errors the clients saw (a `ws: closed 4009` means the
server found a client too slow to read, which also means buffered bytes in the server's RSS).

    .venv/bin/python bench/bench_memory.py [--players 1000] [--steps 4] [--moves wander|stroll]
        [--meadow-share 0.7] [--rate 40] [--procs P] [--seed 7] [--hold-top 60] [--trace-server]
        [--json] [--profile N]

`--profile N` profiles the model part (the server runs in its own process).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import functools
import gc
import math
import os
import random
import statistics
import sys
import threading
import time
import tracemalloc

import _common as k
import orjson
from _server import ServerProcess, code_state, one_call, proc_memory_mb, proc_rss_mb

from clawtown.loadtest import promtext, runner, scenarios
from clawtown.loadtest import report as lt_report
from clawtown.loadtest.options import validate
from clawtown.loadtest.worker import worker_main
from clawtown.sim.world import World

MB = 1024.0 * 1024.0
MODEL_SETTLE_TICKS = 20
"""Ticks (1 s of game time) the model runs after each step before it is measured."""
RUN_FOR_S = 6 * 3600.0
"""Duration given to each step's load-test run; the bench stops them all itself, far earlier."""
STROLL_EVERY_S = (3.0, 6.0)
CONNECT_GRACE_S = 60.0
"""How long past a step's ramp the bench waits for its players to connect."""
TRACE_LAUNCHER = """
import gc, json, os, sys, threading, time, tracemalloc
from twisted.scripts.twistd import run

OUT, ASK = sys.argv[1], sys.argv[2]
del sys.argv[1:3]
tracemalloc.start()

def answer():
    for _ in range(24 * 3600 * 4):
        time.sleep(0.25)
        if os.path.exists(ASK):
            os.remove(ASK)
            gc.collect()
            stats = tracemalloc.take_snapshot().statistics("filename")
            with open(OUT + ".tmp", "w") as f:
                json.dump([(s.traceback[0].filename, s.size) for s in stats], f)
            os.replace(OUT + ".tmp", OUT)
            del stats

threading.Thread(target=answer, daemon=True).start()
run()
"""
"""`--trace-server`: twistd started by a launcher that runs tracemalloc in the server and, when the bench
asks (a file appears), runs gc.collect() and writes the traced bytes per source file. The server's own
code is not touched."""
NODE = {"idle_mb": 55.0, "rows": [(200, 82.0), (400, 112.0)], "in_memory_1000_mb": 165.0}
"""The original Node server's figures: RSS idle, with N sockets moving, and with 1,000 players in memory."""


# ---- which counts --------------------------------------------------------------------------------
def nice(x: float) -> int:
    """x rounded to the nearest (on a log scale) of 1, 2.5, 5 × 10^k."""
    if x < 1:
        return 0
    e = 10 ** math.floor(math.log10(x))
    return int(min((m * e for m in (1, 2.5, 5, 10)), key=lambda v: abs(math.log(v / x))))


def step_counts(players: int, steps: int) -> list[int]:
    """0, then `steps` player counts up to `players`, each about half the next (1000, 4: 0 100 250 500 1000)."""
    counts = {players} | {nice(players / 2 ** i) for i in range(1, max(1, steps))}
    return [0, *sorted(n for n in counts if 0 < n <= players)]


# ---- the model alone --------------------------------------------------------------------------------
def model_memory(counts: list[int], seed: int, meadow_share: float, traced: bool) -> list[dict]:
    """The simulation's memory at each player count: this process's RSS, or tracemalloc's traced bytes."""
    gc.collect()
    if traced:
        tracemalloc.start()
    world = World(seed=seed)
    pids = k.player_ids(counts[-1], seed=f"{seed}:model")
    rng = random.Random(f"{seed}:model")

    def place(_i, r):
        map_id = "meadow" if r.random() < meadow_share else "town"
        return (map_id, *k.random_spot(map_id, r))

    rows, made, now = [], 0, 0
    for n in counts:
        now = model_step(world, k.create_commands(pids[made:n], rng, place), now)
        made = n
        gc.collect()
        row = {"players": n, "in_world": len(world.players), "channels": k.populations(world)}
        if traced:
            row["traced_mb"] = tracemalloc.get_traced_memory()[0] / MB
        else:
            row["rss_mb"] = proc_rss_mb(os.getpid())
        rows.append(row)
    if traced:
        tracemalloc.stop()
    return rows


def model_step(world: World, commands: list, now: int) -> int:
    """Apply `commands`, run MODEL_SETTLE_TICKS ticks, and drop what the engine would take off the world
    (the dirty sets it persists each round); returns the new game time."""
    for i in range(MODEL_SETTLE_TICKS):
        now += k.TICK_MS
        world.step(now, commands if i == 0 else [])
        world.progress_dirty.clear()
        world.position_dirty.clear()
    return now


def per_player(rows: list[dict], key: str) -> None:
    """Add `<key>_kb_per_player` (from zero) and `<key>_kb_per_player_step` (from the previous row) to rows."""
    base = rows[0]
    for prev, row in zip(rows, rows[1:]):
        if row.get(key) is None or prev.get(key) is None or base.get(key) is None:
            continue
        row[f"{key}_kb_per_player"] = (row[key] - base[key]) * 1024 / max(1, row["players"] - base["players"])
        row[f"{key}_kb_per_player_step"] = (row[key] - prev[key]) * 1024 / max(1, row["players"] - prev["players"])


# ---- the simulated players --------------------------------------------------------------------------
def stroll(plan, sight, now: float, rng) -> list[dict]:
    """A calm person: a click within 300 px every 3-6 s (`wander_goal` keeps off the edges and portals)."""
    if now < plan.next_goal:
        return []
    plan.next_goal = now + rng.uniform(*STROLL_EVERY_S)
    x, y = scenarios.wander_goal(sight, rng)
    return [{"t": "goal", "x": x, "y": y}]


def spread_decide(decide, moves: str, meadow_share: float, scenario, plan, sight, now, rng) -> list[dict]:
    """`scenarios.decide` for the bench's players: a share goes to the meadow first, then all move gently."""
    if sight is None or sight.knocked_out:
        return []
    meadow = plan.extra.get("meadow")
    if meadow is None:
        meadow = plan.extra["meadow"] = rng.random() < meadow_share
    if meadow and sight.map_id == scenarios.HOME_MAP:
        # the hunt scenario with nothing to hunt: it clicks the town's portal to the meadow
        return decide("hunt", plan, dataclasses.replace(sight, monsters=()), now, rng)
    if moves == "stroll":
        return stroll(plan, sight, now, rng)
    return decide("wander", plan, sight, now, rng)


def spread_worker(moves: str, meadow_share: float, *args) -> None:
    """A load-test worker process (clawtown.loadtest.worker.worker_main) whose players decide with
    `spread_decide`. The load test has one scenario per run and none that spreads players over both
    maps gently, so the bench puts its own decision into the worker it starts."""
    scenarios.decide = functools.partial(spread_decide, scenarios.decide, moves, meadow_share)
    worker_main(*args)


class Crowd:
    """Simulated browser players that stay connected while more join: each `add` is one load-test run
    (`runner.execute` in a thread, its clients in their own worker processes); `close` stops them all
    through the runner's Ctrl-C path, so every client closes cleanly."""

    def __init__(self, url: str, args) -> None:
        self.url, self.args = url, args
        self.steps: list[dict] = []
        self.stopping = threading.Event()
        self._real_worker = runner.worker_main
        runner.worker_main = functools.partial(spread_worker, args.moves, args.meadow_share)

    def add(self, n: int) -> dict:
        a = self.args
        opts = validate(self.url, players=str(n), duration=str(RUN_FOR_S), ramp=f"{n / a.rate:.2f}",
                        scenario="wander", procs=str(a.procs) if a.procs else None, seed=str(a.seed + len(self.steps)))
        step = {"opts": opts, "run": None, "error": None, "interrupted": False}

        def progress(run, _phase, _t, _poller) -> None:
            step["run"] = run
            if self.stopping.is_set() and not step["interrupted"]:
                step["interrupted"] = True
                raise KeyboardInterrupt  # caught by execute(): the load test's Ctrl-C, clients close cleanly

        def body() -> None:
            try:
                step["run"] = runner.execute(opts, on_progress=progress)
            except Exception as err:  # noqa: BLE001 - reported with the step
                step["error"] = f"{type(err).__name__}: {err}"

        step["thread"] = threading.Thread(target=body, name=f"crowd-{len(self.steps)}", daemon=True)
        step["thread"].start()
        self.steps.append(step)
        return step

    def gauges(self) -> dict:
        out: dict = {}
        for step in self.steps:
            run = step["run"]
            if run is not None and run.timeline is not None:
                for name, v in run.timeline.latest_gauges().items():
                    out[name] = out.get(name, 0) + v
        return out

    def errors(self) -> list[str]:
        return [s["error"] for s in self.steps if s["error"]]

    def close(self, timeout: float = 90.0) -> None:
        self.stopping.set()
        deadline = time.monotonic() + timeout
        for step in self.steps:
            step["thread"].join(max(0.1, deadline - time.monotonic()))
        runner.worker_main = self._real_worker

    def reports(self) -> list[dict]:
        """Per step: the load test's own findings (clients, errors, generator verdict, bytes per player)."""
        out = []
        for step in self.steps:
            run = step["run"]
            if run is None or run.timeline is None:
                out.append({"players": step["opts"].players, "error": step["error"] or "did not run"})
                continue
            rep = lt_report.build(run)
            out.append({"players": step["opts"].players, "clients": rep["clients"]["players"],
                        "errors": rep["errors"], "per_player": rep["per_player"],
                        "generator": {"verdict": rep["generator"]["verdict"],
                                      "workers": [{kk: w[kk] for kk in ("clients", "cpu_pct", "cpu_pct_peak")}
                                                  | {"loop_lag_p99_ms": w["loop_lag_ms"]["p99"]}
                                                  for w in rep["generator"]["workers"]]},
                        **({"error": step["error"]} if step["error"] else {})})
        return out


# ---- the server's memory ---------------------------------------------------------------------------
def server_metrics(port: int) -> dict | None:
    """The memory-related figures of the server's /metrics; None when it cannot be read."""
    try:
        status, data = asyncio.run(one_call("127.0.0.1", port, "GET", "/metrics"))
        samples = promtext.parse(data.decode("utf-8", "replace")) if status == 200 else None
    except Exception:  # noqa: BLE001 - a scrape that fails is a gap in the figures, not the end of the bench
        return None
    if not samples:
        return None
    out: dict = {"channels": {}}
    for name, labels, value in samples:
        if name == promtext.RSS:
            out["rss_mb"] = value / MB
        elif name == promtext.CONNECTIONS:
            out["connections"] = int(value)
        elif name == "clawtown_players_in_world":
            out["in_world"] = int(value)
        elif name == "clawtown_players_online" and value:
            out["channels"][labels.get("instance", "?")] = int(value)
    out["channels"] = dict(sorted(out["channels"].items()))
    return out


def memory_now(pid: int) -> dict:
    return proc_memory_mb(pid) or {"rss_mb": proc_rss_mb(pid)}


def trend_mb_per_min(samples: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of (seconds, MB) samples, in MB per minute."""
    if len(samples) < 3:
        return None
    ts, ys = [t for t, _ in samples], [y for _, y in samples]
    mt, my = statistics.fmean(ts), statistics.fmean(ys)
    var = sum((t - mt) ** 2 for t in ts)
    return sum((t - mt) * (y - my) for t, y in samples) / var * 60.0 if var else None


def settle(pid: int, port: int, args, min_hold: float, max_hold: float, label: str) -> dict:
    """Sample the server's RSS every args.sample_every s until the last args.window samples lie within
    args.tolerance_mb (after at least min_hold s; at most max_hold s); the step's figures."""
    samples: list[tuple[float, float]] = []
    t0 = time.monotonic()
    stable = False
    for _ in range(int(max_hold / max(0.1, args.sample_every)) + 2):
        t = time.monotonic() - t0
        samples.append((t, memory_now(pid)["rss_mb"]))
        recent = [y for _, y in samples[-args.window:]]
        if len(recent) >= args.window and t >= min_hold and max(recent) - min(recent) <= args.tolerance_mb:
            stable = True
            break
        if t >= max_hold:
            break
        time.sleep(args.sample_every)
    recent = [y for _, y in samples[-args.window:]]
    mem, metrics = memory_now(pid), server_metrics(port) or {}
    row = {"label": label, "rss_mb": statistics.median(recent), "stable": stable,
           "held_s": samples[-1][0], "spread_mb": max(recent) - min(recent), "trend_mb_per_min": trend_mb_per_min(samples),
           "uss_mb": mem.get("uss_mb"), "pss_mb": mem.get("pss_mb"), "anon_mb": mem.get("anon_mb"), "metrics": metrics,
           "samples": [(round(t, 1), round(y, 2)) for t, y in samples]}
    print(f"  {label}: RSS {row['rss_mb']:.1f} MB ({'stable' if stable else 'NOT stable'} after "
          f"{row['held_s']:.0f} s, last {len(recent)} samples within {row['spread_mb']:.2f} MB), "
          f"connections {metrics.get('connections')}, in world {metrics.get('in_world')}", flush=True)
    return row


def wait_connected(port: int, crowd: Crowd, connected: int, deadline: float) -> dict:
    """Wait until the server counts `connected` WebSocket connections, or every client of the crowd has
    connected or failed, or the deadline passed; returns the last /metrics figures."""
    metrics: dict = {}
    for _ in range(10**6):
        metrics = server_metrics(port) or metrics
        g = crowd.gauges()
        started = g.get("players_started", 0)
        all_in = started >= sum(s["opts"].players for s in crowd.steps) and \
            g.get("players_connected", 0) + g.get("players_failed", 0) >= started
        if metrics.get("connections", -1) >= connected or all_in or time.monotonic() > deadline or crowd.errors():
            return metrics
        time.sleep(0.5)
    return metrics


def wait_closed(port: int, deadline: float) -> dict:
    """Wait until the server counts no WebSocket connection (or the deadline passed)."""
    metrics: dict = {}
    for _ in range(10**6):
        metrics = server_metrics(port) or metrics
        if metrics.get("connections", 1) == 0 or time.monotonic() > deadline:
            return metrics
        time.sleep(0.5)
    return metrics


def package_of(filename: str) -> str:
    """What allocated: a module of clawtown (`engine/area`), an installed package, or a standard library module."""
    path = filename.replace(os.sep, "/")
    if "/site-packages/" in path:
        return path.split("/site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    if "/clawtown/" in path:
        return path.rsplit("/clawtown/", 1)[1].removesuffix(".py")
    if path.startswith("<"):
        return path
    parts = path.split("/")
    return parts[-2] if len(parts) > 1 and parts[-1] == "__init__.py" else parts[-1].removesuffix(".py")


def traced_by_package(server: ServerProcess, timeout: float = 60.0) -> dict | None:
    """Ask the trace launcher for a snapshot: traced MB per package (None without --trace-server)."""
    if not server.launcher:
        return None
    out_path, ask_path = server.launcher[-2:]
    before = os.path.getmtime(out_path) if os.path.exists(out_path) else None
    with open(ask_path, "w"):
        pass
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(out_path) and os.path.getmtime(out_path) != before:
            with open(out_path, "rb") as f:
                rows = orjson.loads(f.read())
            by: dict[str, float] = {}
            for filename, size in rows:
                name = package_of(filename)
                if name != "tracemalloc":  # the snapshot's own leftovers
                    by[name] = by.get(name, 0.0) + size / MB
            return dict(sorted(by.items(), key=lambda kv: -kv[1]))
        time.sleep(0.2)
    return None


def run_server(args, counts: list[int]) -> dict:
    server = ServerProcess(args.seed, None, prefix="bench-memory-")
    if args.trace_server:
        server.launcher = [sys.executable, "-c", TRACE_LAUNCHER, os.path.join(server.tmp, "trace.json"),
                           os.path.join(server.tmp, "trace-now")]
    out: dict = {"rows": []}
    crowd: Crowd | None = None
    try:
        server.start()
        pid, port = server.proc.pid, server.port
        out["pid"] = pid
        print(f"server pid {pid} on 127.0.0.1:{port}; settling idle", flush=True)
        out["rows"].append({"players": 0, **settle(pid, port, args, args.min_hold, args.max_hold, "idle"),
                            "traced": traced_by_package(server)})
        crowd = Crowd(f"http://127.0.0.1:{port}", args)
        for prev, n in zip(counts, counts[1:]):
            step = crowd.add(n - prev)
            print(f"step: +{n - prev} players (ramp {step['opts'].ramp:.0f} s, {step['opts'].procs} worker "
                  f"process(es)) -> {n}", flush=True)
            got = wait_connected(port, crowd, n, time.monotonic() + step["opts"].ramp + CONNECT_GRACE_S)
            if crowd.errors():
                raise RuntimeError(f"load test failed: {crowd.errors()[0]}")
            row = settle(pid, port, args, args.min_hold, args.max_hold, f"{got.get('connections')} connected")
            out["rows"].append({"players": n, **row, "traced": traced_by_package(server)})
        if args.hold_top > 0:
            top = settle(pid, port, args, args.hold_top, args.hold_top, f"top step held {args.hold_top:.0f} s more")
            out["top_hold"] = {**top, "traced": traced_by_package(server)}
        crowd.close()
        wait_closed(port, time.monotonic() + 30)
        out["after_close"] = {**settle(pid, port, args, args.min_hold, args.max_hold, "every socket closed"),
                              "traced": traced_by_package(server)}
        out["crowd"] = crowd.reports()
    finally:
        if crowd is not None:
            crowd.close()
        server.stop()
        server.cleanup()
    per_player(out["rows"], "rss_mb")
    per_player(out["rows"], "uss_mb")
    per_player(out["rows"], "anon_mb")
    return out


# ---- output ------------------------------------------------------------------------------------
def _f(x, fmt: str = ".1f", none: str = "-") -> str:
    return none if x is None else format(x, fmt)


def report(out: dict) -> None:
    sv = out["server"]
    print(f"\nbench_memory: server code {out['code']}; moves {out['moves']}, meadow share {out['meadow_share']}; "
          f"load average {out['load_avg_before']:.2f} before, {out['load_avg_after']:.2f} after")
    print("\nServer (twistd clawtown), simulated browser players connected over the WebSocket:")
    print(f"{'players':>8} {'conns':>6} {'in world':>8} {'RSS MB':>8} {'USS MB':>8} {'PSS MB':>8} {'anon MB':>8} "
          f"{'KB/pl step':>10} {'KB/pl 0':>8} {'/metrics RSS':>12} {'stable':>7}  channels (players online)")
    for row in sv["rows"] + [r for r in (sv.get("top_hold"), sv.get("after_close")) if r]:
        m = row.get("metrics") or {}
        chans = " ".join(f"{kk}:{v}" for kk, v in m.get("channels", {}).items())
        name = row.get("players", "")
        if row is sv.get("top_hold"):
            name = "(held)"
        elif row is sv.get("after_close"):
            name = "(closed)"
        print(f"{name!s:>8} {_f(m.get('connections'), 'd'):>6} {_f(m.get('in_world'), 'd'):>8} {row['rss_mb']:8.1f} "
              f"{_f(row.get('uss_mb')):>8} {_f(row.get('pss_mb')):>8} {_f(row.get('anon_mb')):>8} "
              f"{_f(row.get('rss_mb_kb_per_player_step')):>10} "
              f"{_f(row.get('rss_mb_kb_per_player')):>8} {_f(m.get('rss_mb')):>12} "
              f"{('yes' if row['stable'] else 'no'):>7}  {chans}")
    top = sv.get("top_hold")
    if top:
        last = sv["rows"][-1]
        print(f"top step held {top['held_s']:.0f} s more at {last['players']} players: RSS "
              f"{top['samples'][0][1]:.1f} -> {top['samples'][-1][1]:.1f} MB, trend "
              f"{_f(top['trend_mb_per_min'], '+.2f')} MB/min (least squares over {len(top['samples'])} samples)")
    traced_breakdown(sv["rows"], sv.get("top_hold"), sv.get("after_close"))
    for i, st in enumerate(sv.get("crowd", [])):
        if "error" in st and "clients" not in st:
            print(f"step {i + 1} (+{st['players']}): {st['error']}")
            continue
        errs = ", ".join(f"{kk} {v}" for kk, v in list(st["errors"].items())[:5]) or "none"
        pp = st["per_player"] or {}
        print(f"step {i + 1} (+{st['players']}): connected {st['clients']['connected']}, failed "
              f"{st['clients']['failed']}; per player in {_f(pp.get('bytes_in_per_s'), ',.0f')} B/s "
              f"({_f(pp.get('msgs_in_per_s'))} msgs/s), out {_f(pp.get('msgs_out_per_s'))} msgs/s; "
              f"errors: {errs}; generator: {st['generator']['verdict']}")
    print("\nModel alone (World + CreatePlayer + Teleport, 1 s of World.step; no engine, no sockets):")
    print(f"{'players':>8} {'RSS MB':>8} {'KB/pl step':>10} {'KB/pl 0':>8} {'traced MB':>10} {'KB/pl step':>10} "
          f"{'KB/pl 0':>8}  channels")
    for rss_row, tr_row in zip(out["model"]["rss"], out["model"]["traced"]):
        chans = " ".join(f"{kk}:{v}" for kk, v in rss_row["channels"].items())
        print(f"{rss_row['players']:>8} {rss_row['rss_mb']:8.1f} {_f(rss_row.get('rss_mb_kb_per_player_step')):>10} "
              f"{_f(rss_row.get('rss_mb_kb_per_player')):>8} {tr_row['traced_mb']:10.2f} "
              f"{_f(tr_row.get('traced_mb_kb_per_player_step')):>10} {_f(tr_row.get('traced_mb_kb_per_player')):>8}  "
              f"{chans}")
    print(f"\nOriginal Node server: RSS {NODE['idle_mb']:.0f} MB idle, "
          + ", ".join(f"{mb:.0f} MB with {n} sockets moving ({(mb - NODE['idle_mb']) * 1024 / n:.0f} KB/player)"
                      for n, mb in NODE["rows"])
          + f"; {NODE['in_memory_1000_mb']:.0f} MB with 1,000 players in memory without sockets "
            f"({(NODE['in_memory_1000_mb'] - NODE['idle_mb']) * 1024 / 1000:.0f} KB/player)")


def traced_breakdown(rows: list[dict], held: dict | None, closed: dict | None, top: int = 16) -> None:
    """With --trace-server: the server's traced Python memory by package at each step (then after the
    top step's hold, and after every socket closed), and KB per player from idle to the top step."""
    if not rows or not rows[0].get("traced") or not rows[-1].get("traced"):
        return
    cols = [(str(r["players"]), r["traced"]) for r in rows]
    cols += [(name, r["traced"]) for name, r in (("(held)", held), ("(closed)", closed)) if r and r.get("traced")]
    first, last = rows[0], rows[-1]
    n = max(1, last["players"] - first["players"])
    names = sorted(set(first["traced"]) | set(last["traced"]),
                   key=lambda name: -(last["traced"].get(name, 0.0) - first["traced"].get(name, 0.0)))
    print(f"\nServer's traced Python memory (tracemalloc) by clawtown module or other package, MB; "
          f"KB/pl: from idle to {last['players']} players:")
    print(f"{'package':24} " + " ".join(f"{label:>8}" for label, _ in cols) + f" {'KB/pl':>7}")
    for name in names[:top] + ["(all)"]:
        vals = [sum(t.values()) if name == "(all)" else t.get(name, 0.0) for _, t in cols]
        per = (vals[len(rows) - 1] - vals[0]) * 1024 / n
        print(f"{name:24} " + " ".join(f"{v:8.2f}" for v in vals) + f" {per:7.1f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--players", type=int, default=1000, help="players connected at the top step")
    ap.add_argument("--steps", type=int, default=4, help="steps up to --players (4: 100, 250, 500, 1000)")
    ap.add_argument("--moves", choices=("wander", "stroll"), default="wander",
                    help="wander: the load test's arrow-key walking; stroll: a click every 3-6 s")
    ap.add_argument("--meadow-share", type=float, default=0.7, help="share of players that walk to the meadow")
    ap.add_argument("--rate", type=float, default=40.0, help="players joining per second within a step")
    ap.add_argument("--procs", type=int, default=0, help="load-test worker processes per step (0: the tool's default)")
    ap.add_argument("--seed", type=int, default=7, help="seed of the server's world, the model and the players")
    ap.add_argument("--sample-every", type=float, default=2.0, help="seconds between RSS samples")
    ap.add_argument("--window", type=int, default=5, help="samples that must agree for RSS to count as stable")
    ap.add_argument("--tolerance-mb", type=float, default=1.0, help="how closely they must agree")
    ap.add_argument("--min-hold", type=float, default=20.0, help="seconds a step is held at least")
    ap.add_argument("--max-hold", type=float, default=120.0, help="seconds a step is held at most")
    ap.add_argument("--hold-top", type=float, default=60.0, help="extra seconds at the top step, for the RSS trend")
    ap.add_argument("--trace-server", action="store_true",
                    help="run tracemalloc in the server and break its memory down by package (inflates its RSS)")
    k.add_common_args(ap)
    args = ap.parse_args()
    args.players = max(1, args.players)
    args.rate = max(1.0, args.rate)
    args.window = max(2, args.window)
    args.meadow_share = min(1.0, max(0.0, args.meadow_share))
    counts = step_counts(args.players, args.steps)
    started = time.monotonic()
    out = {"bench": "memory", "counts": counts, "moves": args.moves, "meadow_share": args.meadow_share,
           "seed": args.seed, "code": code_state(), "load_avg_before": os.getloadavg()[0]}
    print(f"bench_memory: steps {counts}; load average {out['load_avg_before']:.2f}; model first", flush=True)
    prof = k.Profiler(args.profile)
    with prof:
        rss_rows = model_memory(counts, args.seed, args.meadow_share, traced=False)
    traced_rows = model_memory(counts, args.seed, args.meadow_share, traced=True)
    per_player(rss_rows, "rss_mb")
    per_player(traced_rows, "traced_mb")
    out["model"] = {"rss": rss_rows, "traced": traced_rows}
    out["server"] = run_server(args, counts)
    out["load_avg_after"] = os.getloadavg()[0]
    out["node_reference"] = NODE
    out["took_s"] = time.monotonic() - started
    report(out)
    prof.report("the model part (World + CreatePlayer + World.step)")
    print(f"bench took {out['took_s']:.0f} s")
    if args.json:
        k.emit_json(out)


if __name__ == "__main__":
    main()
