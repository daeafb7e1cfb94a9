"""Bot REST API under load: "500 bots, each polling world once a second and acting (goal/cast/thought),
against one server process: p50/p99 latency per route and server CPU; target p99 <= 50 ms".

The bench starts a real `twistd clawtown` on a free loopback port with a fresh data dir (or talks
to a running server given with --url), then runs in two phases:

- **Setup** (not measured): N characters are made the way a person's bot gets one:
  POST /api/players, POST /api/join-codes (Bearer session token), POST /api/bot/link. The
  per-address limits of /api/players and /api/bot/link (a burst of 10 each) are met by binding
  each batch of 10 bots to its own loopback source address (127.x.y.z; Linux routes all of
  127/8 to lo), so the batches run side by side without a 429.
- **Load**: the bots are split over --procs worker processes. Each worker is one asyncio loop
  with one persistent HTTP/1.1 keep-alive connection per bot (a small client on asyncio streams,
  standard library only). Every bot runs the original example bot's loop: POST /api/bot/mode
  agent once, then GET /api/bot/world once a second; a living monster within 120 px -> POST
  /api/bot/cast signature (at least 0.85 s apart), else POST /api/bot/goal toward the nearest one
  (at least 1.2 s apart); POST /api/bot/thought every ~10 s; GET /api/bot/events?cursor=<last>
  every ~5 s. Start times are jittered over 1 s and each bot keeps its own 1 s schedule
  (`--pacing sleep` instead sleeps 1 s after each round, as a naive bot does). A bot waits for
  each answer before its next request (a closed loop), so an overloaded server is offered less:
  "world polls per bot per s" shows how far below 1 it fell. A 429 is counted and waited out.
  The first --warmup seconds are not measured; then --duration seconds are.

The report gives latency per route (p50/p95/p99/max, from the first byte written to the last
byte read, so it includes the client's own scheduling delay), status counts, requests/s, the
server's CPU (Δ(utime+stime) from /proc/<pid>/stat ÷ CLK_TCK ÷ seconds, in % of one core), its
CPU per request, how long it waited for a core while runnable (/proc/<pid>/schedstat: the share
other processes took), RSS, the game's tick rate, each worker's CPU and event-loop lag (to judge
whether the generator kept up), /health/ready at five moments, and which server code ran (the
tree may change between runs). `--server-gc stats|freeze` times the server's garbage
collections (and tries gc.freeze()) through a launcher; `--profile-server FILE` runs it under
twistd's cProfile; `--profile N` prints that profile's top N.

    .venv/bin/python bench/bench_bots.py [--bots 500] [--duration 60] [--procs 2] [--seed 7]
        [--pacing fixed|sleep] [--server-gc off|stats|freeze] [--profile-server FILE] [--profile N]
        [--url http://127.0.0.1:PORT [--server-pid PID]] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import math
import multiprocessing as mp
import os
import pstats
import queue
import random
import resource
import tempfile
import time
from urllib.parse import urlsplit

import _common as k
import orjson
from _server import (
    ROOT,
    ServerProcess,
    code_state,
    proc_cpu_s,
    proc_rss_mb,
    ready,
    run_delay_s,
)

from clawtown.loadtest.http import Http, HttpError, retry_ms

TARGET_P99_MS = 50.0
HIT_RANGE = 120.0  # px: cast when the nearest living monster is this close
CAST_GAP_S = 0.85
GOAL_GAP_S = 1.2
THOUGHT_EVERY_S = 10.0
EVENTS_EVERY_S = 5.0
POLL_EVERY_S = 1.0
REQUEST_TIMEOUT_S = 10.0
MAX_RETRY_WAIT_S = 5.0
PER_ADDRESS = 10  # bots made from one source address: the burst of POST /api/players and /api/bot/link
SETUP_PARALLEL = 16  # source addresses at work at once during setup
THOUGHTS = (
    "hunting slimes near the plaza", "low on hp, keeping distance", "looking for jelly", "following the path east",
    "waiting for a respawn", "this one is mine", "checking the board later", "going back to the fountain",
)
ROUTES = ("world", "cast", "goal", "thought", "events", "mode")
# ---- setup: characters and bot tokens --------------------------------------------------------
def source_addresses(n: int, seed: int) -> list[str]:
    """n distinct loopback source addresses, in a block that changes from run to run (so a reused
    server's per-address buckets from an earlier run do not slow setup down)."""
    rng = random.Random(f"{seed}:{time.time_ns()}:addresses")
    first = rng.randrange(2, 250)
    return [f"127.{first}.{1 + i // 250}.{1 + i % 250}" for i in range(n)]


async def _setup_call(http: Http, method: str, path: str, body=None, token=None, tries: int = 8):
    """A setup call; a 429 is waited out (bounded), anything else non-200 is an error."""
    for _ in range(tries):
        status, data = await http.call(method, path, body, token=token)
        if status == 429:
            await asyncio.sleep(min(MAX_RETRY_WAIT_S * 4, max(0.05, retry_ms(data, 0.0) / 1000.0)))
            continue
        if status != 200:
            raise RuntimeError(f"{method} {path} answered {status}: {data[:200]!r}")
        return orjson.loads(data)
    raise RuntimeError(f"{method} {path} stayed rate limited")


async def make_bots(host: str, port: int, n: int, seed: int) -> tuple[list[dict], dict]:
    jobs = list(k.JOBS)
    groups = [list(range(i, min(n, i + PER_ADDRESS))) for i in range(0, n, PER_ADDRESS)]
    addresses = source_addresses(len(groups), seed)
    gate = asyncio.Semaphore(SETUP_PARALLEL)
    bots: list[dict | None] = [None] * n
    calls = {"players": 0, "join-codes": 0, "link": 0}

    async def group(indexes: list[int], source: str) -> None:
        async with gate:
            http = Http(host, port, source=source, timeout=REQUEST_TIMEOUT_S)
            try:
                for i in indexes:
                    made = await _setup_call(http, "POST", "/api/players",
                                             {"name": f"Bench{i:04d}", "job": jobs[i % len(jobs)]})
                    minted = await _setup_call(http, "POST", "/api/join-codes", {}, token=made["sessionToken"])
                    linked = await _setup_call(http, "POST", "/api/bot/link", {"joinCode": minted["joinCode"]})
                    calls["players"] += 1
                    calls["join-codes"] += 1
                    calls["link"] += 1
                    bots[i] = {"token": linked["botToken"], "id": linked["playerId"]}
            finally:
                http.close()

    await asyncio.wait_for(asyncio.gather(*(group(g, a) for g, a in zip(groups, addresses))), 60 + n)
    return [b for b in bots if b is not None], {"addresses": len(addresses), "calls": calls}


# ---- the load: one worker process ----------------------------------------------------------
def world_view(data: bytes) -> tuple[dict, list]:
    """(you, monsters) of a /api/bot/world answer, without decoding its ~150 KB.

    The bot needs only its own position and the monsters, so only those two pieces are decoded:
    the monsters array (`,"monsters":[...],"drops":`; monsters hold no arrays) and the top-level
    `you` object (the last `,"you":{` before `,"entities":[`). In JSON text a quote inside a string
    is escaped, so these byte patterns can only be keys, never text a player wrote. Anything
    unexpected falls back to decoding the whole answer. This keeps the load generator cheap.
    """
    try:
        start = data.index(b',"monsters":[') + 12
        monsters = orjson.loads(data[start:data.index(b'],"drops":', start) + 1])
        entities = data.rindex(b',"entities":[')
        you = orjson.loads(data[data.rindex(b',"you":{', 0, entities) + 7:entities])
        if isinstance(you, dict) and isinstance(monsters, list):
            return you, monsters
    except (ValueError, orjson.JSONDecodeError):
        pass
    try:
        snap = orjson.loads(data).get("snapshot") or {}
    except (orjson.JSONDecodeError, AttributeError):
        return {}, []
    return snap.get("you") or {}, snap.get("monsters") or []


class Tally:
    """What one worker saw: latencies and statuses by route, in the measured window."""

    def __init__(self) -> None:
        self.lat: dict[str, list[float]] = {r: [] for r in ROUTES}
        self.status: dict[str, dict[str, int]] = {r: {} for r in ROUTES}
        self.bytes: dict[str, int] = {r: 0 for r in ROUTES}
        self.poll_late_ms: list[float] = []
        self.decisions = {"cast": 0, "goal": 0, "too_soon": 0, "no_monster": 0}

    def add(self, route: str, status: str, ms: float | None, nbytes: int = 0) -> None:
        st = self.status[route]
        st[status] = st.get(status, 0) + 1
        if ms is not None:
            self.lat[route].append(ms)
        self.bytes[route] += nbytes


class Bot:
    def __init__(self, host: str, port: int, token: str, rng: random.Random, clock: dict, tally: Tally) -> None:
        self.http = Http(host, port, timeout=REQUEST_TIMEOUT_S)
        self.token = token
        self.rng = rng
        self.clock = clock  # {"t0": measured from, "t_end": until}
        self.tally = tally
        self.cursor = 0

    def measured(self, started: float) -> bool:
        return self.clock["t0"] <= started < self.clock["t_end"]

    async def call(self, route: str, method: str, path: str, body=None):
        """One request; recorded when it started in the measured window (mode: always). 429 waited out."""
        raw = orjson.dumps(body) if body is not None else None
        started = time.monotonic()
        record = route == "mode" or self.measured(started)
        try:
            status, data = await self.http.call(method, path, raw, token=self.token)
        except HttpError as err:
            if record:
                self.tally.add(route, "timeout" if err.kind == "timeout" else "conn_error", None)
            if err.kind != "timeout":
                await asyncio.sleep(0.5)
            return None, None
        ms = (time.monotonic() - started) * 1000.0
        if record:
            self.tally.add(route, str(status), ms, len(data))
        if status == 429:
            await asyncio.sleep(min(MAX_RETRY_WAIT_S, max(0.05, retry_ms(data, 0.0) / 1000.0)))
        return status, data

    async def run(self, start_at: float, pacing: str) -> None:
        """The example bot's loop. `fixed` pacing: a poll every second on the bot's own (jittered) schedule;
        `sleep` pacing: a 1 s sleep after each round, as a naive bot does (it then polls right after the
        server released its last answer, so bots drift into step with the server's sync rounds)."""
        rng, t_end = self.rng, self.clock["t_end"]
        await asyncio.sleep(max(0.0, start_at - time.monotonic()))
        await self.call("mode", "POST", "/api/bot/mode", {"mode": "agent"})
        now = time.monotonic()
        next_poll = start_at + POLL_EVERY_S * math.ceil((now - start_at) / POLL_EVERY_S) if pacing == "fixed" else now
        next_thought = now + rng.uniform(1.0, THOUGHT_EVERY_S)
        next_events = now + rng.uniform(0.5, EVENTS_EVERY_S)
        last_cast = last_goal = -math.inf
        for _ in range(int((t_end - now) / POLL_EVERY_S) + 2):  # bounded: one round per poll
            now = time.monotonic()
            if now < next_poll:
                await asyncio.sleep(next_poll - now)
                now = time.monotonic()
            if now >= t_end:
                break
            if self.measured(now) and pacing == "fixed":
                self.tally.poll_late_ms.append((now - next_poll) * 1000.0)
            next_poll = max(next_poll + POLL_EVERY_S, now + 0.1)  # no catch-up bursts after a slow round
            status, data = await self.call("world", "GET", "/api/bot/world")
            if status == 200:
                await self.act(data, last_cast, last_goal)
                if self._did == "cast":
                    last_cast = time.monotonic()
                elif self._did == "goal":
                    last_goal = time.monotonic()
            now = time.monotonic()
            if now >= next_thought and now < t_end:
                next_thought = now + THOUGHT_EVERY_S * rng.uniform(0.9, 1.1)
                await self.call("thought", "POST", "/api/bot/thought", {"text": rng.choice(THOUGHTS)})
            now = time.monotonic()
            if now >= next_events and now < t_end:
                next_events = now + EVENTS_EVERY_S * rng.uniform(0.9, 1.1)
                status, data = await self.call("events", "GET", f"/api/bot/events?cursor={self.cursor}")
                if status == 200:
                    self.cursor = int(orjson.loads(data).get("nextCursor") or self.cursor)
            if pacing == "sleep":
                next_poll = time.monotonic() + POLL_EVERY_S
        self.http.close()

    _did = "too_soon"

    async def act(self, data: bytes, last_cast: float, last_goal: float) -> None:
        self._did = "too_soon"  # a monster, but the last cast/goal was too recent
        you, monsters = world_view(data)
        x, y = you.get("x"), you.get("y")
        if x is None or y is None:
            return
        nearest, best = None, math.inf
        for m in monsters:
            if m.get("alive") is False:
                continue
            d = math.hypot(m["x"] - x, m["y"] - y)
            if d < best:
                nearest, best = m, d
        now = time.monotonic()
        if nearest is None:  # every monster of the map channel is dead (they respawn after a while)
            if self.measured(now):
                self.tally.decisions["no_monster"] += 1
            return
        if now >= self.clock["t_end"]:
            return
        if best <= HIT_RANGE:
            if now - last_cast >= CAST_GAP_S:
                self._did = "cast"
                await self.call("cast", "POST", "/api/bot/cast", {"spell": "signature"})
        elif now - last_goal >= GOAL_GAP_S:
            self._did = "goal"
            await self.call("goal", "POST", "/api/bot/goal", {"x": float(nearest["x"]), "y": float(nearest["y"])})
        if self.measured(now):
            self.tally.decisions[self._did] += 1


async def _loop_lag(clock: dict, out: list[float], step: float = 0.05) -> None:
    """How late the worker's event loop wakes a 50 ms sleep, in the measured window (ms)."""
    for _ in range(int((clock["t_end"] - time.monotonic()) / step) + 2):
        before = time.monotonic()
        if before >= clock["t_end"]:
            return
        await asyncio.sleep(step)
        if clock["t0"] <= before:
            out.append(max(0.0, (time.monotonic() - before - step) * 1000.0))


async def _worker(wid: int, host: str, port: int, bots: list[dict], seed: int, pacing: str, shared,
                  ready_q) -> dict:
    tally = Tally()
    clock = {"t0": math.inf, "t_end": math.inf}
    rng = random.Random(f"{seed}:worker:{wid}")
    players = [Bot(host, port, b["token"], random.Random(rng.random()), clock, tally) for b in bots]
    gate = asyncio.Semaphore(64)

    async def connect(bot: Bot) -> bool:
        async with gate:
            try:
                await bot.http.open()
                return True
            except HttpError:
                return False

    connected = sum(await asyncio.gather(*(connect(b) for b in players)))
    ready_q.put((wid, connected))
    for _ in range(1200):  # the parent sets the start time once every worker is connected (at most 60 s)
        if shared[0] > 0:
            break
        await asyncio.sleep(0.05)
    else:
        return {"wid": wid, "error": "never started"}
    start, warmup, duration = shared[0], shared[1], shared[2]
    clock["t0"], clock["t_end"] = start + warmup, start + warmup + duration
    lag: list[float] = []
    lag_task = asyncio.ensure_future(_loop_lag(clock, lag))
    tasks = [asyncio.ensure_future(b.run(start + rng.uniform(0.0, POLL_EVERY_S), pacing)) for b in players]

    async def cpu_at(t: float) -> tuple[float, float | None]:
        await asyncio.sleep(max(0.0, t - time.monotonic()))
        u = resource.getrusage(resource.RUSAGE_SELF)
        return u.ru_utime + u.ru_stime, run_delay_s("self")

    cpu0, cpu1 = await asyncio.gather(cpu_at(clock["t0"]), cpu_at(clock["t_end"]))
    # bots finish the round they are in; anything still waiting after the request timeout is cancelled
    _done, pending = await asyncio.wait(tasks, timeout=REQUEST_TIMEOUT_S + MAX_RETRY_WAIT_S + 2)
    for t in pending:
        t.cancel()
    lag_task.cancel()
    for b in players:
        b.http.close()
    return {"wid": wid, "bots": len(players), "connected": connected, "unfinished": len(pending),
            "cpu_s": cpu1[0] - cpu0[0],
            "cpu_wait_s": cpu1[1] - cpu0[1] if cpu0[1] is not None and cpu1[1] is not None else None,
            "lat": tally.lat, "status": tally.status, "bytes": tally.bytes,
            "poll_late_ms": tally.poll_late_ms, "decisions": tally.decisions, "loop_lag_ms": lag}


def worker_main(wid: int, host: str, port: int, bots: list[dict], seed: int, pacing: str, shared, ready_q,
                out_q) -> None:
    try:
        result = asyncio.run(_worker(wid, host, port, bots, seed, pacing, shared, ready_q))
    except Exception as err:  # noqa: BLE001 - reported by the parent, which must never wait in vain
        result = {"wid": wid, "error": repr(err)}
    out_q.put(result)


# ---- the run -------------------------------------------------------------------------------
def run(args) -> dict:
    profile_file = args.profile_server
    if args.profile and not profile_file and not args.url:
        profile_file = os.path.join(tempfile.gettempdir(), f"bench-bots-{os.getpid()}.pstats")
    server = None
    if args.url:
        parts = urlsplit(args.url)
        host, port, pid = parts.hostname, parts.port or 80, args.server_pid
        if host not in ("127.0.0.1", "localhost"):
            raise SystemExit("--url must point at a server on this machine (127.0.0.1)")
        host = "127.0.0.1"
    else:
        server = ServerProcess(args.seed, profile_file, args.server_gc)
        server.start()
        host, port, pid = "127.0.0.1", server.port, server.proc.pid
        print(f"server: pid {pid}, http://127.0.0.1:{port}, fresh data dir, seed {args.seed}"
              + (", under cProfile" if profile_file else ""), flush=True)
    out: dict = {"bots": args.bots, "duration_s": args.duration, "warmup_s": args.warmup, "procs": args.procs,
                 "pacing": args.pacing,
                 "seed": args.seed, "load_avg_before": os.getloadavg()[0], "url": args.url,
                 "profile_file": profile_file,
                 "code": code_state() + (" (this tree; the --url server may run other code)" if args.url else "")}
    try:
        # -- setup (not measured)
        cpu_a, t_a = proc_cpu_s(pid) if pid else None, time.monotonic()
        bots, info = asyncio.run(make_bots(host, port, args.bots, args.seed))
        setup_s = time.monotonic() - t_a
        cpu_b = proc_cpu_s(pid) if pid else None
        out["setup"] = {"seconds": setup_s, "bots": len(bots), "source_addresses": info["addresses"],
                        "calls": info["calls"],
                        "server_cpu_pct": (cpu_b - cpu_a) / setup_s * 100 if cpu_a is not None and cpu_b else None}
        out["ready_before"] = ready(host, port)
        if server is not None and args.server_gc == "freeze":
            out["gc_frozen_objects"] = server.freeze_gc()
        rss_before = proc_rss_mb(pid) if pid else None

        # -- load
        ctx = mp.get_context("fork")
        shared = ctx.Array("d", [0.0, float(args.warmup), float(args.duration)], lock=False)
        ready_q, out_q = ctx.Queue(), ctx.Queue()
        slices = [bots[i::args.procs] for i in range(args.procs)]
        workers = [ctx.Process(target=worker_main, daemon=True,
                               args=(i, host, port, s, args.seed, args.pacing, shared, ready_q, out_q))
                   for i, s in enumerate(slices)]
        for w in workers:
            w.start()
        connected = sum(ready_q.get(timeout=120)[1] for _ in workers)
        start = time.monotonic() + 0.2
        shared[0] = start
        t0, t_end = start + args.warmup, start + args.warmup + args.duration
        time.sleep(max(0.0, t0 - time.monotonic()))
        cpu0, cpu0_t = proc_cpu_s(pid) if pid else None, time.monotonic()
        wait0 = run_delay_s(pid) if pid else None
        gc0 = server.gc_stats() if server is not None and args.server_gc != "off" else None
        # /health/ready at both ends of the window: its tick counter gives the game's tick rate under load
        ready_start, ready_start_t = ready(host, port), time.monotonic()
        per_s: list[float] = []
        mid_ready, prev, prev_t = None, cpu0, cpu0_t
        for _ in range(int(args.duration) + 2):  # one CPU sample a second, plus /health/ready half way
            now = time.monotonic()
            if now >= t_end:
                break
            time.sleep(min(1.0, t_end - now))
            if pid:
                cur, cur_t = proc_cpu_s(pid), time.monotonic()
                if cur is not None and prev is not None:
                    per_s.append((cur - prev) / (cur_t - prev_t) * 100)
                prev, prev_t = cur, cur_t
            if mid_ready is None and time.monotonic() >= t0 + args.duration / 2:
                mid_ready = ready(host, port)
        cpu1, t1 = proc_cpu_s(pid) if pid else None, time.monotonic()
        wait1 = run_delay_s(pid) if pid else None
        if gc0 is not None:
            time.sleep(0.6)  # the launcher publishes twice a second
            out["server_gc"] = gc_window(gc0, server.gc_stats(), cpu0_t, t1)
        rss = proc_rss_mb(pid) if pid else None
        ready_end_t, ready_end = time.monotonic(), ready(host, port)
        results = []
        for _ in workers:
            try:
                results.append(out_q.get(timeout=REQUEST_TIMEOUT_S + MAX_RETRY_WAIT_S + 30))
            except queue.Empty:
                results.append({"error": "no result from a worker"})
        for w in workers:
            w.join(timeout=10)
            if w.is_alive():
                w.terminate()
        out["ready_start"], out["ready_during"], out["ready_end"] = ready_start, mid_ready, ready_end
        out["ready_after"] = ready(host, port)
        ticks = None
        if isinstance(ready_start.get("ticks"), int) and isinstance(ready_end.get("ticks"), int):
            ticks = (ready_end["ticks"] - ready_start["ticks"]) / max(1e-3, ready_end_t - ready_start_t)
        out["server"] = {
            "pid": pid,
            "cpu_pct": (cpu1 - cpu0) / (t1 - cpu0_t) * 100 if cpu0 is not None and cpu1 is not None else None,
            "cpu_pct_peak_1s": max(per_s) if per_s else None, "rss_mb": rss, "rss_mb_before": rss_before,
            "ticks_per_s": ticks,
            "cpu_wait_pct": (wait1 - wait0) / (t1 - cpu0_t) * 100 if wait0 is not None and wait1 is not None else None,
        }
        out["connected"] = connected
        out.update(merge(results, args.duration))
        sv = out["server"]
        if sv["cpu_pct"] is not None and out["requests_per_s"]:
            # steadier than the latencies when other processes share the cores: CPU per request at this mix
            sv["cpu_ms_per_request"] = sv["cpu_pct"] * 10.0 / out["requests_per_s"]
            sv["requests_per_s_per_core"] = 1000.0 / sv["cpu_ms_per_request"]
    finally:
        if server is not None:
            server.stop()
    if server is not None and profile_file and os.path.exists(profile_file):
        out["profile"] = profile_file
    if server is not None:
        server.cleanup()
    return out


def gc_window(before: dict, after: dict | None, t0: float, t1: float) -> dict | None:
    """The server's garbage collections within [t0, t1]: per generation count, seconds, longest pause."""
    if not after:
        return None
    out = {}
    for gen in ("0", "1", "2"):
        n0, s0 = before["totals"][gen]
        n1, s1 = after["totals"][gen]
        longest = [took for at, g, took in after["long"] if str(g) == gen and t0 <= at <= t1]
        out[gen] = {"collections": n1 - n0, "seconds": s1 - s0, "pauses_over_5ms": len(longest),
                    "longest_ms": max(longest) * 1000 if longest else None}
    return {"by_generation": out, "seconds": sum(v["seconds"] for v in out.values()), "window_s": t1 - t0,
            "frozen_objects": after.get("frozen", 0)}


def merge(results: list[dict], duration: float) -> dict:
    lat = {r: [] for r in ROUTES}
    status = {r: {} for r in ROUTES}
    nbytes = {r: 0 for r in ROUTES}
    late, decisions, workers = [], {"cast": 0, "goal": 0, "too_soon": 0, "no_monster": 0}, []
    for res in results:
        if "error" in res:
            workers.append({"wid": res.get("wid"), "error": res["error"]})
            continue
        for r in ROUTES:
            lat[r] += res["lat"][r]
            nbytes[r] += res["bytes"][r]
            for s, n in res["status"][r].items():
                status[r][s] = status[r].get(s, 0) + n
        late += res["poll_late_ms"]
        for kk, v in res["decisions"].items():
            decisions[kk] += v
        workers.append({"wid": res["wid"], "bots": res["bots"], "connected": res["connected"],
                        "unfinished": res["unfinished"], "cpu_pct": res["cpu_s"] / duration * 100,
                        "cpu_wait_pct": res["cpu_wait_s"] / duration * 100 if res["cpu_wait_s"] is not None else None,
                        "loop_lag_ms": k.summary(res["loop_lag_ms"])})
    routes = {}
    for r in ROUTES:
        n = sum(status[r].values())
        if not n:
            continue
        routes[r] = {**k.summary(lat[r]), "count": n, "per_s": n / duration if r != "mode" else None,
                     "status": dict(sorted(status[r].items())), "bytes_avg": nbytes[r] / max(1, len(lat[r]))}
    total = sum(v["count"] for kk, v in routes.items() if kk != "mode")
    return {"routes": routes, "requests_per_s": total / duration, "poll_late_ms": k.summary(late),
            "decisions": decisions, "workers": workers}


def report(out: dict, args) -> None:
    print(f"bench_bots: {out['bots']} bots over {out['procs']} worker processes, {out['duration_s']:.0f} s measured "
          f"after {out['warmup_s']:.0f} s warm-up, {out['pacing']} pacing, seed {out['seed']}; "
          f"load average before {out['load_avg_before']:.2f}")
    print(f"server code: {out['code']}")
    s = out["setup"]
    cpu = f", server CPU {s['server_cpu_pct']:.0f} %" if s["server_cpu_pct"] is not None else ""
    print(f"setup (not measured): {s['bots']} bots in {s['seconds']:.1f} s from {s['source_addresses']} source "
          f"addresses ({sum(s['calls'].values())} calls){cpu}")
    for label, what in (("before", "idle, before the load"), ("start", "start of the measured window"),
                        ("during", "half way"), ("end", "end of the window"), ("after", "idle, after the load")):
        rd = out.get(f"ready_{label}") or {}
        print(f"/health/ready {what:>28}: status {rd.get('status')}, tickLagS {rd.get('tickLagS')}, "
              f"players {rd.get('players')}, ticks {rd.get('ticks')}")
    print(f"{'route':8} {'count':>7} {'per s':>7} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8} {'avg B':>8}  statuses")
    for name, v in out["routes"].items():
        per_s = f"{v['per_s']:7.1f}" if v["per_s"] is not None else f"{'-':>7}"
        statuses = " ".join(f"{kk}:{n}" for kk, n in v["status"].items())
        print(f"{name:8} {v['count']:7d} {per_s} {v['p50']:8.1f} {v['p95']:8.1f} {v['p99']:8.1f} {v['max']:8.1f} "
              f"{v['bytes_avg']:8.0f}  {statuses}")
    print("  (latency in ms from first byte written to last byte read; mode: once per bot, during warm-up)")
    pl = out["poll_late_ms"]
    polls = out["routes"].get("world", {}).get("per_s") or 0.0
    late = (f", started late by p50 {pl['p50']:.0f} ms, p99 {pl['p99']:.0f} ms, max {pl['max']:.0f} ms"
            if pl["n"] else "")
    print(f"total {out['requests_per_s']:.0f} requests/s; world polls {polls / out['bots']:.2f} per bot per s "
          f"(the script asks for {1 / POLL_EVERY_S:.2f}){late}; decisions after a poll: "
          + ", ".join(f"{kk} {v}" for kk, v in out["decisions"].items()))
    sv = out["server"]
    if sv["cpu_pct"] is not None:
        print(f"server pid {sv['pid']}: CPU {sv['cpu_pct']:.0f} % of one core over the measured window "
              f"(peak 1 s {sv['cpu_pct_peak_1s']:.0f} %), RSS {sv['rss_mb_before']:.0f} MB before the load, "
              f"{sv['rss_mb']:.0f} MB at the end")
    else:
        print("server CPU: unknown (give --server-pid with --url)")
    if sv.get("cpu_wait_pct") is not None:
        print(f"server main thread waited for a CPU (runnable, not running) {sv['cpu_wait_pct']:.0f} % of the window "
              f"(/proc/<pid>/schedstat): the share other processes took from it")
    if sv.get("cpu_ms_per_request"):
        print(f"server CPU per request at this mix: {sv['cpu_ms_per_request']:.2f} ms, so one core serves about "
              f"{sv['requests_per_s_per_core']:.0f} requests/s of it")
    if sv["ticks_per_s"] is not None:
        print(f"game ticks during the window: {sv['ticks_per_s']:.1f} per s (the server aims at 20; "
              f"from the tick counter of /health/ready at both ends)")
    g = out.get("server_gc")
    if g:
        parts = []
        for gen, v in g["by_generation"].items():
            longest = f", longest {v['longest_ms']:.0f} ms" if v["longest_ms"] is not None else ""
            parts.append(f"gen{gen} {v['collections']} x {v['seconds'] * 1000:.0f} ms{longest}")
        frozen = f"; {g['frozen_objects']:,} objects frozen after setup" if g["frozen_objects"] else ""
        print(f"server GC in the window: {g['seconds']:.2f} s ({g['seconds'] / g['window_s'] * 100:.1f} % of the "
              f"wall time): " + "; ".join(parts) + frozen)
    for w in out["workers"]:
        if "error" in w:
            print(f"worker {w['wid']}: ERROR {w['error']}")
            continue
        lag = w["loop_lag_ms"]
        waited = f", waited for a CPU {w['cpu_wait_pct']:.0f} %" if w.get("cpu_wait_pct") is not None else ""
        print(f"worker {w['wid']}: {w['bots']} bots ({w['connected']} connected), "
              f"CPU {w['cpu_pct']:.0f} % of one core{waited}, "
              f"event-loop lag p50 {lag['p50']:.1f} ms, p99 {lag['p99']:.1f} ms, max {lag['max']:.1f} ms"
              + (f", {w['unfinished']} bots cancelled at the end" if w["unfinished"] else ""))
    verdicts = []
    for name, v in out["routes"].items():
        verdicts.append(f"{name} {v['p99']:.0f} ms {'ok' if v['p99'] <= TARGET_P99_MS else 'MISS'}")
    every = all(v["p99"] <= TARGET_P99_MS for v in out["routes"].values())
    print(f"target p99 <= {TARGET_P99_MS:.0f} ms per route: {'meets' if every else 'MISSES'} ({'; '.join(verdicts)})")


def print_profile(path: str, top: int) -> None:
    for key in ("tottime", "cumulative"):
        buf = io.StringIO()
        pstats.Stats(path, stream=buf).sort_stats(key).print_stats(top)
        text = buf.getvalue().replace(ROOT + os.sep, "")
        start = text.find("   ncalls")
        print(f"\n--- server cProfile (the whole run, setup included), top {top} by {key} ---")
        print(text[max(start, 0):].rstrip())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bots", type=int, default=500)
    ap.add_argument("--duration", type=float, default=60.0, help="measured seconds")
    ap.add_argument("--warmup", type=float, default=5.0, help="seconds of load before measuring")
    ap.add_argument("--procs", type=int, default=2, help="load-generator worker processes")
    ap.add_argument("--seed", type=int, default=7, help="seed of the bots' choices and of the server's world")
    ap.add_argument("--pacing", choices=("fixed", "sleep"), default="fixed",
                    help="fixed: each bot polls on its own 1 s schedule (default); sleep: 1 s sleep after each round")
    ap.add_argument("--url", help="use a running server at http://127.0.0.1:PORT instead of starting one")
    ap.add_argument("--server-pid", type=int, help="with --url: the server's pid, for its CPU and RSS")
    ap.add_argument("--server-gc", choices=("off", "stats", "freeze"), default="off",
                    help="stats: time the server's garbage collections (through a launcher, server code untouched); "
                         "freeze: also gc.collect() + gc.freeze() in the server after setup (an experiment)")
    ap.add_argument("--profile-server", metavar="FILE",
                    help="run the server under cProfile (twistd --profile FILE --profiler cprofile --savestats)")
    k.add_common_args(ap)
    args = ap.parse_args()
    args.bots = max(1, args.bots)
    args.procs = max(1, min(args.procs, args.bots))
    args.duration = max(1.0, args.duration)
    args.warmup = max(2.5, args.warmup)  # every bot's jittered start, its mode call and first poll fall into warm-up
    if args.url and (args.profile or args.profile_server or args.server_gc != "off"):
        print("note: --profile, --profile-server and --server-gc need the bench to start the server; ignored with --url")
    started = time.monotonic()
    out = run(args)
    out["took_s"] = time.monotonic() - started
    report(out, args)
    if out.get("profile") and args.profile:
        print_profile(out["profile"], args.profile)
        if not args.profile_server:
            os.remove(out["profile"])  # a temporary file of this run
    elif out.get("profile"):
        print(f"server profile saved to {out['profile']} (read it with pstats, or add --profile N)")
    print(f"bench took {out['took_s']:.0f} s")
    if args.json:
        k.emit_json(out)


if __name__ == "__main__":
    main()
