"""A reference client model of protocol v2: apply server frames, get the world as the client sees it.

Tests, the load-test tool and anyone writing a client can use it; the browser client does the
same in JavaScript. Order of application inside a `sync` frame (see docs/protocol.md):
`drop` cells → `gone` ids and `out` ids → `full` chunks → `mv` states → `hop` states → `up` items.

Positions are dead-reckoned: each entity holds a motion state (`x`, `y` at tick `t`, moving at
`vx`, `vy` px/s for `d` px, or without end when there is no `d`; a state without `vx`/`vy` stands
still) and `position(eid, tick)` extrapolates it.
`tick_at(local_s)` estimates the server's tick from a local clock (seconds), from the `tk` every
frame carries; `view_at(tick)` is every entity as it is at `tick`, motion fields resolved.
"""

from __future__ import annotations

import math

from ..sim.movement import facing_for

MOTION_KEYS = ("vx", "vy", "t", "d")
CLOCK_DRIFT = 0.2
"""How far (as a share) each later frame pulls the local-clock estimate of the server's tick."""


def extrapolate(entity: dict, tick: float, tick_hz: float) -> tuple[float, float]:
    """Where an entity's motion state puts it at `tick`."""
    vx, vy = entity.get("vx", 0), entity.get("vy", 0)
    if not (vx or vy):
        return (entity["x"], entity["y"])
    dt = (tick - entity["t"]) / tick_hz
    d = entity.get("d", 0)
    if d:
        speed = math.hypot(vx, vy)
        if speed * dt >= d:  # arrived: it stands at the end of its walk
            return (entity["x"] + vx / speed * d, entity["y"] + vy / speed * d)
    return (entity["x"] + vx * dt, entity["y"] + vy * dt)


class ViewModel:
    def __init__(self) -> None:
        self.entities: dict[str, dict] = {}
        self.cells: dict[str, tuple] = {}
        self.by_handle: dict[int, str] = {}
        self.you: dict = {}
        self.instance: dict = {}
        self.tick_hz = 20
        self.tick = 0
        self._base: float | None = None

    # ---- the server's clock -------------------------------------------------------------
    def clock(self, tk: int, local_s: float) -> None:
        """A frame stamped with tick `tk` arrived at local time `local_s` (seconds, any monotonic clock)."""
        sample = local_s - tk / self.tick_hz
        if self._base is None or sample < self._base:
            self._base = sample  # the least delayed frame so far
        else:
            self._base += (sample - self._base) * CLOCK_DRIFT  # follow a server whose ticks run slow

    def tick_at(self, local_s: float) -> float:
        """The server's tick now, as far as the frames received tell."""
        if self._base is None:
            return float(self.tick)
        return max(float(self.tick), (local_s - self._base) * self.tick_hz)

    def position(self, eid: str, tick: float) -> tuple[float, float] | None:
        entity = self.entities.get(eid)
        return None if entity is None else extrapolate(entity, tick, self.tick_hz)

    def view_at(self, tick: float) -> dict[str, dict]:
        """Every entity with `x`, `y` where it is at `tick` and without the motion fields."""
        out = {}
        for eid, entity in self.entities.items():
            e = {k: v for k, v in entity.items() if k not in MOTION_KEYS}
            e["x"], e["y"] = extrapolate(entity, tick, self.tick_hz)
            out[eid] = e
        return out

    # ---- frames ---------------------------------------------------------------------------
    def apply(self, msg: dict, local_s: float | None = None) -> None:
        t = msg.get("t")
        if t in ("hello", "enter"):
            self.entities.clear()
            self.cells.clear()
            self.by_handle.clear()
            self.instance = msg.get("instance", {})
            server = msg.get("server")
            if server and server.get("tickHz"):
                self.tick_hz = server["tickHz"]
        if t in ("hello", "enter", "you"):
            self.you = msg["you"]
        if t not in ("hello", "enter", "sync"):
            return
        tk = msg["tk"]
        self.tick = max(self.tick, tk)
        if local_s is not None:
            self.clock(tk, local_s)
        for cell in msg.get("drop", ()):
            self._forget_cell(tuple(cell))
        for chunk in msg["a"]:
            for eid in chunk.get("gone", ()):
                self._forget(eid)
        for eid in msg.get("out", ()):
            self._forget(eid)
        for chunk in msg["a"]:
            if chunk.get("full"):
                self._forget_cell(tuple(chunk["c"]))
        for chunk in msg["a"]:
            self._states(chunk.get("mv", ()), 6, tk)
        self._states(msg.get("hop", ()), 8, tk)
        for chunk in msg["a"]:
            cell = tuple(chunk["c"])
            for up in chunk.get("up", ()):
                current = self.entities.get(up["id"])
                if "k" in up:
                    self.entities[up["id"]] = dict(up)
                    self.cells[up["id"]] = cell
                    self.by_handle[up["h"]] = up["id"]
                elif current is not None:
                    current.update(up)
                else:
                    raise ValueError(f"partial update for an entity this client never saw: {up}")

    def _states(self, flat, stride: int, tk: int) -> None:
        """Flat motion states [h, x, y, vx, vy, d] (`mv`) or [h, x, y, vx, vy, d, cx, cy] (`hop`) at tick `tk`."""
        for i in range(0, len(flat), stride):
            eid = self.by_handle.get(flat[i])
            entity = self.entities.get(eid) if eid else None
            if entity is None:
                raise ValueError(f"motion state for an unknown handle {flat[i]}")
            set_motion(entity, flat[i + 1], flat[i + 2], flat[i + 3], flat[i + 4], flat[i + 5], tk)
            if stride == 8:
                self.cells[eid] = (flat[i + 6], flat[i + 7])

    def _forget(self, eid: str) -> None:
        entity = self.entities.pop(eid, None)
        self.cells.pop(eid, None)
        if entity is not None:
            self.by_handle.pop(entity.get("h"), None)

    def _forget_cell(self, cell: tuple) -> None:
        for eid in [e for e, c in self.cells.items() if c == cell]:
            self._forget(eid)


def set_motion(entity: dict, x, y, vx, vy, d, tk: int) -> None:
    """Store a motion state on an entity the way a whole entity carries it (no vx/vy/t when standing,
    no d without an end); a moving entity with a facing `f` turns the way it moves."""
    entity["x"], entity["y"] = x, y
    for k in MOTION_KEYS:
        entity.pop(k, None)
    if vx or vy:
        entity["vx"], entity["vy"], entity["t"] = vx, vy, tk
        if d:
            entity["d"] = d
        if "f" in entity:
            entity["f"] = facing_for(vx, vy, entity["f"])
