"""Interest management: per-cell deltas of every map instance, encoded once and shared.

Each sync, `AreaSync.collect(world, fx, tick_hz)` turns what changed in each instance into one
encoded chunk per changed cell: entities that appeared (`up` items with `k`: the whole entity,
its motion state included), non-motion fields that changed (`up` items without `k`), new motion
states (`mv`: flat [handle, x, y, vx, vy, d, ...], sent only when clients' dead reckoning is off,
see motion.py), ids that left the world (`gone`) and effects (`fx`). Entities that crossed into
another cell ("hops") are resolved per area: a client that saw the cell it left gets a compact
hop with the motion state, a client that did not gets the whole entity, and a client that no
longer sees it gets its id in `out`. Every frame carries the world tick `tk` its positions are at.

A client sees the cells within VIEW_CELLS of its own cell. Clients whose view did not change
share one frame per view centre; a client whose view moved gets full state for the cells
entering its view and the list of cells that left it (`drop`).
"""

from __future__ import annotations

import orjson

from ..sim.grid import cell_of
from ..sim.movement import facing_for
from ..wire.views import entity_view
from .motion import MotionTracker, motion_fields, planned_velocity

VIEW_CELLS = 2
MOTION = frozenset(("x", "y", "vx", "vy", "t", "d"))


def view_cells(map_def, cell: tuple[int, int]) -> frozenset:
    cx, cy = cell
    max_cx, max_cy = cell_of(map_def.max_x, map_def.max_y)
    return frozenset(
        (x, y)
        for x in range(max(0, cx - VIEW_CELLS), min(max_cx, cx + VIEW_CELLS) + 1)
        for y in range(max(0, cy - VIEW_CELLS), min(max_cy, cy + VIEW_CELLS) + 1)
    )


class InstanceState:
    """What clients were last told about one instance, and this round's encoded changes."""

    __slots__ = ("sent", "cell", "handles", "next_handle", "deltas", "fulls", "frames", "hops", "motion", "tick")

    def __init__(self, tick_hz: int = 20) -> None:
        self.sent: dict[str, dict] = {}
        self.cell: dict[str, tuple[int, int]] = {}
        self.handles: dict[str, int] = {}
        self.next_handle = 0
        self.deltas: dict[tuple[int, int], bytes] = {}
        self.fulls: dict[tuple[int, int], bytes] = {}
        self.frames: dict[tuple[int, int], bytes | None] = {}
        self.hops: list[tuple] = []
        self.motion = MotionTracker(tick_hz)
        self.tick = 0

    def handle(self, eid: str) -> int:
        h = self.handles.get(eid)
        if h is None:
            self.next_handle += 1
            h = self.handles[eid] = self.next_handle
        return h


class AreaSync:
    """Computes and caches the encoded per-cell chunks and per-area frames of one sync round."""

    def __init__(self) -> None:
        self.instances: dict[str, InstanceState] = {}

    def collect(self, world, fx_events: list, tick_hz: int = 20) -> None:
        fx_by_instance: dict[str, list] = {}
        for fx in fx_events:
            fx_by_instance.setdefault(fx.instance, []).append(fx)
        for key in [k for k in self.instances if k not in world.instances]:
            del self.instances[key]
        for key, inst in world.instances.items():
            state = self.instances.get(key)
            if state is None:
                state = self.instances[key] = InstanceState(tick_hz)
            self._collect_instance(world, inst, state, fx_by_instance.get(key, ()))

    def _collect_instance(self, world, inst, state: InstanceState, fxs) -> None:
        dirty, gone = inst.take_changes()
        state.deltas, state.fulls, state.frames, state.hops = {}, {}, {}, []
        state.tick = tick = world.tick
        motion = state.motion
        motion.begin(tick)
        raw: dict[tuple[int, int], dict] = {}

        def delta(cell):
            d = raw.get(cell)
            if d is None:
                d = raw[cell] = {}
            return d

        where = inst.grid.where
        for eid in sorted(gone):
            if eid not in where and eid in state.cell:
                delta(state.cell.pop(eid)).setdefault("gone", []).append(eid)
                state.sent.pop(eid, None)
                state.handles.pop(eid, None)
                motion.forget(eid)
        now, hz = world.now, motion.tick_hz
        for eid in sorted(dirty | motion.moving if motion.moving else dirty):
            entity = inst.entity(eid)
            cur = where.get(eid)
            if entity is None or cur is None:
                continue
            prev_cell = state.cell.get(eid)
            old = state.sent.get(eid)
            fresh = prev_cell is None or old is None
            hop = not fresh and prev_cell != cur
            moved = motion.update(eid, entity.x, entity.y, tick, planned_velocity(entity, now, hz), force=hop)
            if eid in dirty or fresh:
                view = entity_view(entity)
                view["h"] = state.handle(eid)
                view.update(motion_fields(motion.states[eid]))
            elif moved is not None:
                view = {k: v for k, v in old.items() if k not in MOTION}
                view.update(motion_fields(moved))
            else:
                continue  # not changed, and still where clients predict it
            if moved is None and view == old:
                continue  # walked as clients predict, nothing else changed (the common case)
            state.sent[eid] = view
            state.cell[eid] = cur
            if fresh:
                delta(cur).setdefault("up", []).append(view)
                continue
            diff = _changed(_as_clients_hold(old, moved), view)
            if hop:
                state.hops.append((view["h"], eid, prev_cell, cur, view, diff))
                continue
            if diff:
                diff["id"] = eid
                delta(cur).setdefault("up", []).append(diff)
            if moved is not None:
                delta(cur).setdefault("mv", []).extend((view["h"],) + moved[:4] + moved[5:])
        for fx in fxs:
            delta(cell_of(fx.x, fx.y)).setdefault("fx", []).append(
                {"id": fx.id, "type": fx.type, "x": fx.x, "y": fx.y, "by": fx.by, "payload": fx.payload}
            )
        for cell, d in raw.items():
            d["c"] = cell
            state.deltas[cell] = orjson.dumps(d)

    # ---- what one client gets ----------------------------------------------------------
    def full_chunk(self, inst, cell: tuple[int, int]) -> bytes:
        state = self.instances[inst.key]
        chunk = state.fulls.get(cell)
        if chunk is None:
            ids = inst.grid.cells.get(cell, ())
            ups = [state.sent[eid] for eid in sorted(ids) if eid in state.sent]
            chunk = state.fulls[cell] = orjson.dumps({"c": cell, "full": True, "up": ups})
        return chunk

    def area_frame(self, inst, center: tuple[int, int], cells: frozenset) -> bytes | None:
        """The shared frame for every client whose view is centred on `center`: None if nothing changed."""
        state = self.instances[inst.key]
        if center in state.frames:
            return state.frames[center]
        chunks = [state.deltas[c] for c in sorted(cells) if c in state.deltas]
        frame = self._frame(state, chunks, had=cells, view=cells) if chunks or state.hops else None
        state.frames[center] = frame
        return frame

    def moved_frame(self, inst, old: frozenset, new: frozenset) -> bytes:
        """A frame for a client whose view changed: fulls for entered cells, deltas for kept ones."""
        state = self.instances[inst.key]
        kept = old & new
        chunks = [self.full_chunk(inst, c) for c in sorted(new - old)]
        chunks += [state.deltas[c] for c in sorted(kept) if c in state.deltas]
        frame = self._frame(state, chunks, had=kept, view=new, drop=sorted(old - new))
        return frame if frame is not None else b'{"t":"sync","tk":%d,"a":[]}' % state.tick

    def enter_chunks(self, inst, cells: frozenset) -> list[bytes]:
        return [self.full_chunk(inst, c) for c in sorted(cells)]

    def _frame(self, state: InstanceState, chunks: list[bytes], had: frozenset, view: frozenset,
               drop: list | None = None) -> bytes | None:
        """Join chunks and this client's resolution of the round's hops into one sync frame."""
        hop: list = []
        arrived: list = []
        out: list = []
        for h, eid, left, entered, whole, changed in state.hops:
            if entered in view:
                if entered not in had:
                    continue  # a full chunk of that cell brings it
                if left in had:
                    hop.extend((h, whole["x"], whole["y"], whole.get("vx", 0), whole.get("vy", 0), whole.get("d", 0),
                                entered[0], entered[1]))
                    if changed:
                        arrived.append({"c": entered, "up": [{**changed, "id": eid}]})
                else:
                    arrived.append({"c": entered, "up": [whole]})
            elif left in had:
                out.append(eid)
        if not (chunks or hop or arrived or out or drop):
            return None
        chunks = chunks + [orjson.dumps(a) for a in arrived]
        parts = [b'{"t":"sync","tk":%d,"a":[' % state.tick, b",".join(chunks), b"]"]
        if hop:
            parts.append(b',"hop":' + orjson.dumps(hop))
        if out:
            parts.append(b',"out":' + orjson.dumps(out))
        if drop:
            parts.append(b',"drop":' + orjson.dumps(drop))
        parts.append(b"}")
        return b"".join(parts)


def _as_clients_hold(old: dict, moved: tuple | None) -> dict:
    """`old` after clients applied the motion state `moved`: moving turns an entity's facing `f`
    the way it moves (so a walk needs no `f` update, only a facing that differs from it does)."""
    if moved is None or not (moved[2] or moved[3]) or "f" not in old:
        return old
    return {**old, "f": facing_for(moved[2], moved[3], old["f"])}


def _changed(old: dict, new: dict) -> dict:
    """The non-motion fields of `new` that differ from `old` (motion goes in `mv` and `hop`)."""
    return {k: v for k, v in new.items() if k not in MOTION and old.get(k) != v}
