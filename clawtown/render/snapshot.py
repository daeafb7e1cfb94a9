"""An immutable copy of one map instance, taken on the reactor thread and drawn in another.

`snapshot_instance` only reads the live objects and copies plain numbers and strings into
tuples, so the renderer never touches game state and the snapshot can cross threads safely.
"""

from __future__ import annotations

import threading
from typing import NamedTuple

from ..sim.constants import TILE
from ..sim.items import CATALOG


class PortalSnap(NamedTuple):
    x: float
    y: float
    radius: int
    label: str


class MonsterSnap(NamedTuple):
    x: float
    y: float
    hp: int
    max_hp: int
    color: str | None  # CSS-like colour ("rgba(251, 182, 206, 0.9)", "#rrggbb") or None
    kind: str
    name: str


class DropSnap(NamedTuple):
    x: float
    y: float
    rarity: str


class PlayerSnap(NamedTuple):
    x: float
    y: float
    name: str
    hp: int
    max_hp: int
    level: int
    is_you: bool
    knocked_out: bool = False


class MapSnapshot(NamedTuple):
    """Everything the map images show. Positions are world pixels; `terrain` has one letter per tile."""

    map_id: str
    map_name: str
    width: int  # tiles
    height: int  # tiles
    terrain: tuple[str, ...]
    portals: tuple[PortalSnap, ...] = ()
    monsters: tuple[MonsterSnap, ...] = ()
    drops: tuple[DropSnap, ...] = ()
    players: tuple[PlayerSnap, ...] = ()
    tile: int = TILE

    @property
    def px_width(self) -> int:
        return self.width * self.tile

    @property
    def px_height(self) -> int:
        return self.height * self.tile

    @property
    def you(self) -> PlayerSnap | None:
        for p in self.players:
            if p.is_you:
                return p
        return None


# MapDef is frozen, so its terrain and portals never change: copy them once per map.
# The MapDef itself is kept next to the copy so that a different map reusing an id
# (tests build their own maps) is noticed instead of served stale terrain.
_STATIC: dict[str, tuple[object, tuple[str, ...], tuple[PortalSnap, ...]]] = {}
_STATIC_LOCK = threading.Lock()


def _static_parts(map_def) -> tuple[tuple[str, ...], tuple[PortalSnap, ...]]:
    cached = _STATIC.get(map_def.id)
    if cached is not None and cached[0] is map_def:
        return cached[1], cached[2]
    terrain = tuple(map_def.terrain_rows())
    portals = tuple(PortalSnap(float(p.x), float(p.y), int(p.radius), str(p.label)) for p in map_def.portals)
    with _STATIC_LOCK:
        _STATIC[map_def.id] = (map_def, terrain, portals)
    return terrain, portals


def snapshot_instance(inst, you_id: str | None) -> MapSnapshot:
    """Copy what the map images need out of a live `Instance` (call on the thread that owns it)."""
    map_def = inst.map
    terrain, portals = _static_parts(map_def)
    monsters = tuple(
        MonsterSnap(float(m.x), float(m.y), int(m.hp), int(m.max_hp), m.color, m.kind, m.name)
        for m in inst.monsters.values()
        if m.alive
    )
    drops = []
    for d in inst.drops.values():
        item = CATALOG.get(d.item_id)
        drops.append(DropSnap(float(d.x), float(d.y), item.rarity if item is not None else "common"))
    players = tuple(
        PlayerSnap(
            float(p.x), float(p.y), p.name, int(p.hp), int(p.max_hp), int(p.level),
            you_id is not None and p.id == you_id, p.knocked_out_until is not None,
        )
        for p in inst.players.values()
    )
    return MapSnapshot(
        map_id=map_def.id,
        map_name=map_def.name,
        width=int(map_def.width),
        height=int(map_def.height),
        terrain=terrain,
        portals=portals,
        monsters=monsters,
        drops=tuple(drops),
        players=players,
        tile=TILE,
    )
