"""The parent process of a load test: check the target, plan the clients, start the workers,
show live progress, scrape the server's /metrics, and collect everything for the report.

Problems with the target (unreachable, not a Clawtown server, tokens refused) raise
`LoadTestError` with a one-line reason before any load is sent.
"""

from __future__ import annotations

import asyncio
import ipaddress
import math
import multiprocessing as mp
import queue as queue_mod
import random
import socket
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

import orjson

from . import promtext
from .http import Http, HttpError, json_of, retry_ms
from .options import Options
from .stats import Timeline
from .worker import CLOSE_GRACE_S, ClientSpec, worker_main

PREFLIGHT_TIMEOUT_S = 5.0
READY_TIMEOUT_S = 60.0
START_DELAY_S = 0.5
SCRAPE_TIMEOUT_S = 2.0
PER_ADDRESS = {"player": 8, "bot-link": 8, "bot-spawn": 3}
"""Clients made from one source address: under the server's per-address bursts (10 players per
6 s, 10 links per 2 s, 3 spawns per 20 s), so setup never waits on a 429 when addresses can be
spread over 127.0.0.0/8."""


class LoadTestError(Exception):
    """The load test cannot run (or went wrong); the message is one line for the operator."""


# ---- the target --------------------------------------------------------------------------------
def is_loopback(host: str) -> bool:
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return False
    return bool(infos) and all(ipaddress.ip_address(i[4][0]).is_loopback for i in infos)


def source_block(opts: Options, groups: int, rng: random.Random | None = None) -> list[str] | None:
    """Distinct loopback source addresses for `groups` client groups, or None when the target is
    not on loopback IPv4 or this system cannot bind them (then setup is paced by the server's 429s).

    The block changes from run to run (127.R.x.y with a random R), so a server reused between runs
    does not hold earlier runs' per-address buckets against this one."""
    if groups <= 0 or not is_loopback(opts.host):
        return None
    try:
        if ipaddress.ip_address(socket.gethostbyname(opts.host)).version != 4:
            return None
    except (OSError, ValueError):
        return None
    rng = rng or random.Random()
    first = rng.randrange(2, 250)
    addresses = [f"127.{first}.{1 + i // 250}.{1 + i % 250}" for i in range(groups)]
    if len(addresses) > 250 * 250:
        return None
    try:
        with socket.socket() as s:
            s.bind((addresses[-1], 0))
    except OSError:
        return None
    return addresses


def plan_clients(opts: Options, sources: list[str] | None) -> list[list[ClientSpec]]:
    """Every client's kind, index, start offset and source address, dealt out to the workers.

    Players and bots are interleaved and start evenly over the ramp. Players are dealt to the
    workers round-robin, and so are bots, so every worker gets its share of each kind and ramps
    up at the same pace."""
    order = []
    p = b = 0
    total = opts.clients
    for i in range(total):
        # interleave in proportion: the next client is a player while players are behind their share
        if b >= opts.bots or (p < opts.players and p * opts.clients <= i * opts.players):
            order.append(("player", p))
            p += 1
        else:
            order.append(("bot", b))
            b += 1
    per = PER_ADDRESS["player"]
    bot_per = PER_ADDRESS["bot-spawn" if opts.bot_join == "spawn" else "bot-link"]
    player_groups = math.ceil(opts.players / per)
    plans: list[list[ClientSpec]] = [[] for _ in range(opts.procs)]
    for i, (kind, index) in enumerate(order):
        source = None
        if sources:
            group = index // per if kind == "player" else player_groups + index // bot_per
            source = sources[group]
        offset = opts.ramp * i / total if total > 1 else 0.0
        wid = (index if kind == "player" else index + opts.players) % opts.procs
        plans[wid].append(ClientSpec(kind, index, offset, source))
    return plans


def address_groups(opts: Options) -> int:
    bot_per = PER_ADDRESS["bot-spawn" if opts.bot_join == "spawn" else "bot-link"]
    return math.ceil(opts.players / PER_ADDRESS["player"]) + math.ceil(opts.bots / bot_per) + 1


def _unreachable(opts: Options, err: HttpError) -> LoadTestError:
    where = opts.http_base
    reason = {"refused": "connection refused (is the server running?)", "dns": "unknown host",
              "timeout": f"no answer within {PREFLIGHT_TIMEOUT_S:g} s", "reset": "the connection was closed",
              "tls": "TLS handshake failed"}.get(err.kind, err.detail or err.kind)
    return LoadTestError(f"cannot reach the server at {where}: {reason}")


async def _setup_call(opts: Options, http: Http, method: str, path: str, body=None, token=None):
    for _ in range(6):
        try:
            status, data = await http.call(method, path, body, token)
        except HttpError as err:
            raise _unreachable(opts, err) from None
        if status not in (429, 503):
            return status, data
        await asyncio.sleep(min(5.0, retry_ms(data) / 1000.0))
    return status, data


def _refusal(data: bytes) -> str:
    body = json_of(data) or {}
    return str(body.get("error") or "no reason given")


async def _preflight(opts: Options, source: str | None) -> dict:
    """Is the target a Clawtown server that takes new players (and bots), with working tokens?"""
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

    http = Http(opts.host, opts.port, tls=opts.scheme == "https", source=source, timeout=PREFLIGHT_TIMEOUT_S,
                base_path=opts.base_path)
    try:
        try:
            status, data = await http.call("GET", "/api/health")
        except HttpError as err:
            raise _unreachable(opts, err) from None
        body = json_of(data)
        if status != 200 or not body or body.get("ok") is not True:
            raise LoadTestError(f"{opts.http_base} is not a Clawtown server: /api/health answered HTTP {status}"
                                + ("" if body else " without JSON") + ", not {\"ok\": true}")
        info: dict = {"health": body}
        if opts.players or opts.bot_join == "link":
            status, data = await _setup_call(opts, http, "POST", "/api/players", {"name": "LoadProbe", "job": "novice"})
            made = json_of(data) or {}
            if status != 200 or not made.get("sessionToken"):
                raise LoadTestError(f"the server refused to create a player: HTTP {status} {_refusal(data)}")
            token = made["sessionToken"]
            if opts.players:
                uri = f"{opts.ws_base}/ws?token={token}"
                extra = {"local_addr": (source, 0)} if source else {}
                try:
                    async with connect(uri, open_timeout=PREFLIGHT_TIMEOUT_S, close_timeout=2, ping_interval=None,
                                       compression=None, proxy=None, max_size=4 * 1024 * 1024, **extra) as ws:
                        first = orjson.loads(await asyncio.wait_for(ws.recv(decode=False), PREFLIGHT_TIMEOUT_S))
                except ConnectionClosed as err:
                    code = err.rcvd.code if err.rcvd is not None else None
                    if code == 4001:
                        raise LoadTestError("the server refused the session token it had just issued "
                                            "(WebSocket closed 4001)") from None
                    raise LoadTestError(f"the WebSocket at {opts.ws_base}/ws closed before hello (code {code})") \
                        from None
                except (OSError, asyncio.TimeoutError, InvalidHandshake, InvalidURI) as err:
                    raise LoadTestError(f"cannot open the WebSocket at {opts.ws_base}/ws: "
                                        f"{str(err) or type(err).__name__}") from None
                if first.get("t") == "error" and first.get("code") == "auth_failed":
                    raise LoadTestError(f"the server refused the session token it had just issued: "
                                        f"{first.get('message', 'auth failed')}")
                if first.get("t") != "hello":
                    raise LoadTestError(f"the WebSocket at {opts.ws_base}/ws did not say hello (got {first.get('t')!r})")
                info["protocol"] = first.get("v")
                info["server"] = first.get("server")
        if opts.bots:
            if opts.bot_join == "spawn":
                status, data = await _setup_call(opts, http, "POST", "/api/bot/spawn", {"name": "LoadProbeBot"})
            else:
                status, data = await _setup_call(opts, http, "POST", "/api/join-codes", {}, token)
                if status == 401:
                    raise LoadTestError("the server refused the session token it had just issued "
                                        "(POST /api/join-codes answered 401)")
                code = (json_of(data) or {}).get("joinCode")
                if status != 200 or not code:
                    raise LoadTestError(f"the server refused a join code: HTTP {status} {_refusal(data)}")
                status, data = await _setup_call(opts, http, "POST", "/api/bot/link", {"joinCode": code})
            bot_token = (json_of(data) or {}).get("botToken")
            if status != 200 or not bot_token:
                raise LoadTestError(f"the server refused to make a bot: HTTP {status} {_refusal(data)}")
            status, data = await _setup_call(opts, http, "GET", "/api/bot/me", token=bot_token)
            if status in (401, 403):
                raise LoadTestError(f"the server refused the bot token it had just issued (HTTP {status})")
            if status != 200:
                raise LoadTestError(f"GET /api/bot/me answered HTTP {status}: {_refusal(data)}")
        return info
    finally:
        http.close()


def preflight(opts: Options, source: str | None = None) -> dict:
    return asyncio.run(_preflight(opts, source))


# ---- the server's /metrics ---------------------------------------------------------------------
class MetricsPoller(threading.Thread):
    """Scrapes {url}/metrics about once a second; keeps (t, extracted figures) per scrape."""

    def __init__(self, opts: Options, t0: float) -> None:
        super().__init__(name="metrics", daemon=True)
        self.url = f"{opts.http_base}/metrics"
        self.t0 = t0
        self.scrapes: list[tuple[float, dict]] = []
        self.missing: str | None = None
        self.failures = 0
        self.halt = threading.Event()
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # the target only

    def scrape(self) -> tuple[float, dict] | None:
        try:
            with self.opener.open(self.url, timeout=SCRAPE_TIMEOUT_S) as resp:
                text = resp.read(8 * 1024 * 1024).decode("utf-8", "replace")
        except urllib.error.HTTPError as err:
            if not self.scrapes:
                self.missing = f"/metrics answered HTTP {err.code}"
            self.failures += 1
            return None
        except (OSError, ValueError) as err:
            self.failures += 1
            if not self.scrapes and self.missing is None:
                self.missing = f"/metrics could not be read ({type(err).__name__})"
            return None
        try:
            figures = promtext.extract(promtext.parse(text))
        except promtext.MetricsFormatError as err:
            if not self.scrapes:
                self.missing = f"/metrics is not in the Prometheus text format ({err})"
            self.failures += 1
            return None
        got = (time.monotonic() - self.t0, figures)
        self.scrapes.append(got)
        self.missing = None
        return got

    def run(self) -> None:
        """One scrape now (before any client starts), then at 0.5, 1.5, 2.5 … s on the run's clock:
        half-way between the clients' whole-second ticks, clear of the ramp's end and the close."""
        for k in range(10**7):  # until halted
            if self.halt.is_set():
                return
            self.scrape()
            if self.missing and k >= 2 and not self.scrapes:
                return  # not exported: stop asking
            delay = self.t0 + k + 0.5 - time.monotonic()
            if delay > 0 and self.halt.wait(delay):
                return

    def nearest(self, t: float) -> tuple[float, dict] | None:
        if not self.scrapes:
            return None
        return min(self.scrapes, key=lambda s: abs(s[0] - t))

    def stop(self) -> None:
        self.halt.set()
        if self.is_alive():
            self.join(timeout=SCRAPE_TIMEOUT_S + 1)


# ---- the run -----------------------------------------------------------------------------------
@dataclass
class Run:
    """Everything a run collected, for the report."""

    opts: Options
    started_at: float = 0.0
    wall_s: float = 0.0
    timeline: Timeline | None = None
    workers: dict = field(default_factory=dict)
    pids: dict = field(default_factory=dict)
    scrapes: list = field(default_factory=list)
    metrics_missing: str | None = None
    preflight: dict = field(default_factory=dict)
    sources: int = 0
    interrupted: bool = False
    stopped_at: float | None = None
    """Seconds after the start when the run was interrupted (None: it ran its course)."""
    parent_cpu_s: float = 0.0


def execute(opts: Options, on_progress=None) -> Run:
    """Run the load test; `on_progress(run, phase, t)` is called a few times a second (live view)."""
    sources = source_block(opts, address_groups(opts))
    probe_source = sources[-1] if sources else None
    info = preflight(opts, probe_source)
    plans = plan_clients(opts, sources)
    run = Run(opts=opts, preflight=info, sources=len(sources or ()), started_at=time.time())
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    go, stop = ctx.Event(), ctx.Event()
    start_wall = ctx.Value("d", 0.0)
    procs = [ctx.Process(target=worker_main, args=(wid, opts, plan, opts.seed, queue, go, start_wall, stop),
                         name=f"loadtest-worker-{wid}", daemon=True) for wid, plan in enumerate(plans)]
    timeline = run.timeline = Timeline(len(procs))
    cpu0 = time.process_time()
    poller = None
    try:
        for p in procs:
            p.start()
        ready: set[int] = set()
        deadline = time.monotonic() + READY_TIMEOUT_S
        while len(ready) < len(procs):
            left = deadline - time.monotonic()
            if left <= 0:
                raise LoadTestError(f"only {len(ready)} of {len(procs)} load-generator workers started "
                                    f"within {READY_TIMEOUT_S:g} s")
            try:
                msg = queue.get(timeout=min(left, 0.5))
            except queue_mod.Empty:
                dead = [p for p in procs if p.exitcode is not None]
                if dead:
                    raise LoadTestError(f"load-generator worker {dead[0].name} exited with {dead[0].exitcode}")
                continue
            if msg[0] == "ready":
                ready.add(msg[1])
                run.pids[msg[1]] = msg[2]
            elif msg[0] == "done":
                raise LoadTestError(f"load-generator worker {msg[1]} failed: {msg[2].get('error', 'unknown')}")
        t0 = time.monotonic() + START_DELAY_S
        start_wall.value = time.time() + START_DELAY_S
        go.set()
        poller = MetricsPoller(opts, t0)
        poller.start()
        end = t0 + opts.ramp + opts.duration
        hard_end = end + CLOSE_GRACE_S + 20.0
        done: set[int] = set()
        last_view = 0.0
        for _ in range(10**8):  # bounded by hard_end
            if len(done) >= len(procs) or time.monotonic() > hard_end:
                break
            try:
                try:
                    msg = queue.get(timeout=0.1)
                except queue_mod.Empty:
                    msg = None
                if msg is not None:
                    if msg[0] == "tick":
                        timeline.add(msg[1], msg[2], msg[3])
                    elif msg[0] == "done":
                        done.add(msg[1])
                        run.workers[msg[1]] = msg[2]
                if not msg or time.monotonic() - last_view >= 0.25:
                    last_view = time.monotonic()
                    for wid, p in enumerate(procs):
                        if wid not in done and p.exitcode not in (None, 0):
                            done.add(wid)
                            run.workers[wid] = {"error": f"exited with {p.exitcode}"}
                    if on_progress is not None:
                        now = time.monotonic()
                        phase = "ramp" if now < t0 + opts.ramp else "run" if now < end else "closing"
                        on_progress(run, phase, now - t0, poller)
            except KeyboardInterrupt:
                if run.interrupted:
                    break
                run.interrupted = True
                run.stopped_at = max(0.0, time.monotonic() - t0)
                stop.set()
                hard_end = min(hard_end, time.monotonic() + CLOSE_GRACE_S + 5.0)
        run.wall_s = time.monotonic() - t0
    finally:
        stop.set()
        if poller is not None:
            poller.stop()
            run.scrapes = poller.scrapes
            run.metrics_missing = poller.missing
        for p in procs:
            if p.pid is not None:
                p.join(timeout=3.0)
        for p in procs:
            if p.is_alive():
                p.terminate()
                p.join(timeout=2.0)
        queue.close()
        queue.cancel_join_thread()
        run.parent_cpu_s = time.process_time() - cpu0
    return run

