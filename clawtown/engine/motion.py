"""Dead reckoning: the motion state every client holds of each entity, and when it needs a new one.

A motion state is `(x, y, vx, vy, t, d)`: the entity stood at (x, y) at world tick `t` and moves
at (vx, vy) px per second, a second being `tick_hz` ticks, for `d` px and then stands (d = 0:
until told otherwise). A client predicts its position at tick `tk` from it (`predict`). Each
sync round the server makes the same prediction for every entity it checks (those that changed,
and those clients believe are moving) and sends a new state only when the entity's position
(rounded, as clients see positions) is more than TOLERANCE_PX off the prediction on either axis,
or its velocity (or, for a walk to a goal, the distance left) is off by more than
VELOCITY_TOLERANCE (it started, stopped, turned or got a new goal). A player walking to a goal
costs one state when it starts, not one every round, and none when it arrives: clients know
where it stops.

The velocity comes from the rules when they say it (a player walking to its goal, with the
distance to it; a player who is neither walking nor stepping stands still), else it is measured:
the displacement since the previous round. A displacement faster than MAX_SPEED is a jump
(teleport), after which the entity stands.
"""

from __future__ import annotations

import math

from ..sim.constants import WALK_PX_PER_TICK
from ..sim.model import Drop, Player

TOLERANCE_PX = 3
"""Largest prediction error (px, per axis, against the rounded position) a client may hold at a round."""
VELOCITY_TOLERANCE = 20
"""A velocity (px/s, per axis) this far from the one clients hold is sent even when the position still fits."""
MAX_SPEED = 400.0
"""px/s: a measured displacement faster than this is a jump, not a walk."""
STEPPING_MS = 150
"""A player without a goal whose last arrow-key step is older than this stands still."""
STEPPING = "stepping"
"""`planned_velocity` of a player stepping with the arrow keys: measure it, but a round without a
step keeps a velocity that held since before the last round (steps come at most every other
tick, and a late one is common; a single tap still stops at once)."""
STANDING = (0.0, 0.0, 0)


def planned_velocity(entity, now_ms: int, tick_hz: int) -> tuple[float, float, int] | str | None:
    """(vx, vy, d): the velocity (px/s) the rules give `entity` now and how far it goes with it
    (0: no end known); None when only measuring can tell; STEPPING for arrow-key steps."""
    if isinstance(entity, Drop):
        return STANDING
    if not isinstance(entity, Player):
        return None
    if entity.knocked_out_until is not None:
        return STANDING
    if entity.goal is not None:
        dx, dy = entity.goal[0] - entity.x, entity.goal[1] - entity.y
        d = math.hypot(dx, dy)
        if d < 0.5:
            return STANDING
        speed = WALK_PX_PER_TICK * tick_hz
        return (dx / d * speed, dy / d * speed, round(d))
    if now_ms - entity.last_move_at >= STEPPING_MS:
        return STANDING
    return STEPPING


class MotionTracker:
    """The motion states of one map instance, as every client holding an entity knows them."""

    __slots__ = ("tick_hz", "states", "last", "moving", "round_tick", "prev_round_tick")

    def __init__(self, tick_hz: int = 20) -> None:
        self.tick_hz = tick_hz
        self.states: dict[str, tuple[int, int, int, int, int, int]] = {}
        self.last: dict[str, tuple[float, float, int]] = {}
        self.moving: set[str] = set()
        self.round_tick: int | None = None
        self.prev_round_tick: int | None = None

    def begin(self, tick: int) -> None:
        """Start a round at world tick `tick`."""
        if tick != self.round_tick:
            self.prev_round_tick, self.round_tick = self.round_tick, tick

    def predict(self, eid: str, tick: int) -> tuple[float, float] | None:
        state = self.states.get(eid)
        if state is None:
            return None
        return predict(state, tick, self.tick_hz)

    def update(self, eid: str, x: float, y: float, tick: int, planned=None,
               force: bool = False) -> tuple[int, int, int, int, int, int] | None:
        """Check one entity, exactly at (x, y) at `tick`: the new state to send, or None if clients' fits.

        `planned` is `planned_velocity(...)` (None: measure it); `force` re-bases the state even
        when the prediction fits (a cell crossing carries the state anyway).
        """
        measured = self._measure(eid, x, y, tick)
        self.last[eid] = (x, y, tick)
        state = self.states.get(eid)
        if planned is STEPPING:  # a round without a step keeps a velocity older than the last round
            steady = state is not None and self.prev_round_tick is not None and state[4] < self.prev_round_tick
            still = measured is not None and measured[:2] == (0.0, 0.0)
            v = state[2:4] + (0,) if steady and still else measured
        else:
            v = planned if planned is not None else measured
        rx, ry = round(x), round(y)
        if state is not None and not force:
            (px, py), (svx, svy), left = progress(state, tick, self.tick_hz)
            if (abs(px - rx) <= TOLERANCE_PX and abs(py - ry) <= TOLERANCE_PX
                    and (v is None or (abs(v[0] - svx) <= VELOCITY_TOLERANCE and abs(v[1] - svy) <= VELOCITY_TOLERANCE
                                       and abs(v[2] - left) <= TOLERANCE_PX))):
                if not (svx or svy):
                    self.moving.discard(eid)  # it arrived where clients stop it: nothing left to check
                return None
        vx, vy, d = (round(v[0]), round(v[1]), v[2]) if v is not None else (0, 0, 0)
        new = (rx, ry, vx, vy, tick, d if (vx or vy) else 0)
        self.states[eid] = new
        if vx or vy:
            self.moving.add(eid)
        else:
            self.moving.discard(eid)
        return new

    def forget(self, eid: str) -> None:
        self.states.pop(eid, None)
        self.last.pop(eid, None)
        self.moving.discard(eid)

    def _measure(self, eid: str, x: float, y: float, tick: int) -> tuple[float, float, int] | None:
        """px/s since the previous round (an entity not checked since then stood where it was last seen)."""
        last = self.last.get(eid)
        if last is None:
            return None
        lx, ly, seen = last
        since = seen if self.prev_round_tick is None else max(seen, self.prev_round_tick)
        if tick <= since:
            return None
        scale = self.tick_hz / (tick - since)
        vx, vy = (x - lx) * scale, (y - ly) * scale
        if math.hypot(vx, vy) > MAX_SPEED:
            return STANDING
        return (vx, vy, 0)


def progress(state: tuple, tick: float, tick_hz: int) -> tuple[tuple[float, float], tuple[int, int], float]:
    """Where a client holding `state` puts the entity at `tick`, its velocity then, and the
    distance it still has to go (0 when it has no end, or has arrived)."""
    x, y, vx, vy, t, d = state
    if not (vx or vy):
        return (float(x), float(y)), (0, 0), 0
    dt = (tick - t) / tick_hz
    if not d:
        return (x + vx * dt, y + vy * dt), (vx, vy), 0
    speed = math.hypot(vx, vy)
    travel = speed * dt
    if travel >= d:
        return (x + vx / speed * d, y + vy / speed * d), (0, 0), 0
    return (x + vx * dt, y + vy * dt), (vx, vy), d - travel


def predict(state: tuple, tick: float, tick_hz: int) -> tuple[float, float]:
    """Where a client holding `state` puts the entity at `tick`."""
    return progress(state, tick, tick_hz)[0]


def motion_fields(state: tuple) -> dict:
    """The motion part of a whole entity: x, y, and when it moves vx, vy, the tick t of (x, y)
    and, when it stops after a known distance, d."""
    x, y, vx, vy, t, d = state
    if not (vx or vy):
        return {"x": x, "y": y}
    if d:
        return {"x": x, "y": y, "vx": vx, "vy": vy, "t": t, "d": d}
    return {"x": x, "y": y, "vx": vx, "vy": vy, "t": t}
