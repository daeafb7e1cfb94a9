"""One load-generator worker process: an asyncio loop running its share of the clients.

The parent starts P workers (multiprocessing, spawn context) and gives each a list of clients:
(kind, index, start offset in seconds, source address). A worker says it is ready, waits for
the common start time, runs its clients, and every second puts its tally of that second on the
parent's queue: ("tick", wid, second, Tally). It ends with ("done", wid, info) after its clients
closed (or were cancelled a few seconds after the run's end). The parent's stop event ends the
run early; SIGINT is left to the parent.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
import traceback
from dataclasses import dataclass
from random import Random

from .clients import Bot, Ctx, Player
from .options import Options
from .stats import Tally

CLOSE_GRACE_S = 5.0
"""After the run's end, how long clients get to close before they are cancelled."""
LAG_STEP_S = 0.05


@dataclass(frozen=True)
class ClientSpec:
    kind: str  # "player" | "bot"
    index: int
    offset: float  # seconds after the start
    source: str | None


def raise_fd_limit(wanted: int) -> int:
    """Raise the soft open-files limit toward `wanted` (up to the hard limit); returns the new soft limit."""
    try:
        import resource
    except ImportError:  # not on this platform
        return wanted
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if target > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            return target
        except (ValueError, OSError):
            return soft
    return soft


def worker_main(wid: int, opts: Options, clients: list[ClientSpec], seed: int, queue, go, start_wall,
                stop) -> None:
    """Process entry point (must stay importable for the spawn context)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        raise_fd_limit(len(clients) * 2 + 64)
        asyncio.run(_main(wid, opts, clients, seed, queue, go, start_wall, stop))
    except BaseException as err:  # noqa: BLE001 - the parent must hear of it, whatever it is
        queue.put(("done", wid, {"error": f"{type(err).__name__}: {err}", "trace": traceback.format_exc()[-2000:]}))


async def _main(wid: int, opts: Options, clients: list[ClientSpec], seed: int, queue, go, start_wall, stop) -> None:
    queue.put(("ready", wid, os.getpid()))
    for _ in range(1200):  # the parent starts everyone together once all workers are ready (≤ 60 s)
        if go.is_set() or stop.is_set():
            break
        await asyncio.sleep(0.05)
    if stop.is_set() or not go.is_set():
        queue.put(("done", wid, {"clients": len(clients), "cancelled": 0, "aborted": True}))
        return
    start = time.monotonic() + (start_wall.value - time.time())
    tally = Tally()
    ctx = Ctx(opts, tally, start)
    rng = Random(f"{seed}:{wid}")
    made = []
    for spec in clients:
        cls = Player if spec.kind == "player" else Bot
        made.append(cls(ctx, spec.index, spec.source, Random(rng.random())))
    tasks = [asyncio.ensure_future(c.run(start + spec.offset)) for c, spec in zip(made, clients)]
    lag = asyncio.ensure_future(_loop_lag(ctx))
    everyone = asyncio.ensure_future(asyncio.wait(tasks))
    cpu_before = time.process_time()
    second = 0
    cancelled = 0
    deadline_steps = int((ctx.end - time.monotonic()) + CLOSE_GRACE_S) + 3
    for _ in range(max(deadline_steps, 1)):
        second += 1
        at = start + second
        delay = at - time.monotonic()
        if delay > 0:
            await asyncio.wait([everyone], timeout=delay)
        if stop.is_set() and not ctx.stopped.is_set():
            ctx.stop()
        cpu_now = time.process_time()
        _report(queue, wid, second, ctx, cpu_now - cpu_before)
        cpu_before = cpu_now
        if everyone.done():
            break
        if time.monotonic() > ctx.end + CLOSE_GRACE_S:
            ctx.stop()
            break
    pending = [t for t in tasks if not t.done()]
    for t in pending:
        t.cancel()
    cancelled = len(pending)
    if pending:
        await asyncio.wait(pending, timeout=2.0)
    lag.cancel()
    everyone.cancel()
    failures = [t.exception() for t in tasks if t.done() and not t.cancelled() and t.exception() is not None]
    for err in failures:
        tally.error(f"generator: {type(err).__name__}")
    cpu_now = time.process_time()
    _report(queue, wid, second + 1, ctx, cpu_now - cpu_before)
    queue.put(("done", wid, {"clients": len(clients), "cancelled": cancelled,
                             "crashes": [f"{type(e).__name__}: {e}" for e in failures[:3]]}))


def _report(queue, wid: int, second: int, ctx: Ctx, cpu_s: float) -> None:
    tally = ctx.tally
    tally.count("player_seconds", ctx.players_connected)
    tally.count("bot_seconds", ctx.bots_active)
    tally.cpu_s = cpu_s
    tally.gauges = ctx.gauges()
    queue.put(("tick", wid, second, tally.take()))


async def _loop_lag(ctx: Ctx) -> None:
    """How late this worker's loop wakes a 50 ms sleep: if it is late, the generator is the bottleneck."""
    steps = int((ctx.end - time.monotonic() + CLOSE_GRACE_S) / LAG_STEP_S) + 2
    for _ in range(max(steps, 1)):
        before = time.monotonic()
        await asyncio.sleep(LAG_STEP_S)
        ctx.tally.observe("loop_lag", max(0.0, (time.monotonic() - before - LAG_STEP_S) * 1000.0))
