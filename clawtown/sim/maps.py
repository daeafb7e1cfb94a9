"""Map definitions: size, terrain landmarks, portals and monster spawns of every map.

Terrain is cosmetic (no collision): it is drawn by the browser and the PNG renderers. Monsters
and portals are rules. Positions are world pixels; a map is `width`×`height` tiles of TILE px.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .constants import TILE


@dataclass(frozen=True)
class Portal:
    """Stepping within `radius` of (x, y) moves a player to `to_map` at (to_x, to_y)."""

    x: int
    y: int
    to_map: str
    to_x: int
    to_y: int
    label: str
    radius: int = 24


@dataclass(frozen=True)
class MonsterSpawn:
    """One monster that lives on a map: where it appears and how strong it is."""

    key: str
    kind: str
    name: str
    x: int
    y: int
    max_hp: int
    atk: int
    xp: int
    color: str | None
    loot: str
    defense: int = 0
    aggressive: bool = False
    wander: bool = True
    respawn_ms: int = 6000


@dataclass(frozen=True)
class MapDef:
    """A map: its size in tiles, landmarks for drawing, portals, spawn point and monsters."""

    id: str
    name: str
    width: int
    height: int
    spawn: tuple[int, int]
    paths_h: tuple[tuple[int, int], ...] = ()
    paths_v: tuple[tuple[int, int], ...] = ()
    plaza: tuple[int, int, int, int] | None = None
    ponds: tuple[tuple[int, int, int], ...] = ()
    portals: tuple[Portal, ...] = ()
    monsters: tuple[MonsterSpawn, ...] = ()
    respawn_points: tuple[tuple[int, int], ...] = ()
    ground: str = "grass"
    extra: dict = field(default_factory=dict)

    @property
    def px_width(self) -> int:
        return self.width * TILE

    @property
    def px_height(self) -> int:
        return self.height * TILE

    @property
    def max_x(self) -> int:
        return (self.width - 1) * TILE

    @property
    def max_y(self) -> int:
        return (self.height - 1) * TILE

    def clamp(self, x: float, y: float) -> tuple[float, float]:
        return min(max(x, 0.0), float(self.max_x)), min(max(y, 0.0), float(self.max_y))

    def tile_at(self, tx: int, ty: int) -> str:
        """Terrain of one tile: portal, water, plaza, path or the map's ground."""
        cx, cy = tx * TILE + TILE / 2, ty * TILE + TILE / 2
        for p in self.portals:
            if abs(cx - p.x) <= TILE and abs(cy - p.y) <= TILE:
                return "portal"
        for px, py, r in self.ponds:
            if (cx - px) ** 2 + (cy - py) ** 2 <= r * r:
                return "water"
        if self.plaza:
            x0, y0, x1, y1 = self.plaza
            if x0 <= cx < x1 and y0 <= cy < y1:
                return "plaza"
        for y, half in self.paths_h:
            if abs(cy - y) <= half + TILE / 2 - 1:
                return "path"
        for x, half in self.paths_v:
            if abs(cx - x) <= half + TILE / 2 - 1:
                return "path"
        return self.ground

    def terrain_rows(self) -> list[str]:
        """The whole terrain as one string per row, one letter per tile (g p P w o f)."""
        letter = {"grass": "g", "path": "p", "plaza": "P", "water": "w", "portal": "o", "flowers": "f"}
        return ["".join(letter[self.tile_at(tx, ty)] for tx in range(self.width)) for ty in range(self.height)]

    def describe(self) -> dict:
        """What a client needs to draw the map."""
        return {
            "id": self.id,
            "name": self.name,
            "width": self.width,
            "height": self.height,
            "tileSize": TILE,
            "terrain": self.terrain_rows(),
            "portals": [
                {"x": p.x, "y": p.y, "radius": p.radius, "to": p.to_map, "label": p.label} for p in self.portals
            ],
        }


def _slime(n: int, name: str, x: int, y: int, hp: int, color: str) -> MonsterSpawn:
    return MonsterSpawn(f"m_slime_{n}", "slime", name, x, y, hp, 1, 8, color, "slime")


TOWN = MapDef(
    id="town",
    name="Clawtown Plaza",
    width=30,
    height=18,
    spawn=(480, 288),
    paths_h=((288, 10),),
    paths_v=((480, 10),),
    plaza=(416, 224, 544, 352),
    ponds=((704, 416, 52),),
    portals=(Portal(944, 288, "meadow", 72, 768, "Poring Meadow"),),
    monsters=(
        _slime(1, "Poring", 444, 306, 18, "rgba(251, 182, 206, 0.9)"),
        _slime(2, "Drops", 562, 294, 14, "rgba(125, 211, 252, 0.9)"),
        _slime(3, "Poporing", 550, 370, 20, "rgba(134, 239, 172, 0.9)"),
        _slime(4, "Marin", 402, 378, 16, "rgba(94, 234, 212, 0.9)"),
        _slime(5, "Metaling", 598, 242, 22, "rgba(252, 211, 77, 0.92)"),
        _slime(6, "Ghostring", 496, 268, 17, "rgba(196, 181, 253, 0.9)"),
        _slime(7, "Angeling", 544, 344, 19, "rgba(251, 146, 60, 0.9)"),
    ),
    respawn_points=((440, 306), (562, 294), (550, 370), (402, 378), (598, 242), (496, 268), (544, 344)),
)


def _meadow_monsters() -> tuple[MonsterSpawn, ...]:
    kinds = [
        ("Lunatic", 30, 3, 12, "rgba(248, 250, 252, 0.95)"),
        ("Fabre", 40, 4, 14, "rgba(163, 230, 53, 0.92)"),
        ("Rocker", 55, 5, 18, "rgba(217, 119, 6, 0.92)"),
        ("Savage Bebe", 70, 6, 22, "rgba(180, 83, 9, 0.92)"),
    ]
    spots = [
        (420, 520), (760, 300), (1100, 640), (1500, 420), (1900, 760), (2200, 380), (600, 1100),
        (1000, 1250), (1400, 1000), (1800, 1200), (2300, 1100), (300, 1300), (1250, 250), (2000, 200),
        (900, 860), (1650, 780),
    ]
    out = []
    for i, (x, y) in enumerate(spots):
        name, hp, atk, xp, color = kinds[i % len(kinds)]
        out.append(MonsterSpawn(f"m_field_{i + 1}", "beast", name, x, y, hp, atk, xp, color, "field", defense=i % 2))
    out.append(
        MonsterSpawn("m_elite_eclipse", "elite", "Eclipse", 2240, 1280, 160, 8, 30, "rgba(244, 114, 182, 0.95)",
                     "elite", defense=2, aggressive=True, wander=False, respawn_ms=30_000)
    )
    return tuple(out)


MEADOW = MapDef(
    id="meadow",
    name="Poring Meadow",
    width=80,
    height=48,
    spawn=(72, 768),
    paths_h=((768, 12),),
    paths_v=((1280, 12),),
    ponds=((1900, 560, 90), (640, 320, 70)),
    portals=(Portal(16, 768, "town", 880, 288, "Clawtown Plaza"),),
    monsters=_meadow_monsters(),
    respawn_points=(),
)

MAPS: dict[str, MapDef] = {m.id: m for m in (TOWN, MEADOW)}
HOME_MAP = TOWN.id
