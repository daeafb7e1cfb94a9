"""Builders shared by the sim tests: a world with a fake clock, players at positions, test monsters.

Time is only the `now` handed to `World.step`; `Sim` keeps it and advances it by whole ticks.
"""

from __future__ import annotations

import dataclasses
import itertools

import pytest

from clawtown.sim import commands as c
from clawtown.sim import movement
from clawtown.sim.constants import TICK_MS
from clawtown.sim.events import ChatLine, Note, Relocated, Result
from clawtown.sim.model import Monster
from clawtown.sim.world import World

_refs = itertools.count(1)


class Sim:
    """A World plus its clock and everything it emitted (oldest first)."""

    def __init__(self, seed: object = 0, instance_cap: int | None = None, now: int = 0) -> None:
        kwargs = {} if instance_cap is None else {"instance_cap": instance_cap}
        self.world = World(seed=seed, now=now, **kwargs)
        self.now = now
        self.events: list = []

    # ---- time -------------------------------------------------------------------------
    def step(self, *cmds, dt: int = TICK_MS) -> list:
        """One tick `dt` ms after the previous one, applying `cmds` first."""
        self.now += dt
        out = self.world.step(self.now, list(cmds))
        self.events.extend(out)
        return out

    def ticks(self, n: int) -> list:
        out = []
        for _ in range(n):
            out.extend(self.step())
        return out

    def advance_ms(self, ms: int) -> list:
        return self.ticks(-(-ms // TICK_MS))

    def run_until(self, predicate, max_ms: int) -> int:
        """Tick until `predicate()` is true; returns the simulated ms it took (fails after max_ms)."""
        start = self.now
        while not predicate():
            assert self.now - start <= max_ms, f"condition not met within {max_ms} ms"
            self.step()
        return self.now - start

    # ---- commands ---------------------------------------------------------------------
    def do(self, *cmds, dt: int = TICK_MS) -> dict:
        """Apply commands in one new tick and return the result payload of the last one."""
        ref = ("t", next(_refs))
        out = self.step(*cmds[:-1], dataclasses.replace(cmds[-1], ref=ref), dt=dt)
        return next(e.payload for e in out if isinstance(e, Result) and e.ref == ref)

    def add_player(self, pid: str, name: str | None = None, x: float | None = None, y: float | None = None,
                   job: str = "novice", **kw):
        res = self.do(c.CreatePlayer(player_id=pid, name=name or pid.capitalize(), job=job, **kw))
        assert res["ok"], res
        p = self.world.players[pid]
        if x is not None or y is not None:
            self.put(p, p.x if x is None else x, p.y if y is None else y)
        return p

    def put(self, p, x: float, y: float) -> None:
        """Teleport within the current instance (no pickup/portal side effects this tick)."""
        movement.place(self.world, p, x, y)
        self.world._walked.clear()

    def inst(self, key: str = "town#1"):
        return self.world.instances[key]

    # ---- monsters -----------------------------------------------------------------------
    def clear_monsters(self, key: str = "town#1") -> None:
        inst = self.inst(key)
        for mid in list(inst.monsters):
            inst.remove_monster(mid)

    def monster(self, x: float, y: float, *, key: str = "town#1", mid: str | None = None, hp: int = 100,
                kind: str = "slime", name: str | None = None, xp: int | None = None, loot: str | None = None,
                atk: int = 1, defense: int = 0, aggressive: bool = False, wander: bool = False,
                respawn_ms: int | None = 6000) -> Monster:
        """A test monster standing still at (x, y)."""
        inst = self.inst(key)
        mid = mid or f"m_test_{next(_refs)}"
        m = Monster(
            id=mid, kind=kind, name=name or mid, x=float(x), y=float(y), hp=hp, max_hp=hp, atk=atk,
            defense=defense, xp=(30 if kind == "elite" else 8) if xp is None else xp, color=None,
            loot=(kind if kind in ("slime", "elite") else "none") if loot is None else loot,
            aggressive=aggressive, wander=wander, respawn_ms=respawn_ms, home=(float(x), float(y)),
        )
        inst.add_monster(m)
        return m

    # ---- events -------------------------------------------------------------------------
    def notes(self, pid: str | None = None, kind: str | None = None, events=None) -> list[Note]:
        return [e for e in (self.events if events is None else events) if isinstance(e, Note)
                and (pid is None or e.player_id == pid) and (kind is None or e.kind == kind)]

    def chats(self, events=None) -> list[ChatLine]:
        return [e for e in (self.events if events is None else events) if isinstance(e, ChatLine)]

    def relocations(self, pid: str | None = None) -> list[Relocated]:
        return [e for e in self.events if isinstance(e, Relocated) and (pid is None or e.player_id == pid)]


@pytest.fixture
def sim() -> Sim:
    return Sim(seed="test")


@pytest.fixture
def arena() -> Sim:
    """A town with no monsters (tests place their own) and no players."""
    s = Sim(seed="arena")
    s.clear_monsters()
    return s
