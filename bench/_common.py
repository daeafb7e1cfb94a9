"""Shared pieces of the Clawtown benchmarks: scripted players, counting senders, an engine rig,
percentiles and printing. Benchmarks print figures; nothing here asserts anything.

Run the benchmarks from the repository root, e.g. `.venv/bin/python bench/bench_tick.py`.
"""

from __future__ import annotations

import cProfile
import io
import json
import math
import os
import pstats
import random
import sys
import time
import zlib

# Running `python bench/x.py` puts bench/ (not the repo root) on sys.path; make the checkout importable
# even when the package is not installed in the interpreter.
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import orjson
from twisted.internet import task

from clawtown.engine.game import Game
from clawtown.engine.inbox import Inbox
from clawtown.engine.sessions import SessionRegistry
from clawtown.engine.sync import SyncService
from clawtown.sim import commands as c
from clawtown.sim.combat import living_monsters_near
from clawtown.sim.maps import MAPS
from clawtown.sim.model import JOBS
from clawtown.store.memory import MemoryStore
from clawtown.store.runner import SyncRunner

TICK_MS = 50
TICK_S = TICK_MS / 1000.0
NEVER = float("inf")
CAST_SIGHT = 360  # a person clicks a spell when a monster is on screen and roughly in range
CHAT_LINES = (
    "hi all", "anyone want to party?", "gg", "lol that slime", "where do I find jelly?", "brb",
    "nice drop!", "this meadow is busy today", "o/", "how do I level faster?", "wts jelly x3",
    "@{name} come here", "thanks!", "watch out for Eclipse", "afk 1 min",
)


# ---- statistics ----------------------------------------------------------------------------
def pct(values, q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation; 0.0 for no values."""
    if not values:
        return 0.0
    s = sorted(values)
    if len(s) == 1:
        return float(s[0])
    k = (len(s) - 1) * q / 100.0
    lo = math.floor(k)
    hi = min(lo + 1, len(s) - 1)
    return float(s[lo] + (s[hi] - s[lo]) * (k - lo))


def summary(values) -> dict:
    return {
        "n": len(values),
        "mean": (sum(values) / len(values)) if values else 0.0,
        "p50": pct(values, 50), "p95": pct(values, 95), "p99": pct(values, 99),
        "max": max(values) if values else 0.0,
    }


def r(x: float, nd: int = 2) -> float:
    return round(float(x), nd)


def populations(world) -> dict:
    return {key: inst.population for key, inst in sorted(world.instances.items())}


# ---- players -------------------------------------------------------------------------------
def player_ids(n: int, seed: object = "ids") -> list[str]:
    """Ids shaped like the server's (clawtown.engine.ids.Mint: "p_" + 16 url-safe characters, so
    the byte counts are realistic), but reproducible."""
    rng = random.Random(f"{seed}:player-ids")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    return ["p_" + "".join(rng.choice(alphabet) for _ in range(16)) for _ in range(n)]


def create_commands(pids: list[str], rng: random.Random, place) -> list:
    """CreatePlayer + Teleport for every id; `place(i, rng)` returns (map_id, x, y)."""
    cmds: list = []
    jobs = list(JOBS)
    for i, pid in enumerate(pids):
        cmds.append(c.CreatePlayer(player_id=pid, name=f"Bench{i:04d}", job=jobs[i % len(jobs)]))
        map_id, x, y = place(i, rng)
        cmds.append(c.Teleport(player_id=pid, x=x, y=y, map_id=map_id))
    return cmds


def random_spot(map_id: str, rng: random.Random, margin: int = 48) -> tuple[float, float]:
    m = MAPS[map_id]
    return rng.uniform(margin, m.max_x - margin), rng.uniform(margin, m.max_y - margin)


class ManualPlayers:
    """Scripted people at keyboards: what each manual player sends, decided tick by tick.

    A person sets a new click-to-move goal every ~2 s (a caster: half the time toward a monster
    it can see), a caster casts every ~1 s while a monster is within CAST_SIGHT, everyone says a
    chat line every ~20 s and now and then walks with the arrow keys for a second (a Move every
    tick). `chat_ms` / `keys_ms` of 0 switch those off. The script reads the world only the way a
    client would (its own position and the monsters around it).
    """

    def __init__(self, world, pids: list[str], seed: int, *, goal_ms: int = 2000, cast_ms: int = 1000,
                 chat_ms: int = 20_000, keys_ms: int = 8000, casters: float = 1.0, goal_radius: float = 260.0,
                 anchor=None, hunt_share: float = 0.5) -> None:
        self.world = world
        self.rng = random.Random(f"{seed}:manual")
        self.goal_ms, self.cast_ms, self.chat_ms, self.keys_ms = goal_ms, cast_ms, chat_ms, keys_ms
        self.goal_radius = goal_radius
        self.anchor = anchor  # optional (x, y, radius): keep goals inside this circle (the --crowd mode)
        self.hunt_share = hunt_share
        self.state: dict[str, list] = {}
        now = world.now
        rng = self.rng
        for pid in pids:
            # next goal, next cast (None: not a caster), next chat, next key burst, key burst (dx, dy, ticks left)
            caster = rng.random() < casters
            self.state[pid] = [
                now + rng.randint(0, goal_ms), now + rng.randint(0, cast_ms) if caster else None,
                now + rng.randint(0, chat_ms) if chat_ms else NEVER, now + rng.randint(0, keys_ms) if keys_ms else NEVER,
                None,
            ]
        self.sent = {"goal": 0, "cast": 0, "chat": 0, "move": 0}

    def commands(self, now: int) -> list:
        world, rng = self.world, self.rng
        out: list = []
        for pid, st in self.state.items():
            p = world.players.get(pid)
            if p is None or p.knocked_out_until is not None:
                continue
            if st[4] is not None:  # arrow keys held
                dx, dy, left = st[4]
                out.append(c.Move(player_id=pid, dx=dx, dy=dy))
                self.sent["move"] += 1
                st[4] = (dx, dy, left - 1) if left > 1 else None
            elif now >= st[3]:
                st[3] = now + int(self.keys_ms * rng.uniform(0.6, 1.4))
                if rng.random() < 0.5:
                    st[4] = (rng.choice((-1, 0, 1)), rng.choice((-1, 1)), rng.randint(8, 24))
            if now >= st[0]:
                st[0] = now + int(self.goal_ms * rng.uniform(0.7, 1.3))
                out.append(self._goal(p, st[1] is not None))
                self.sent["goal"] += 1
            if st[1] is not None and now >= st[1]:
                inst = world.instance_of(p)
                found = living_monsters_near(inst, p.x, p.y, CAST_SIGHT)
                if found:
                    st[1] = now + int(self.cast_ms * rng.uniform(0.8, 1.25))
                    m = found[0][1]
                    spell = "signature" if found[0][0] <= 110 and rng.random() < 0.5 else "job"
                    out.append(c.Cast(player_id=pid, spell=spell, x=m.x, y=m.y))
                    self.sent["cast"] += 1
                else:
                    st[1] = now + 250  # look again soon
            if now >= st[2]:
                st[2] = now + int(self.chat_ms * rng.uniform(0.75, 1.25))
                line = rng.choice(CHAT_LINES)
                if "{name}" in line:
                    other = world.players.get(rng.choice(tuple(self.state)))
                    line = line.format(name=other.name if other else "someone")
                out.append(c.Chat(player_id=pid, text=line))
                self.sent["chat"] += 1
        return out

    def _goal(self, p, caster: bool) -> c.SetGoal:
        rng = self.rng
        m = MAPS[p.map_id]
        if self.anchor is not None:
            ax, ay, ar = self.anchor
            ang, dist = rng.uniform(0, 2 * math.pi), ar * math.sqrt(rng.random())
            return c.SetGoal(player_id=p.id, x=ax + math.cos(ang) * dist, y=ay + math.sin(ang) * dist)
        if caster and rng.random() < self.hunt_share:
            found = living_monsters_near(self.world.instance_of(p), p.x, p.y, 520)
            if found:
                mon = found[rng.randrange(min(3, len(found)))][1]
                return c.SetGoal(player_id=p.id, x=mon.x + rng.uniform(-60, 60), y=mon.y + rng.uniform(-60, 60))
        gr = self.goal_radius
        x = min(max(p.x + rng.uniform(-gr, gr), 40), m.max_x - 40)
        y = min(max(p.y + rng.uniform(-gr, gr), 40), m.max_y - 40)
        return c.SetGoal(player_id=p.id, x=x, y=y)


# ---- the engine rig ------------------------------------------------------------------------
class CountingSender:
    """A fake transport: counts what it would have written, by frame type.

    When `CountingSender.record` is a dict, every payload is also tallied there (payload -> times
    sent) for the --breakdown analysis.
    """

    __slots__ = ("by_type", "bytes", "messages")
    record: dict | None = None

    def __init__(self) -> None:
        self.bytes = 0
        self.messages = 0
        self.by_type: dict[str, list] = {}  # type -> [messages, bytes]

    def _count(self, payload: bytes) -> None:
        n = len(payload)
        self.bytes += n
        self.messages += 1
        # every server frame starts with {"t":"<type>"
        end = payload.find(b'"', 6)
        kind = payload[6:end].decode() if payload.startswith(b'{"t":"') and end > 6 else "?"
        slot = self.by_type.get(kind)
        if slot is None:
            slot = self.by_type[kind] = [0, 0]
        slot[0] += 1
        slot[1] += n
        rec = CountingSender.record
        if rec is not None:
            rec[payload] = rec.get(payload, 0) + 1

    def send_bytes(self, payload: bytes) -> None:
        self._count(payload)

    def send_prepared(self, prepared) -> None:
        # the bench's SessionRegistry.prepare returns the payload bytes themselves
        self._count(prepared)

    def reset(self) -> None:
        self.bytes = 0
        self.messages = 0
        self.by_type = {}


class TimedStore(MemoryStore):
    """MemoryStore that records how long each commit took (it runs on the store thread in production)."""

    def __init__(self) -> None:
        super().__init__()
        self.commit_ms: list[float] = []

    def save_batch(self, **kwargs) -> None:
        t0 = time.perf_counter()
        super().save_batch(**kwargs)
        self.commit_ms.append((time.perf_counter() - t0) * 1000.0)


class TimedSync(SyncService):
    """SyncService whose rounds are timed (and followed by an optional hook, outside the timing)."""

    def __init__(self, *args, after_round=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.round_ms: list[float] = []
        self.round_at: list[float] = []
        self.after_round = after_round

    def round(self):
        t0 = time.perf_counter()
        result = super().round()
        self.round_ms.append((time.perf_counter() - t0) * 1000.0)
        self.round_at.append(self.clock.seconds())
        if self.after_round is not None:
            self.after_round(self)
        return result


class Rig:
    """World + Game + Inbox + SessionRegistry + SyncService over SyncRunner(MemoryStore) on a task.Clock."""

    def __init__(self, world, after_round=None) -> None:
        self.clock = task.Clock()
        self.clock.advance(world.now / 1000.0)
        self.world = world
        self.game = Game(world, Inbox(limit=100_000, per_tick=100_000), self.clock)
        self.store = TimedStore()
        self.runner = SyncRunner(lambda: self.store)
        self.runner.start()
        self.sessions = SessionRegistry(prepare=lambda payload: payload)
        self.sync = TimedSync(self.game, self.sessions, self.runner, self.clock, hz=10, tick_hz=20,
                              after_round=after_round)
        self.senders: dict[str, CountingSender] = {}

    def connect(self, pids) -> None:
        for pid in pids:
            sender = self.senders[pid] = CountingSender()
            self.sessions.open(pid, sender)

    def submit(self, cmds) -> None:
        for cmd in cmds:
            self.game.submit(cmd)


# ---- output --------------------------------------------------------------------------------
def add_common_args(parser) -> None:
    parser.add_argument("--json", action="store_true", help="also print one JSON object with every figure")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="run the measured part under cProfile and print the top N functions")


class Profiler:
    """cProfile around the measured part when asked for (`--profile N`)."""

    def __init__(self, top: int) -> None:
        self.top = top
        self.prof = cProfile.Profile() if top else None

    def __enter__(self):
        if self.prof:
            self.prof.enable()
        return self

    def __exit__(self, *exc) -> None:
        if self.prof:
            self.prof.disable()

    def report(self, title: str) -> None:
        if not self.prof:
            return
        for key in ("tottime", "cumulative"):
            buf = io.StringIO()
            stats = pstats.Stats(self.prof, stream=buf)
            stats.sort_stats(key).print_stats(self.top)
            text = buf.getvalue().replace(_ROOT + os.sep, "")
            start = text.find("   ncalls")
            print(f"\n--- cProfile: {title}, top {self.top} by {key} ---")
            print(text[max(start, 0):].rstrip())


def breakdown(record: dict) -> dict:
    """What the recorded payloads are made of, in bytes summed over every send (n_*: item counts),
    and an estimate of permessage-deflate (each message compressed alone, no context takeover,
    zlib level 6; deflate_cpu_s: the CPU that compressing every send separately would take).

    Protocol v2 kinds: `motion_states` (`mv` entries, 6 numbers each), `hops` (8 numbers each),
    `delta_facing` (partial `up` items holding only `f`), `delta_other` (other partial items)."""
    out = {"total": 0, "deflate": 0, "sync_frames": 0, "view_moved_full_cells": 0, "entered_or_crossed_cell": 0,
           "motion_states": 0, "hops": 0, "delta_facing": 0, "delta_other": 0, "gone": 0, "out": 0,
           "drop_lists": 0, "fx": 0, "sync_framing": 0, "other_frames": 0, "n_motion_states": 0, "n_hops": 0,
           "n_delta_facing": 0, "n_entered_or_crossed_cell": 0, "deflate_cpu_s": 0.0}
    for payload, times in record.items():
        n = len(payload)
        out["total"] += n * times
        t0 = time.process_time()
        comp = zlib.compressobj(6, zlib.DEFLATED, -15)
        out["deflate"] += (len(comp.compress(payload) + comp.flush(zlib.Z_SYNC_FLUSH)) - 4) * times
        out["deflate_cpu_s"] += (time.process_time() - t0) * times  # compressed once per connection
        if not payload.startswith(b'{"t":"sync"'):
            out["other_frames"] += n * times
            continue
        out["sync_frames"] += n * times
        frame = orjson.loads(payload)
        inner = 0

        def count(key: str, value, items: int = 0) -> None:
            nonlocal inner
            size = len(orjson.dumps(value))
            out[key] += size * times
            inner += size
            if items:
                out["n_" + key] += items * times

        for chunk in frame.get("a", ()):
            for item in chunk.get("up", ()):
                if chunk.get("full"):
                    key = "view_moved_full_cells"  # a cell that entered the client's view
                elif "k" in item:
                    key = "entered_or_crossed_cell"  # a whole entity: new, or it changed cell
                elif set(item) <= {"id", "f"}:
                    key = "delta_facing"
                else:
                    key = "delta_other"
                count(key, item, 1 if key.startswith(("entered", "delta_facing")) else 0)
            if chunk.get("mv"):
                count("motion_states", chunk["mv"], len(chunk["mv"]) // 6)
            for key in ("gone", "fx"):
                if chunk.get(key):
                    count(key, chunk[key])
        for key in ("drop", "out"):
            if frame.get(key):
                count("drop_lists" if key == "drop" else "out", frame[key])
        if frame.get("hop"):
            count("hops", frame["hop"], len(frame["hop"]) // 8)
        out["sync_framing"] += (n - inner) * times
    return out


def emit_json(obj: dict) -> None:
    print(json.dumps(obj, sort_keys=True, default=str))


def dumps_len(obj) -> int:
    return len(orjson.dumps(obj))
