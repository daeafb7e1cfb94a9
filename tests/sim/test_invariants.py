"""Stateful property test: random players doing random things never break the world's invariants.

Bounded for CI; set CT_HYPOTHESIS_EXAMPLES=2000 (for example) for a longer, randomized run.
"""

from __future__ import annotations

import os
from collections import Counter

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from clawtown.sim import commands as c
from clawtown.sim.combat import SPELLS, hurt_player
from clawtown.sim.constants import STAT_MAX, STATS, TICK_MS
from clawtown.sim.grid import cell_of
from clawtown.sim.instance import instance_key
from clawtown.sim.items import CATALOG, EQUIP_SLOTS
from clawtown.sim.maps import MAPS
from clawtown.sim.progression import add_item
from clawtown.sim.stats import level_for_xp
from clawtown.sim.world import World

PIDS = [f"p_{i}" for i in range(5)]
CAP = 3  # small channels, so extra channels open and close
ITEMS = sorted(CATALOG)
SPOTS = [(944, 288), (930, 290), (16, 768), (0, 768), (480, 288), (444, 306), (2240, 1280), (-50, 9999)]

_examples = os.environ.get("CT_HYPOTHESIS_EXAMPLES")

pids = st.sampled_from(PIDS)
coords = st.one_of(st.sampled_from(SPOTS), st.tuples(st.floats(-200, 2800), st.floats(-200, 1700)))
texts = st.sampled_from(["hi", "", "  ", "@p_1 hey", "yo @P_2, @p_0!", "x" * 300, "line\nbreak"])


class WorldMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.world = World(seed="hypothesis", instance_cap=CAP)
        self.now = 0
        self.seq = 0
        self.parked: dict[str, dict] = {}
        self.codes: list[str] = ["NOPE22"]
        self.last_xp: dict[str, int] = {}

    # ---- driving ---------------------------------------------------------------------
    def step(self, *cmds, dt: int = TICK_MS) -> list:
        self.now += dt
        return self.world.step(self.now, list(cmds))

    def player(self, pid):
        return self.world.players.get(pid)

    @initialize()
    def create_players(self):
        self.step(*[c.CreatePlayer(player_id=pid, name=pid.upper(), job=job)
                    for pid, job in zip(PIDS, ["novice", "mage", "archer", "knight", "assassin"])])

    @rule(n=st.integers(1, 120))
    def ticks(self, n):
        for _ in range(n):
            self.step()

    @rule(dt=st.sampled_from([1, 1000, 5000, 45_000, 61_000, 600_000, 3_600_001]))
    def clock_jump(self, dt):
        self.step(dt=dt)

    @rule(pid=pids, dx=st.sampled_from([-1, 0, 1, 0.5, -3]), dy=st.sampled_from([-1, 0, 1]))
    def move(self, pid, dx, dy):
        self.step(c.Move(player_id=pid, dx=dx, dy=dy))

    @rule(pid=pids, xy=coords, walk=st.integers(0, 100))
    def goal(self, pid, xy, walk):
        self.step(c.SetGoal(player_id=pid, x=xy[0], y=xy[1]))
        for _ in range(walk):
            self.step()

    @rule(pid=pids, spell=st.sampled_from([*SPELLS, "job", "attack", "bogus", "JOB"]),
          aim=st.one_of(st.none(), coords))
    def cast(self, pid, spell, aim):
        x, y = aim if aim else (None, None)
        self.step(c.Cast(player_id=pid, spell=spell, x=x, y=y))

    @rule(pid=pids, data=st.data())
    def equip(self, pid, data):
        p = self.player(pid)
        choices = ITEMS + ["nothing"]
        if p is not None and p.inventory:  # mostly something the player owns, by uid or by item id
            choices = [r["uid"] for r in p.inventory] + [r["itemId"] for r in p.inventory] + ["nothing"]
        self.step(c.Equip(player_id=pid, item=data.draw(st.sampled_from(choices))))

    @rule(pid=pids, spell=st.sampled_from([*SPELLS, "job"]), walk=st.integers(0, 80), casts=st.integers(1, 12))
    def hunt(self, pid, spell, walk, casts):
        """Walk toward the nearest monster, then cast at it a few times."""
        p = self.player(pid)
        if p is None:
            return
        inst = self.world.instance_of(p)
        alive = [m for m in inst.monsters.values() if m.alive]
        if not alive:
            self.step()
            return
        m = min(alive, key=lambda m: ((m.x - p.x) ** 2 + (m.y - p.y) ** 2, m.id))
        self.step(c.SetGoal(player_id=pid, x=m.x, y=m.y))
        for _ in range(walk):
            self.step()
        for _ in range(casts):
            p.facing = "right" if m.x > p.x else "left"
            self.step(c.Cast(player_id=pid, spell=spell, x=m.x, y=m.y))
            for _ in range(14):
                self.step()

    @rule(pid=pids)
    def take_portal(self, pid):
        p = self.player(pid)
        if p is None or not p.alive:
            return
        portal = MAPS[p.map_id].portals[0]
        self.step(c.SetGoal(player_id=pid, x=portal.x, y=portal.y))
        start = p.map_id
        for _ in range(400):
            if p.map_id != start or p.goal is None:
                break
            self.step()

    @rule(pid=pids, slot=st.sampled_from([*EQUIP_SLOTS, "hat"]))
    def unequip(self, pid, slot):
        self.step(c.Unequip(player_id=pid, slot=slot))

    @rule(pid=pids, stat=st.sampled_from([*STATS, "cha"]), n=st.integers(-5, 120))
    def alloc(self, pid, stat, n):
        self.step(c.AllocStat(player_id=pid, stat=stat, n=n))

    @rule(pid=pids, recipe=st.sampled_from(["jelly_3", "jelly_3", "nope"]))
    def craft(self, pid, recipe):
        self.step(c.Craft(player_id=pid, recipe=recipe))

    @rule(pid=pids, item=st.sampled_from(ITEMS + ["jelly"] * 6), qty=st.integers(1, 4))
    def grant(self, pid, item, qty):
        """What the test-mode grant-item helper does."""
        p = self.player(pid)
        if p is not None:
            add_item(self.world, p, item, qty)

    @rule(pid=pids)
    def party_create(self, pid):
        self.seq += 1
        self.step(c.PartyCreate(player_id=pid, party_id=f"party_{self.seq}"))

    @rule(pid=pids)
    def party_code(self, pid):
        self.seq += 1
        self.codes.append(f"K{self.seq:05d}")
        self.step(c.PartyCode(player_id=pid, code=self.codes[-1], party_id=f"party_c{self.seq}"))

    @rule(pid=pids, data=st.data(), teleport=st.booleans())
    def party_join(self, pid, data, teleport):
        code = data.draw(st.sampled_from(self.codes[-4:]))
        self.step(c.PartyJoin(player_id=pid, code=code.lower() if teleport else code, teleport=teleport))

    @rule(pid=pids)
    def party_leave(self, pid):
        self.step(c.PartyLeave(player_id=pid))

    @rule(pid=pids, other=pids)
    def party_promote(self, pid, other):
        self.step(c.PartyPromote(player_id=pid, member_id=other))

    @rule(pid=pids, zenny=st.integers(0, 30))
    def party_summon(self, pid, zenny):
        p = self.player(pid)
        if p is not None:
            p.zenny += zenny
        self.step(c.PartySummon(player_id=pid))

    @rule(pid=pids, text=texts)
    def chat(self, pid, text):
        self.step(c.Chat(player_id=pid, text=text))

    @rule(pid=pids, other=pids, text=texts)
    def whisper(self, pid, other, text):
        self.step(c.Whisper(player_id=pid, to=other.upper(), text=text))

    @rule(pid=pids, mode=st.sampled_from(["agent", "manual", "bogus"]))
    def mode(self, pid, mode):
        self.step(c.SetMode(player_id=pid, mode=mode))

    @rule(pid=pids, action=st.booleans(), link=st.booleans())
    def bot_seen(self, pid, action, link):
        self.step(c.BotSeen(player_id=pid, action=action, link=link))

    @rule(pid=pids, channel=st.integers(1, 4))
    def change_channel(self, pid, channel):
        self.step(c.ChangeChannel(player_id=pid, channel=channel))

    @rule(pid=pids, raw=st.integers(1, 60))
    def ambush(self, pid, raw):
        """The nearest monster lands a hit (knock-outs happen often enough to be checked)."""
        p = self.player(pid)
        if p is None or not p.alive:
            return
        inst = self.world.instance_of(p)
        alive = sorted((m for m in inst.monsters.values() if m.alive), key=lambda m: m.id)
        if alive:
            hurt_player(self.world, inst, alive[0], p, raw)
        self.step()

    @precondition(lambda self: len(self.parked) < len(PIDS))
    @rule(pid=pids)
    def park(self, pid):
        p = self.player(pid)
        if p is not None:
            self.parked[pid] = p.to_record()
            self.step(c.Park(player_id=pid))

    @rule(pid=pids)
    def disconnect(self, pid):
        """Offline characters may be parked by the world itself after a long idle time."""
        self.step(c.Disconnect(player_id=pid))

    @rule(pid=pids, online=st.booleans())
    def activate(self, pid, online):
        self.step(c.Activate(player_id=pid, record=self.parked.pop(pid, None), online=online))

    # ---- invariants ------------------------------------------------------------------
    @invariant()
    def players_are_sane(self):
        for pid, p in self.world.players.items():
            assert p.id == pid
            assert 1 <= p.max_hp and 0 <= p.hp <= p.max_hp, (p.hp, p.max_hp)
            assert p.alive or p.hp == 0
            assert p.zenny >= 0 and p.stat_points >= 0
            assert all(1 <= v <= STAT_MAX for v in p.base.values())
            assert p.level == level_for_xp(p.xp)
            assert p.xp >= self.last_xp.get(pid, 0), "XP decreased"
            self.last_xp[pid] = p.xp
            m = MAPS[p.map_id]
            assert 0 <= p.x <= m.max_x and 0 <= p.y <= m.max_y, (p.map_id, p.x, p.y)
            if p.goal is not None:
                assert 0 <= p.goal[0] <= m.max_x and 0 <= p.goal[1] <= m.max_y
            for row in p.inventory:
                assert row["qty"] >= 1 and row["itemId"] in CATALOG and row["itemId"] != "zenny"
                assert CATALOG[row["itemId"]].stackable or row["qty"] == 1
            stacks = Counter(r["itemId"] for r in p.inventory if CATALOG[r["itemId"]].stackable)
            assert all(n == 1 for n in stacks.values()), "a stackable item has two rows"
            for slot, uid in p.equipment.items():
                if uid is not None:
                    row = p.find_row(uid)
                    assert row is not None, f"{pid} wears {uid} that is not in its inventory"
                    assert CATALOG[row["itemId"]].slot == slot

    @invariant()
    def items_are_never_duplicated(self):
        uids = [r["uid"] for p in self.world.players.values() for r in p.inventory]
        parked = {**self.parked, **getattr(self.world, "parked", {})}  # records out of the world
        uids += [r["uid"] for rec in parked.values() for r in rec["inventory"]]
        assert len(uids) == len(set(uids)), "an inventory uid appears twice"

    @invariant()
    def everyone_is_in_exactly_one_instance(self):
        where = Counter()
        for key, inst in self.world.instances.items():
            assert inst.population <= CAP
            assert key == instance_key(inst.map.id, inst.channel)
            for pid, p in inst.players.items():
                where[pid] += 1
                assert p is self.world.players.get(pid)
                assert key == instance_key(p.map_id, p.channel)
                assert inst.grid.where.get(pid) == cell_of(p.x, p.y)
            for mid, mon in inst.monsters.items():
                assert 0 <= mon.hp <= mon.max_hp
                assert 0 <= mon.x <= inst.map.max_x and 0 <= mon.y <= inst.map.max_y
                assert inst.grid.where.get(mid) == cell_of(mon.x, mon.y)
            for did, d in inst.drops.items():
                assert d.qty >= 1 and inst.grid.where.get(did) == cell_of(d.x, d.y)
            grid_ids = {eid for bucket in inst.grid.cells.values() for eid in bucket}
            assert grid_ids == set(inst.players) | set(inst.monsters) | set(inst.drops)
        assert set(where) == set(self.world.players) and all(n == 1 for n in where.values())
        assert not set(self.parked) & set(self.world.players)
        assert not set(getattr(self.world, "parked", {})) & set(self.world.players)

    @invariant()
    def parties_are_consistent(self):
        for party_id, party in self.world.parties.items():
            assert party.members and len(set(party.members)) == len(party.members)
            assert party.leader_id in party.members
        for p in self.world.players.values():
            if p.party_id is not None:
                party = self.world.parties.get(p.party_id)
                assert party is not None and p.id in party.members, (p.id, p.party_id)
        member_of = Counter(m for party in self.world.parties.values() for m in party.members)
        assert all(n == 1 for n in member_of.values()), "someone is in two parties"
        for code, party_id in self.world.party_codes.items():
            assert code == code.upper()


WorldMachine.TestCase.settings = settings(
    max_examples=int(_examples) if _examples else 60,
    stateful_step_count=40,
    deadline=None,
    derandomize=not _examples,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestWorldInvariants = WorldMachine.TestCase
if _examples:  # a long run must not trip the suite's per-test timeout
    TestWorldInvariants.pytestmark = [pytest.mark.timeout(0)]
