"""One running copy ("channel") of a map: its players, monsters and drops, and what changed.

The instance keeps every entity in a spatial grid and remembers which entities changed since
the engine last looked (`dirty`) and which left (`gone`, with the cell they left from), so the
sync layer can send deltas per area without scanning the world.
"""

from __future__ import annotations

import random

from .grid import SpatialGrid
from .maps import MapDef, MonsterSpawn
from .model import Drop, Monster, Player


def instance_key(map_id: str, channel: int) -> str:
    return f"{map_id}#{channel}"


class Instance:
    """A map channel. Entity ids are unique across kinds (p_…, m_…, d_…)."""

    def __init__(self, map_def: MapDef, channel: int, seed: object) -> None:
        self.map = map_def
        self.channel = channel
        self.key = instance_key(map_def.id, channel)
        self.rng = random.Random(f"{seed}:{self.key}")
        self.players: dict[str, Player] = {}
        self.monsters: dict[str, Monster] = {}
        self.drops: dict[str, Drop] = {}
        self.grid = SpatialGrid()
        self.monster_grid = SpatialGrid()
        self.dirty: set[str] = set()
        self.gone: dict[str, tuple[int, int]] = {}
        self.fx_seq = 0
        self.drop_seq = 0

    # ---- population ---------------------------------------------------------------
    def spawn_initial_monsters(self, now: int) -> None:
        for spawn in self.map.monsters:
            self.add_monster(monster_from_spawn(spawn, now, self.rng))

    def add_monster(self, m: Monster) -> None:
        self.monsters[m.id] = m
        self.grid.place(m.id, m.x, m.y)
        self.monster_grid.place(m.id, m.x, m.y)
        self.touch(m.id)

    def remove_monster(self, monster_id: str) -> None:
        self.monsters.pop(monster_id, None)
        self.monster_grid.remove(monster_id)
        self._forget(monster_id)

    def add_player(self, p: Player) -> None:
        self.players[p.id] = p
        self.grid.place(p.id, p.x, p.y)
        self.touch(p.id)

    def remove_player(self, player_id: str) -> None:
        self.players.pop(player_id, None)
        self._forget(player_id)

    def add_drop(self, item_id: str, qty: int, x: float, y: float, expires_at: int) -> Drop:
        self.drop_seq += 1
        d = Drop(f"d_{self.channel}_{self.drop_seq}", item_id, qty, x, y, expires_at)
        self.drops[d.id] = d
        self.grid.place(d.id, d.x, d.y)
        self.touch(d.id)
        return d

    def remove_drop(self, drop_id: str) -> None:
        self.drops.pop(drop_id, None)
        self._forget(drop_id)

    def _forget(self, entity_id: str) -> None:
        cell = self.grid.remove(entity_id)
        self.dirty.discard(entity_id)
        if cell is not None:
            self.gone[entity_id] = cell

    # ---- change tracking ----------------------------------------------------------
    def touch(self, entity_id: str) -> None:
        self.dirty.add(entity_id)

    def moved(self, entity_id: str, x: float, y: float) -> None:
        """Record a position change: keep the grid right and mark the entity changed."""
        old = self.grid.place(entity_id, x, y)
        if old is not None:
            self.gone.setdefault(entity_id, old)
            if entity_id in self.monsters:
                self.monster_grid.place(entity_id, x, y)
        self.dirty.add(entity_id)

    def take_changes(self) -> tuple[set[str], dict[str, tuple[int, int]]]:
        dirty, gone = self.dirty, self.gone
        self.dirty, self.gone = set(), {}
        return dirty, gone

    def entity(self, entity_id: str):
        return self.players.get(entity_id) or self.monsters.get(entity_id) or self.drops.get(entity_id)

    def next_fx_id(self) -> str:
        self.fx_seq += 1
        return f"fx_{self.key}_{self.fx_seq}"

    @property
    def population(self) -> int:
        return len(self.players)


def monster_from_spawn(spawn: MonsterSpawn, now: int, rng: random.Random) -> Monster:
    return Monster(
        id=spawn.key,
        kind=spawn.kind,
        name=spawn.name,
        x=float(spawn.x),
        y=float(spawn.y),
        hp=spawn.max_hp,
        max_hp=spawn.max_hp,
        atk=spawn.atk,
        defense=spawn.defense,
        xp=spawn.xp,
        color=spawn.color,
        loot=spawn.loot,
        aggressive=spawn.aggressive,
        wander=spawn.wander,
        respawn_ms=spawn.respawn_ms,
        home=(float(spawn.x), float(spawn.y)),
        next_wander=now + rng.randint(500, 2000),
    )
