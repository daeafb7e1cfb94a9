"""The simulated clients of one worker process: browser players over the WebSocket, bots over REST.

Each client is one asyncio task. It waits for its start time (the ramp), makes its character,
connects, behaves as its scenario says until the run's end, and closes cleanly. Everything it
sees goes into the worker's `Tally` (see stats.py for the names). Every loop is bounded by the
run's end time and an iteration cap; a stop request ends all of them early.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from random import Random

import orjson
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.protocol import State

from ..wire.viewmodel import ViewModel
from . import scenarios
from .http import Http, HttpError, json_of, retry_ms
from .options import Options
from .stats import Tally

SETUP_TRIES = 12
"""Tries of one setup call (create, join code, link, mode) when the server answers 429/503."""
MAX_WAIT_S = 5.0
"""The longest a client waits on a 429/503 hint before trying again."""
CONNECT_TIMEOUT_S = 10.0
CLOSE_TIMEOUT_S = 2.0
MAX_PENDING_ACKS = 64
RECONNECTS = 3
BOT_POLL_S = 1.0
BOT_THOUGHT_S = 10.0
BOT_EVENTS_S = 5.0
WS_MAX_SIZE = 4 * 1024 * 1024
ACKED = frozenset(("cast", "chat"))
"""Frames sent with a `seq`, as the browser does: their ack latency is measured (`ws:<type>`)."""


class Stopped(Exception):
    """The run ended while the client was still setting up."""


class Ctx:
    """What the clients of one worker share: options, the tally, the run's clock and stop flag."""

    def __init__(self, opts: Options, tally: Tally, start: float) -> None:
        self.opts = opts
        self.tally = tally
        self.start = start
        self.end = start + opts.ramp + opts.duration
        self.stopped = asyncio.Event()
        self.players_connected = 0
        self.bots_active = 0
        self.players_failed = 0
        self.bots_failed = 0
        self.players_started = 0
        self.bots_started = 0
        self.instances: Counter = Counter()

    def setup_failed(self, kind: str) -> None:
        """A client that never got going: failed, unless the run ended (or was stopped) meanwhile."""
        if self.stopped.is_set() or self.over():
            if kind == "player":
                self.players_started -= 1
            else:
                self.bots_started -= 1
            return
        if kind == "player":
            self.players_failed += 1
        else:
            self.bots_failed += 1

    def stop(self) -> None:
        self.end = min(self.end, time.monotonic())
        self.stopped.set()

    def over(self) -> bool:
        return time.monotonic() >= self.end

    async def sleep_until(self, t: float) -> bool:
        """Sleep until monotonic time `t` or the stop; True if the run is still on afterwards."""
        delay = t - time.monotonic()
        if delay > 0.5:  # a long wait (the ramp, a back-off) ends at once on a stop
            try:
                await asyncio.wait_for(self.stopped.wait(), delay)
            except asyncio.TimeoutError:
                pass
        elif delay > 0:  # a step: a plain sleep is much cheaper, and a stop is seen next step
            await asyncio.sleep(delay)
        return not self.stopped.is_set() and time.monotonic() < self.end

    def http(self, source: str | None) -> Http:
        o = self.opts
        return Http(o.host, o.port, tls=o.scheme == "https", source=source, base_path=o.base_path)

    def gauges(self) -> dict[str, float]:
        g = {"players_connected": self.players_connected, "bots_active": self.bots_active,
             "players_failed": self.players_failed, "bots_failed": self.bots_failed,
             "players_started": self.players_started, "bots_started": self.bots_started}
        for key, n in self.instances.items():
            if n:
                g[f"in:{key}"] = n
        return g


async def rest(ctx: Ctx, http: Http, route: str, method: str, path: str, body=None, token: str | None = None,
               setup: bool = False) -> tuple[int | None, bytes]:
    """One REST call, counted under `route`. 429/503 are waited out (setup calls try again)."""
    tally = ctx.tally
    for _ in range(SETUP_TRIES if setup else 1):
        started = time.monotonic()
        try:
            status, data = await http.call(method, path, body, token)
        except HttpError as err:
            tally.error(f"{route}: {err.kind}")
            if setup and err.kind in ("reset", "timeout") and not ctx.over():
                await ctx.sleep_until(time.monotonic() + 0.5)
                continue
            return None, b""
        tally.observe(f"rest:{route}", (time.monotonic() - started) * 1000.0)
        tally.count("rest_requests")
        tally.count("rest_bytes", len(data))
        if status in (429, 503):
            tally.error(f"{route}: HTTP {status}")
            wait = min(MAX_WAIT_S, max(0.05, retry_ms(data) / 1000.0))
            if setup:
                tally.count("setup_waits")
                if await ctx.sleep_until(time.monotonic() + wait):
                    continue
                return status, data
            await ctx.sleep_until(time.monotonic() + wait)  # a polite bot waits as told
            return status, data
        if status >= 400:
            tally.error(f"{route}: HTTP {status}")
        return status, data
    return None, b""


async def create_player(ctx: Ctx, http: Http, name: str, job: str) -> dict:
    status, data = await rest(ctx, http, "players", "POST", "/api/players", {"name": name, "job": job}, setup=True)
    body = json_of(data) or {}
    if status != 200 or not body.get("sessionToken"):
        raise Stopped(f"players: {status}")
    return body


# ---- a browser player -----------------------------------------------------------------------
class Player:
    """One browser tab: POST /api/players, then /ws?token=…, a ViewModel, and a person's inputs."""

    def __init__(self, ctx: Ctx, index: int, source: str | None, rng: Random) -> None:
        self.ctx = ctx
        self.index = index
        self.source = source
        self.rng = rng
        self.model = ViewModel()
        self.map_info: dict | None = None
        self.player_id = ""
        self.instance = ""
        self.seq = 0
        self.pending: dict[int, tuple[str, float]] = {}
        self.last_sync: float | None = None
        self.last_tk: int | None = None
        self.round_ticks = 2

    async def run(self, start_at: float) -> None:
        ctx = self.ctx
        if not await ctx.sleep_until(start_at):
            return
        ctx.players_started += 1
        http = ctx.http(self.source)
        try:
            made = await create_player(ctx, http, f"Load{self.index:05d}", "novice")
        except Stopped:
            ctx.setup_failed("player")
            return
        finally:
            http.close()
        self.player_id = made.get("playerId", "")
        token = made["sessionToken"]
        connected_once = False
        for attempt in range(RECONNECTS + 1):
            if ctx.over():
                break
            outcome = await self.session(token)
            if outcome == "connected-ended":
                connected_once = True
                break
            if outcome == "dropped":
                connected_once = True
            if outcome == "refused":
                break
            if not await ctx.sleep_until(time.monotonic() + min(4.0, 0.5 * 2 ** attempt)):
                break
        if not connected_once:
            ctx.setup_failed("player")

    async def session(self, token: str) -> str:
        """One WebSocket session: 'connected-ended' (ran to the end), 'dropped', 'failed' or 'refused'."""
        ctx, tally, opts = self.ctx, self.ctx.tally, self.ctx.opts
        uri = f"{opts.ws_base}/ws?token={token}"
        extra = {"local_addr": (self.source, 0)} if self.source else {}
        started = time.monotonic()
        try:
            ws = await connect(uri, open_timeout=CONNECT_TIMEOUT_S, close_timeout=CLOSE_TIMEOUT_S,
                               ping_interval=None, max_size=WS_MAX_SIZE, max_queue=256, compression=None,
                               proxy=None, user_agent_header="clawtown-loadtest", **extra)
        except (OSError, asyncio.TimeoutError, InvalidHandshake, InvalidURI) as err:
            tally.error(f"ws: connect {_short(err)}")
            return "failed"
        try:
            try:
                first = await asyncio.wait_for(ws.recv(decode=False), CONNECT_TIMEOUT_S)
            except (ConnectionClosed, asyncio.TimeoutError) as err:
                code = getattr(getattr(err, "rcvd", None), "code", None)
                tally.error(f"ws: closed {code}" if code else "ws: no hello")
                return "refused" if code == 4001 else "failed"
            msg = orjson.loads(first)
            if msg.get("t") != "hello":
                code = msg.get("code") or msg.get("t")
                tally.error(f"ws: {code} instead of hello")
                return "refused" if code == "auth_failed" else "failed"
            tally.observe("connect:ws hello", (time.monotonic() - started) * 1000.0)
            self.received(first, msg, time.monotonic())
            self.last_sync = None
            ctx.players_connected += 1
            reader = asyncio.ensure_future(self.read(ws))
            try:
                await self.act(ws)
                return "dropped" if reader.done() and not ctx.over() else "connected-ended"
            finally:
                ctx.players_connected -= 1
                self.set_instance("")
                await self.close(ws)  # the reader keeps reading, so the server's close frame gets through
                try:
                    await asyncio.wait_for(reader, 1.0)
                except (asyncio.TimeoutError, asyncio.CancelledError):
                    pass
        finally:
            if ws.state is not State.CLOSED:
                await self.close(ws)

    async def close(self, ws) -> None:
        try:
            await asyncio.wait_for(ws.close(), CLOSE_TIMEOUT_S + 1)
        except (OSError, asyncio.TimeoutError, ConnectionClosed):
            self.ctx.tally.error("ws: unclean close")

    def set_instance(self, key: str) -> None:
        if self.instance:
            self.ctx.instances[self.instance] -= 1
        self.instance = key
        if key:
            self.ctx.instances[key] += 1

    async def read(self, ws) -> None:
        tally = self.ctx.tally
        try:
            for _ in range(10**9):  # ends when the socket closes (at the end of the run at the latest)
                raw = await ws.recv(decode=False)
                now = time.monotonic()
                try:
                    msg = orjson.loads(raw)
                except orjson.JSONDecodeError:
                    tally.error("ws: bad json from server")
                    continue
                self.received(raw, msg, now)
        except ConnectionClosed as err:
            if not self.ctx.over():
                code = err.rcvd.code if err.rcvd is not None else 1006
                tally.error(f"ws: closed {code}")

    def received(self, raw: bytes, msg: dict, now: float) -> None:
        tally = self.ctx.tally
        n = len(raw)
        tally.count("ws_in_msgs")
        tally.count("ws_in_bytes", n)
        t = msg.get("t")
        if t == "sync":
            tally.count("sync_msgs")
            tally.count("sync_bytes", n)
            tk = msg.get("tk")
            # only frames of consecutive rounds: a round with nothing in view to tell sends nothing
            last = self.last_tk
            consecutive = isinstance(tk, int) and isinstance(last, int) and tk - last <= self.round_ticks
            if self.last_sync is not None and consecutive:
                tally.observe("update_interval", (now - self.last_sync) * 1000.0)
            self.last_sync, self.last_tk = now, tk
        elif t in ("hello", "enter"):
            self.map_info = msg.get("map") or self.map_info
            inst = msg.get("instance") or {}
            self.set_instance(str(inst.get("key") or inst.get("map") or "?"))
            server = msg.get("server") or {}
            if server.get("tickHz") and server.get("syncHz"):
                self.round_ticks = max(1, round(server["tickHz"] / server["syncHz"]))
            self.last_sync = None
        elif t == "ack":
            sent = self.pending.pop(msg.get("re"), None)
            if sent is not None:
                tally.observe(f"ws:{sent[0]}", (now - sent[1]) * 1000.0)
                if msg.get("ok") is False:
                    tally.count(f"refused:{sent[0]}")
        elif t == "error":
            if msg.get("re") is not None:
                self.pending.pop(msg.get("re"), None)
            tally.error(f"ws: error {msg.get('code')}")
        try:
            self.model.apply(msg, now)
        except (ValueError, KeyError, TypeError) as err:
            tally.error(f"ws: view model ({type(err).__name__})")

    async def act(self, ws) -> None:
        ctx, tally, opts = self.ctx, self.ctx.tally, self.ctx.opts
        rng = self.rng
        t0 = time.monotonic() + rng.uniform(0.0, scenarios.STEP_S)
        plan = scenarios.start_plan(opts.scenario, t0, rng)
        steps = int((ctx.end - t0) / scenarios.STEP_S) + 2
        step = 0
        hunting = opts.scenario == "hunt"
        for _ in range(steps):
            at = t0 + step * scenarios.STEP_S
            if not await ctx.sleep_until(at):
                return
            now = time.monotonic()
            step = max(step + 1, int((now - t0) / scenarios.STEP_S) + 1)  # no catch-up bursts when late
            if ws.state is not State.OPEN:
                return
            sight = scenarios.sight_of(self.model, self.player_id, self.map_info, monsters=hunting,
                                       tick=self.model.tick_at(now))
            for frame in scenarios.decide(opts.scenario, plan, sight, now, rng):
                kind = frame["t"]
                if kind in ACKED:
                    self.seq += 1
                    frame["seq"] = self.seq
                    self.pending[self.seq] = (kind, time.monotonic())
                    if len(self.pending) > MAX_PENDING_ACKS:
                        self.pending.pop(next(iter(self.pending)))
                        tally.error("ws: ack missing")
                data = orjson.dumps(frame)
                try:
                    await ws.send(data, text=True)
                except ConnectionClosed:
                    return
                tally.count("ws_out_msgs")
                tally.count("ws_out_bytes", len(data))


# ---- a bot ------------------------------------------------------------------------------------
class Bot:
    """One bot program over REST: made by join code (or spawn), agent mode, then the example loop."""

    def __init__(self, ctx: Ctx, index: int, source: str | None, rng: Random) -> None:
        self.ctx = ctx
        self.index = index
        self.source = source
        self.rng = rng
        self.token = ""
        self.cursor = 0

    async def run(self, start_at: float) -> None:
        ctx = self.ctx
        if not await ctx.sleep_until(start_at):
            return
        ctx.bots_started += 1
        http = ctx.http(self.source)
        try:
            if not await self.setup(http):
                ctx.setup_failed("bot")
                return
            ctx.bots_active += 1
            try:
                await self.loop(http)
            finally:
                ctx.bots_active -= 1
        finally:
            http.close()

    async def setup(self, http: Http) -> bool:
        ctx = self.ctx
        name = f"LoadBot{self.index:05d}"
        if ctx.opts.bot_join == "spawn":
            status, data = await rest(ctx, http, "spawn", "POST", "/api/bot/spawn", {"name": name}, setup=True)
        else:
            try:
                made = await create_player(ctx, http, name, "novice")
            except Stopped:
                return False
            status, data = await rest(ctx, http, "join-codes", "POST", "/api/join-codes", {},
                                      token=made["sessionToken"], setup=True)
            code = (json_of(data) or {}).get("joinCode") if status == 200 else None
            if not code:
                return False
            status, data = await rest(ctx, http, "link", "POST", "/api/bot/link", {"joinCode": code}, setup=True)
        token = (json_of(data) or {}).get("botToken") if status == 200 else None
        if not token:
            return False
        self.token = token
        status, _ = await rest(ctx, http, "mode", "POST", "/api/bot/mode", {"mode": "agent"}, token=token, setup=True)
        return status == 200

    async def loop(self, http: Http) -> None:
        ctx, rng = self.ctx, self.rng
        t0 = time.monotonic() + rng.uniform(0.0, BOT_POLL_S)
        next_thought = t0 + rng.uniform(1.0, BOT_THOUGHT_S)
        next_events = t0 + rng.uniform(0.5, BOT_EVENTS_S)
        last_cast = last_goal = -math.inf
        rounds = int((ctx.end - t0) / BOT_POLL_S) + 2
        k = 0
        for _ in range(rounds):
            at = t0 + k * BOT_POLL_S
            if not await ctx.sleep_until(at):
                return
            began = time.monotonic()
            k = max(k + 1, int((began - t0) / BOT_POLL_S) + 1)  # a slow round skips polls, no bursts
            status, data = await rest(ctx, http, "world", "GET", "/api/bot/world", token=self.token)
            if status == 200 and not ctx.over():
                pos, monsters = scenarios.bot_view(data)
                now = time.monotonic()
                what, where = scenarios.bot_decide(pos, monsters, now, last_cast, last_goal)
                if what == "cast":
                    last_cast = now
                    await rest(ctx, http, "cast", "POST", "/api/bot/cast", {"spell": "signature"}, token=self.token)
                elif what == "goal":
                    last_goal = now
                    await rest(ctx, http, "goal", "POST", "/api/bot/goal", {"x": where[0], "y": where[1]},
                               token=self.token)
            now = time.monotonic()
            if now >= next_thought and not ctx.over():
                next_thought = now + BOT_THOUGHT_S * rng.uniform(0.9, 1.1)
                await rest(ctx, http, "thought", "POST", "/api/bot/thought",
                           {"text": rng.choice(scenarios.THOUGHTS)}, token=self.token)
            now = time.monotonic()
            if now >= next_events and not ctx.over():
                next_events = now + BOT_EVENTS_S * rng.uniform(0.9, 1.1)
                status, data = await rest(ctx, http, "events", "GET", f"/api/bot/events?cursor={self.cursor}",
                                          token=self.token)
                if status == 200:
                    nxt = (json_of(data) or {}).get("nextCursor")
                    if isinstance(nxt, int):
                        self.cursor = nxt


def _short(err: BaseException) -> str:
    if isinstance(err, ConnectionRefusedError):
        return "refused"
    if isinstance(err, asyncio.TimeoutError):
        return "timeout"
    if isinstance(err, InvalidHandshake):
        status = getattr(getattr(err, "response", None), "status_code", None)
        return f"handshake HTTP {status}" if status else "handshake failed"
    return type(err).__name__
