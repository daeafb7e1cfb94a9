"""What the simulated people and bots decide to do: pure functions of what they see and a seeded
random generator (no clock, no I/O), so the behaviour can be tested on its own.

Players (WebSocket) act every `STEP_S` (100 ms) as a person at a keyboard would:

* **wander**: walks with the arrow keys (a `move` every 100 ms, so 10 a second, in bursts of
  1–3 s in one direction), now and then clicks somewhere within 300 px (`goal`) and lets the
  character walk there; keeps off the map edges and away from portals, so it stays on its map.
* **hunt**: clicks toward the nearest living monster it can see and casts at it (`cast`, about
  once a second) once it is within range; with no monster in sight it walks to the portal of the
  town (the meadow is where the monsters are) or wanders about the meadow.
* **crowd**: everyone goes to one spot in the town (the plaza) and mills around it: a click
  within 48 px every 1.5–3 s and a short burst of arrow keys now and then.
* **chat**: says a line as often as the server allows (one per 1.2 s: every 1.3–1.6 s here) and
  strolls a little (a click every 4–6 s).

Bots (REST) follow the original example bot: a living monster within `BOT_HIT_RANGE` → cast,
else a goal toward the nearest one (at most every `BOT_GOAL_GAP_S`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from random import Random

import orjson

STEP_S = 0.1
"""A player's decision period: one arrow-key `move` per step while keys are held (10 per second)."""
EDGE_PX = 64.0
PORTAL_KEEP_OUT_PX = 120.0
WANDER_GOAL_PX = 300.0
CROWD_SPOT = (480.0, 288.0)
"""The town plaza: where the crowd scenario gathers (the town's spawn point)."""
CROWD_RADIUS_PX = 48.0
CAST_RANGE_PX = 140.0
CAST_EVERY_S = (0.9, 1.2)
CHAT_EVERY_S = (1.3, 1.6)
HOME_MAP = "town"
HUNT_MAP = "meadow"
CHAT_LINES = (
    "hi everyone", "anyone up for a party?", "gg", "where do the porings spawn?", "brb", "nice!",
    "the plaza is packed today", "o/", "how do I get to level 5?", "selling jelly", "thanks!",
    "watch out, elite in the meadow", "afk a minute", "lol", "which job should I pick?",
)
THOUGHTS = (
    "hunting near the plaza", "low on hp, keeping my distance", "looking for jelly", "following the path east",
    "waiting for a respawn", "this one is mine", "going back to the fountain", "checking the board later",
)
DIRECTIONS = ((1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (1, -1), (-1, 1), (-1, -1))

BOT_HIT_RANGE = 120.0
BOT_CAST_GAP_S = 0.85
BOT_GOAL_GAP_S = 1.2


@dataclass
class Sight:
    """What a player's client knows: its position and map, and the living monsters in view."""

    x: float
    y: float
    map_id: str
    width: float
    height: float
    portals: tuple = ()
    """(x, y, to_map) of every portal of the map."""
    monsters: tuple = ()
    """(x, y) of every living monster in view."""
    knocked_out: bool = False


@dataclass
class Plan:
    """A simulated person's intentions between two steps (times in seconds on any clock)."""

    keys: tuple[int, int] | None = None
    keys_until: float = 0.0
    next_goal: float = 0.0
    next_cast: float = 0.0
    next_chat: float = 0.0
    walking_until: float = 0.0
    said: int = 0
    extra: dict = field(default_factory=dict)


def start_plan(scenario: str, now: float, rng: Random) -> Plan:
    """A fresh plan; first actions spread over the first second(s) so clients do not act in step."""
    plan = Plan()
    plan.next_goal = now + rng.uniform(0.0, 1.5)
    plan.next_cast = now + rng.uniform(0.0, 1.0)
    plan.next_chat = now + rng.uniform(0.0, CHAT_EVERY_S[1])
    plan.walking_until = now + rng.uniform(0.0, 0.5)
    return plan


def decide(scenario: str, plan: Plan, sight: Sight | None, now: float, rng: Random) -> list[dict]:
    """The frames a person sends at this step (without `seq`; the client adds it)."""
    if sight is None or sight.knocked_out:
        return []
    if scenario == "wander":
        return _wander(plan, sight, now, rng)
    if scenario == "hunt":
        return _hunt(plan, sight, now, rng)
    if scenario == "crowd":
        return _crowd(plan, sight, now, rng)
    if scenario == "chat":
        return _chat(plan, sight, now, rng)
    raise ValueError(f"unknown scenario {scenario!r}")


# ---- geometry ---------------------------------------------------------------------------------
def clamp_to_map(sight: Sight, x: float, y: float, margin: float = EDGE_PX) -> tuple[float, float]:
    return (min(max(x, margin), max(margin, sight.width - margin)),
            min(max(y, margin), max(margin, sight.height - margin)))


def near_portal(sight: Sight, x: float, y: float, radius: float = PORTAL_KEEP_OUT_PX):
    for px, py, *_ in sight.portals:
        if math.hypot(px - x, py - y) < radius:
            return px, py
    return None


def safe_direction(sight: Sight, rng: Random, horizon: float = 24.0) -> tuple[int, int]:
    """A walking direction that does not lead off the map or into a portal over the next steps.

    Near an edge or a portal the choice is steered away from it (toward the map's middle)."""
    x, y = sight.x, sight.y
    portal = near_portal(sight, x, y)
    inside = EDGE_PX <= x <= sight.width - EDGE_PX and EDGE_PX <= y <= sight.height - EDGE_PX
    if portal is not None or not inside:
        away_x = (x - portal[0]) if portal is not None else (sight.width / 2 - x)
        away_y = (y - portal[1]) if portal is not None else (sight.height / 2 - y)
        way = (_sign(away_x), _sign(away_y))
        return way if way != (0, 0) else rng.choice(DIRECTIONS)
    options = []
    for dx, dy in DIRECTIONS:
        nx, ny = x + dx * horizon * 8, y + dy * horizon * 8
        if EDGE_PX / 2 <= nx <= sight.width - EDGE_PX / 2 and EDGE_PX / 2 <= ny <= sight.height - EDGE_PX / 2 \
                and near_portal(sight, nx, ny) is None:
            options.append((dx, dy))
    return rng.choice(options or list(DIRECTIONS))


def _sign(v: float, dead: float = 1.0) -> int:
    return 0 if abs(v) <= dead else (1 if v > 0 else -1)


def wander_goal(sight: Sight, rng: Random, radius: float = WANDER_GOAL_PX) -> tuple[float, float]:
    """A random spot within `radius`, on the map and away from portals (a few tries, then stay)."""
    for _ in range(8):
        angle = rng.uniform(0.0, 2 * math.pi)
        dist = rng.uniform(radius * 0.3, radius)
        x, y = clamp_to_map(sight, sight.x + math.cos(angle) * dist, sight.y + math.sin(angle) * dist)
        if near_portal(sight, x, y) is None:
            return round(x), round(y)
    x, y = clamp_to_map(sight, sight.x, sight.y)
    return round(x), round(y)


def nearest(points, x: float, y: float):
    best, dist = None, math.inf
    for p in points:
        d = math.hypot(p[0] - x, p[1] - y)
        if d < dist:
            best, dist = p, d
    return best, dist


# ---- the scenarios --------------------------------------------------------------------------
def _keys_step(plan: Plan, sight: Sight, now: float) -> list[dict]:
    if plan.keys is None or now >= plan.keys_until:
        plan.keys = None
        return []
    dx, dy = plan.keys
    # never walk into a portal or off the map while a key is held: turn away instead
    nx, ny = sight.x + dx * 16, sight.y + dy * 16
    if near_portal(sight, nx, ny) is not None or not (EDGE_PX / 2 <= nx <= sight.width - EDGE_PX / 2
                                                      and EDGE_PX / 2 <= ny <= sight.height - EDGE_PX / 2):
        plan.keys = None
        return []
    return [{"t": "move", "dx": dx, "dy": dy}]


def _wander(plan: Plan, sight: Sight, now: float, rng: Random) -> list[dict]:
    out = _keys_step(plan, sight, now)
    if out or now < plan.walking_until:
        return out
    if rng.random() < 0.8:  # hold the arrow keys for 1-3 s
        plan.keys = safe_direction(sight, rng)
        plan.keys_until = now + rng.uniform(1.0, 3.0)
        return _keys_step(plan, sight, now)
    x, y = wander_goal(sight, rng)  # click somewhere and watch the character walk there
    plan.walking_until = now + rng.uniform(1.0, 2.5)
    return [{"t": "goal", "x": x, "y": y}]


def _hunt(plan: Plan, sight: Sight, now: float, rng: Random) -> list[dict]:
    target, dist = nearest(sight.monsters, sight.x, sight.y)
    if target is not None:
        if dist <= CAST_RANGE_PX:
            if now >= plan.next_cast:
                plan.next_cast = now + rng.uniform(*CAST_EVERY_S)
                spell = "signature" if rng.random() < 0.5 else "job"
                return [{"t": "cast", "spell": spell, "x": round(target[0]), "y": round(target[1])}]
            return []
        if now >= plan.next_goal:
            plan.next_goal = now + rng.uniform(0.8, 1.2)
            return [{"t": "goal", "x": round(target[0]), "y": round(target[1])}]
        return []
    if now < plan.next_goal:
        return []
    plan.next_goal = now + rng.uniform(1.5, 2.5)
    if sight.map_id == HOME_MAP:
        for px, py, to_map in sight.portals:
            if to_map == HUNT_MAP:
                return [{"t": "goal", "x": px, "y": py}]
    x, y = wander_goal(sight, rng, 600.0)
    return [{"t": "goal", "x": x, "y": y}]


def _crowd(plan: Plan, sight: Sight, now: float, rng: Random) -> list[dict]:
    out = _keys_step(plan, sight, now)
    if out:
        return out
    if now < plan.next_goal:
        return []
    plan.next_goal = now + rng.uniform(1.5, 3.0)
    cx, cy = CROWD_SPOT
    far = math.hypot(sight.x - cx, sight.y - cy) > CROWD_RADIUS_PX * 2
    if not far and sight.map_id == HOME_MAP and rng.random() < 0.3:  # a short shuffle with the arrow keys
        plan.keys = rng.choice(DIRECTIONS)
        plan.keys_until = now + rng.uniform(0.3, 0.6)
        return _keys_step(plan, sight, now)
    angle, dist = rng.uniform(0.0, 2 * math.pi), rng.uniform(0.0, CROWD_RADIUS_PX)
    return [{"t": "goal", "x": round(cx + math.cos(angle) * dist), "y": round(cy + math.sin(angle) * dist)}]


def _chat(plan: Plan, sight: Sight, now: float, rng: Random) -> list[dict]:
    out = []
    if now >= plan.next_chat:
        plan.next_chat = now + rng.uniform(*CHAT_EVERY_S)
        plan.said += 1
        out.append({"t": "chat", "text": rng.choice(CHAT_LINES)})
    if now >= plan.next_goal:
        plan.next_goal = now + rng.uniform(4.0, 6.0)
        x, y = wander_goal(sight, rng, 200.0)
        out.append({"t": "goal", "x": x, "y": y})
    return out


# ---- what a player's client sees ----------------------------------------------------------
def sight_of(model, player_id: str, map_info: dict | None, monsters: bool = True,
             tick: float | None = None) -> Sight | None:
    """A `Sight` from a protocol ViewModel, the player's id and the `map` of hello/enter, with
    positions dead-reckoned to the server tick `tick` (None: the last frame's)
    (`monsters=False`: leave the monsters out, for scenarios that do not look at them)."""
    if not map_info:
        return None
    at = model.tick if tick is None else tick
    me = model.entities.get(player_id)
    you = model.you or {}
    x, y = model.position(player_id, at) if me else (you.get("x"), you.get("y"))
    if x is None or y is None:
        return None
    me = me or {}
    tile = map_info.get("tileSize") or 32
    portals = tuple((p["x"], p["y"], p.get("to")) for p in map_info.get("portals") or ())
    seen = tuple(model.position(eid, at) for eid, e in model.entities.items()
                 if e.get("k") == "m" and e.get("alive", True) and e.get("hp", 1) > 0) if monsters else ()
    return Sight(x=float(x), y=float(y), map_id=str(map_info.get("id") or model.instance.get("map") or ""),
                 width=float((map_info.get("width") or 30) * tile), height=float((map_info.get("height") or 18) * tile),
                 portals=portals, monsters=seen, knocked_out=bool(me.get("ko")))


# ---- bots -----------------------------------------------------------------------------------
_XY = re.compile(rb'"x":(-?[0-9.eE+-]+),"y":(-?[0-9.eE+-]+)')


def bot_view(data: bytes) -> tuple[tuple[float, float] | None, list[tuple[float, float]]]:
    """(own position, living monsters) from a /api/bot/world answer, without decoding all of it.

    The answer of a busy map is large (every player of the instance), and a bot needs only its
    own position and the monsters. In JSON text a `"` inside a string is escaped, so the byte
    patterns `"you":{`, `"x":…,"y":…` and `,"monsters":[` can only be keys, never text someone
    wrote. Monsters hold no arrays, so their list ends at the first `]` (a `]` inside a monster's
    name would cut a string short, which does not parse). Anything unexpected falls back to
    decoding the whole answer.
    """
    try:
        you_at = data.index(b'"you":{')
        m = _XY.search(data, you_at)
        start = data.index(b',"monsters":[', you_at) + 12
        monsters = orjson.loads(data[start:data.index(b"]", start) + 1])
        if m is None or not isinstance(monsters, list):
            raise ValueError("unexpected shape")
        pos = (float(m.group(1)), float(m.group(2)))
    except (ValueError, orjson.JSONDecodeError):
        try:
            snap = orjson.loads(data).get("snapshot") or {}
            you, monsters = snap.get("you") or {}, snap.get("monsters") or []
            pos = (float(you["x"]), float(you["y"])) if "x" in you and "y" in you else None
        except (orjson.JSONDecodeError, AttributeError, TypeError, ValueError, KeyError):
            return None, []
    alive = [(float(mo["x"]), float(mo["y"])) for mo in monsters
             if isinstance(mo, dict) and mo.get("alive") is not False and "x" in mo and "y" in mo]
    return pos, alive


def bot_decide(pos, monsters, now: float, last_cast: float, last_goal: float) -> tuple[str, tuple | None]:
    """The example bot's choice after a world poll: ("cast", None), ("goal", (x, y)) or ("idle", None)."""
    if pos is None:
        return "idle", None
    target, dist = nearest(monsters, pos[0], pos[1])
    if target is None:
        return "idle", None
    if dist <= BOT_HIT_RANGE:
        return ("cast", None) if now - last_cast >= BOT_CAST_GAP_S else ("idle", None)
    if now - last_goal >= BOT_GOAL_GAP_S:
        return "goal", (float(target[0]), float(target[1]))
    return "idle", None
