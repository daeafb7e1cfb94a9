"""Interest management: per-cell deltas of every map instance, encoded once and shared.

Each sync, `AreaSync.collect(world, fx)` turns what changed in each instance into one encoded
chunk per changed cell: entities that entered or changed (`up`; only the changed fields when the
entity stays in its cell), ids that left (`gone`) and effects (`fx`). A client sees the cells
within VIEW_CELLS of its own cell: it gets the deltas of cells it already saw, the full state of
cells entering its view (`full: true`) and the list of cells that left its view (`drop`).
Clients whose view did not change share one frame per area.
"""

from __future__ import annotations

import orjson

from ..sim.grid import cell_of
from ..wire.views import entity_view

VIEW_CELLS = 2


def view_cells(map_def, cell: tuple[int, int]) -> frozenset:
    cx, cy = cell
    max_cx, max_cy = cell_of(map_def.max_x, map_def.max_y)
    return frozenset(
        (x, y)
        for x in range(max(0, cx - VIEW_CELLS), min(max_cx, cx + VIEW_CELLS) + 1)
        for y in range(max(0, cy - VIEW_CELLS), min(max_cy, cy + VIEW_CELLS) + 1)
    )


class InstanceState:
    """What clients were last told about one instance: each entity's view and cell."""

    __slots__ = ("sent", "cell", "deltas", "fulls", "frames")

    def __init__(self) -> None:
        self.sent: dict[str, dict] = {}
        self.cell: dict[str, tuple[int, int]] = {}
        self.deltas: dict[tuple[int, int], bytes] = {}
        self.fulls: dict[tuple[int, int], bytes] = {}
        self.frames: dict[tuple[int, int], bytes | None] = {}


class AreaSync:
    """Computes and caches the encoded per-cell chunks of one sync round."""

    def __init__(self) -> None:
        self.instances: dict[str, InstanceState] = {}
        self.world = None

    def collect(self, world, fx_events: list) -> None:
        self.world = world
        fx_by_instance: dict[str, list] = {}
        for fx in fx_events:
            fx_by_instance.setdefault(fx.instance, []).append(fx)
        for key in [k for k in self.instances if k not in world.instances]:
            del self.instances[key]
        for key, inst in world.instances.items():
            self._collect_instance(inst, self.instances.setdefault(key, InstanceState()), fx_by_instance.get(key, ()))

    def _collect_instance(self, inst, state: InstanceState, fxs) -> None:
        dirty, gone = inst.take_changes()
        state.deltas, state.fulls, state.frames = {}, {}, {}
        raw: dict[tuple[int, int], dict] = {}

        def delta(cell):
            d = raw.get(cell)
            if d is None:
                d = raw[cell] = {"c": cell, "up": [], "gone": []}
            return d

        where = inst.grid.where
        for eid in gone:
            if eid not in where and eid in state.cell:
                delta(state.cell.pop(eid))["gone"].append(eid)
                state.sent.pop(eid, None)
        for eid in dirty:
            entity = inst.entity(eid)
            cur = where.get(eid)
            if entity is None or cur is None:
                continue
            view = entity_view(entity)
            prev_cell = state.cell.get(eid)
            if prev_cell != cur:
                if prev_cell is not None:
                    delta(prev_cell)["gone"].append(eid)
                delta(cur)["up"].append(view)
                state.cell[eid] = cur
            else:
                old = state.sent.get(eid, {})
                diff = {k: v for k, v in view.items() if old.get(k) != v}
                if diff:
                    diff["id"] = eid
                    delta(cur)["up"].append(diff)
            state.sent[eid] = view
        for fx in fxs:
            delta(cell_of(fx.x, fx.y)).setdefault("fx", []).append(
                {"id": fx.id, "type": fx.type, "x": fx.x, "y": fx.y, "by": fx.by, "payload": fx.payload}
            )
        for cell, d in raw.items():
            if not d["gone"]:
                del d["gone"]
            if not d["up"]:
                del d["up"]
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
        frame = b'{"t":"sync","a":[' + b",".join(chunks) + b"]}" if chunks else None
        state.frames[center] = frame
        return frame

    def moved_frame(self, inst, old: frozenset, new: frozenset) -> bytes:
        """A frame for a client whose view changed: fulls for entered cells, deltas for kept ones."""
        state = self.instances[inst.key]
        chunks = [self.full_chunk(inst, c) for c in sorted(new - old)]
        chunks += [state.deltas[c] for c in sorted(new & old) if c in state.deltas]
        dropped = orjson.dumps(sorted(old - new))
        return b'{"t":"sync","a":[' + b",".join(chunks) + b'],"drop":' + dropped + b"}"

    def enter_chunks(self, inst, cells: frozenset) -> list[bytes]:
        return [self.full_chunk(inst, c) for c in sorted(cells)]
