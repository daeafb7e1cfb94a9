"""Spells, cooldowns, kills, shared XP, monsters fighting back, knock-outs and respawns."""

import math

import pytest

from clawtown.sim import commands as c
from clawtown.sim.combat import hurt_player
from clawtown.sim.constants import (
    CAST_COOLDOWN_MS, FIREBALL_RADIUS, FLURRY_COOLDOWN_MS, GROUND_CAST_RANGE, HAIL_RADIUS, KNOCKOUT_MS,
    MELEE_REACH, PARTY_SHARE_PX,
)
from clawtown.sim.events import Fx, Result
from clawtown.sim.maps import MAPS

X, Y = 480.0, 288.0


def cast(s, pid, spell="signature", x=None, y=None):
    return s.do(c.Cast(player_id=pid, spell=spell, x=x, y=y))


def casts_same_tick(s, *specs):
    """Several casts applied in one tick; returns their results in order."""
    cmds = [c.Cast(player_id=pid, spell=spell, x=x, y=y, ref=("cast", i)) for i, (pid, spell, x, y) in
            enumerate(specs)]
    out = s.step(*cmds)
    by_ref = {e.ref: e.payload for e in out if isinstance(e, Result)}
    return [by_ref[("cast", i)] for i in range(len(specs))]


def damaged(*monsters):
    return [m.hp < m.max_hp for m in monsters]


# ---- signature ---------------------------------------------------------------------------

def test_signature_hits_the_nearest_within_reach(arena):
    arena.add_player("p_a", x=X, y=Y)
    far = arena.monster(X + 100, Y)
    near = arena.monster(X - 60, Y + 10)
    res = cast(arena, "p_a")
    assert res["ok"] and res["target"] == near.id and res["dmg"] == 2
    assert damaged(near, far) == [True, False]


def test_signature_misses_beyond_reach(arena):
    arena.add_player("p_a", x=X, y=Y)
    m = arena.monster(X + MELEE_REACH + 1, Y)
    res = cast(arena, "p_a")
    assert res == {"ok": False, "reason": "no target"}
    assert m.hp == m.max_hp


def test_signature_reaches_exactly_120(arena):
    arena.add_player("p_a", x=X, y=Y)
    m = arena.monster(X, Y + MELEE_REACH)
    assert cast(arena, "p_a", "attack")["target"] == m.id


# ---- ground spells -----------------------------------------------------------------------

@pytest.mark.parametrize("spell,radius", [("fireball", FIREBALL_RADIUS), ("hail", HAIL_RADIUS)])
def test_ground_spell_hits_everything_within_radius_of_the_aim(arena, spell, radius):
    arena.add_player("p_a", x=X, y=Y)
    ax, ay = X + 200, Y
    inside = [arena.monster(ax, ay), arena.monster(ax + radius - 1, ay), arena.monster(ax, ay - radius + 2)]
    outside = [arena.monster(ax - radius - 2, ay), arena.monster(ax, ay + radius + 2)]
    res = cast(arena, "p_a", spell, ax, ay)
    assert res["ok"] and res["spell"] == spell and res["hits"] == 3
    assert all(damaged(*inside)) and not any(damaged(*outside))


def test_ground_spell_defaults_to_the_caster_position(arena):
    arena.add_player("p_a", x=X, y=Y)
    m = arena.monster(X + 100, Y)
    assert cast(arena, "p_a", "fireball")["hits"] == 1
    assert m.hp < m.max_hp


@pytest.mark.parametrize("spell", ["fireball", "hail"])
def test_ground_spell_beyond_cast_range_is_refused_without_cooldown(arena, spell):
    arena.add_player("p_a", x=100, y=100)
    m = arena.monster(100 + GROUND_CAST_RANGE + 20, 100)
    far, ok = casts_same_tick(arena, ("p_a", spell, 100 + GROUND_CAST_RANGE + 20, 100),
                              ("p_a", spell, 100 + GROUND_CAST_RANGE - 20, 100))
    assert far["ok"] is False and far["reason"] == "out of range"
    assert m.hp < m.max_hp  # hit by the second cast (in range, radius covers the monster)
    assert ok["ok"] and ok["hits"] == 1


def test_ground_damage_is_flat_plus_matk(arena):
    arena.add_player("p_a", x=X, y=Y)
    m1, m2 = arena.monster(X + 10, Y), arena.monster(X + 300, Y)
    cast(arena, "p_a", "fireball", X, Y)
    arena.advance_ms(CAST_COOLDOWN_MS)
    cast(arena, "p_a", "hail", X + 300, Y)
    assert m1.max_hp - m1.hp == 5 + 1  # novice matk 2 -> +1
    assert m2.max_hp - m2.hp == 4 + 1


# ---- arrow -------------------------------------------------------------------------------

def test_arrow_hits_only_along_facing(arena):
    p = arena.add_player("p_a", x=X, y=Y)
    p.facing = "right"
    behind = arena.monster(X - 50, Y)
    above = arena.monster(X, Y - 80)
    assert cast(arena, "p_a", "arrow") == {"ok": False, "reason": "no target"}
    ahead = arena.monster(X + 150, Y + 60)
    nearer_off_axis = arena.monster(X + 120, Y - 95)  # too far off the axis
    arena.advance_ms(CAST_COOLDOWN_MS)
    res = cast(arena, "p_a", "arrow")
    assert res["ok"] and res["target"] == ahead.id
    assert damaged(behind, above, nearer_off_axis) == [False, False, False]


@pytest.mark.parametrize("facing,dx,dy", [("left", -1, 0), ("up", 0, -1), ("down", 0, 1), ("right", 1, 0)])
def test_arrow_picks_the_nearest_ahead_within_260(arena, facing, dx, dy):
    p = arena.add_player("p_a", x=X, y=Y)
    p.facing = facing
    near = arena.monster(X + dx * 150, Y + dy * 150)
    arena.monster(X + dx * 230, Y + dy * 230)
    assert cast(arena, "p_a", "arrow")["target"] == near.id
    arena.clear_monsters()
    arena.monster(X + dx * 262, Y + dy * 262)
    arena.monster(X + dx * 4, Y + dy * 4)  # too close to count as ahead
    arena.advance_ms(CAST_COOLDOWN_MS)
    assert cast(arena, "p_a", "arrow")["ok"] is False


def test_arrow_damage_is_at_least_two(arena):
    p = arena.add_player("p_a", x=X, y=Y, job="novice")
    p.facing = "down"
    m = arena.monster(X, Y + 100)
    assert cast(arena, "p_a", "arrow")["dmg"] == 2
    assert m.max_hp - m.hp == 2


# ---- cleave / flurry ---------------------------------------------------------------------

def test_cleave_hits_at_most_three_nearest(arena):
    arena.add_player("p_a", x=X, y=Y)
    ms = [arena.monster(X + d, Y) for d in (100, 20, 80, 40, 60)]
    res = cast(arena, "p_a", "cleave")
    assert res["ok"] and res["hits"] == 3
    assert damaged(*ms) == [False, True, False, True, True]


def test_cleave_misses_beyond_reach(arena):
    arena.add_player("p_a", x=X, y=Y)
    arena.monster(X + MELEE_REACH + 5, Y)
    assert cast(arena, "p_a", "cleave")["ok"] is False


def test_flurry_reach(arena):
    arena.add_player("p_a", x=X, y=Y)
    m = arena.monster(X + 91, Y)
    res = cast(arena, "p_a", "flurry")
    assert res["ok"] and res["target"] == m.id and res["hits"] == 3
    assert m.max_hp - m.hp >= 6
    arena.clear_monsters()
    arena.monster(X + 95, Y)
    arena.advance_ms(FLURRY_COOLDOWN_MS)
    assert cast(arena, "p_a", "flurry") == {"ok": False, "reason": "no target"}


def test_flurry_stops_when_the_target_dies(arena):
    arena.add_player("p_a", x=X, y=Y)
    m = arena.monster(X + 30, Y, hp=2)
    res = cast(arena, "p_a", "flurry")
    assert res["hits"] == 1 and res["alive"] is False and not m.alive


# ---- cooldown ----------------------------------------------------------------------------

def test_cooldown_is_shared_by_all_spells_with_retry(arena):
    arena.add_player("p_a", x=X, y=Y)
    arena.monster(X + 30, Y, hp=1000)
    first, *rest = casts_same_tick(arena, ("p_a", "signature", None, None), ("p_a", "fireball", None, None),
                                   ("p_a", "hail", None, None), ("p_a", "arrow", None, None),
                                   ("p_a", "cleave", None, None), ("p_a", "flurry", None, None),
                                   ("p_a", "job", None, None))
    assert first["ok"]
    for r in rest:
        assert r == {"ok": False, "reason": "cooldown", "retryInMs": CAST_COOLDOWN_MS}
    arena.advance_ms(300)
    assert cast(arena, "p_a", "cleave")["retryInMs"] == CAST_COOLDOWN_MS - 350
    arena.advance_ms(CAST_COOLDOWN_MS - 400)
    assert cast(arena, "p_a", "cleave")["ok"]


def test_flurry_cooldown_is_shorter(arena):
    arena.add_player("p_a", x=X, y=Y)
    arena.monster(X + 30, Y, hp=1000)
    assert cast(arena, "p_a", "flurry")["ok"]
    assert cast(arena, "p_a", "signature")["retryInMs"] == FLURRY_COOLDOWN_MS - 50


def test_a_miss_also_uses_the_cooldown(arena):
    arena.add_player("p_a", x=X, y=Y)
    miss, again = casts_same_tick(arena, ("p_a", "signature", None, None), ("p_a", "signature", None, None))
    assert miss["reason"] == "no target" and again["reason"] == "cooldown"


@pytest.mark.parametrize("spell", ["meteor", "", "JOBS", "sig nature"])
def test_unknown_spell_does_not_burn_the_cooldown(arena, spell):
    arena.add_player("p_a", x=X, y=Y)
    arena.monster(X + 30, Y)
    bad, good = casts_same_tick(arena, ("p_a", spell, None, None), ("p_a", "signature", None, None))
    if spell == "":
        assert bad["ok"]  # empty means the default (signature); then the second one waits
        assert good["reason"] == "cooldown"
    else:
        assert bad == {"ok": False, "reason": "unknown spell"}
        assert good["ok"]


@pytest.mark.parametrize("job,spell", [("mage", "fireball"), ("archer", "arrow"), ("knight", "cleave"),
                                       ("assassin", "flurry"), ("bard", "signature"), ("novice", "signature")])
def test_job_resolves_to_the_job_skill(arena, job, spell, monkeypatch):
    from clawtown.sim import combat
    p = arena.add_player("p_a", x=X, y=Y, job=job)
    p.facing = "right"
    arena.monster(X + 30, Y)
    used = []
    for name, handler in list(combat._HANDLERS.items()):
        monkeypatch.setitem(combat._HANDLERS, name,
                            lambda *a, _n=name, _h=handler: used.append(_n) or _h(*a))
    assert cast(arena, "p_a", "job")["ok"]
    arena.advance_ms(CAST_COOLDOWN_MS)
    assert cast(arena, "p_a", " Job ")["ok"]
    assert used == [spell, spell]


def test_job_follows_a_changed_job_skill(arena):
    p = arena.add_player("p_a", x=X, y=Y)
    arena.monster(X + 100, Y)
    assert arena.do(c.SetJobSkill(player_id="p_a", name="Boom", spell="hail"))["ok"]
    assert cast(arena, "p_a", "job")["spell"] == "hail"
    assert arena.do(c.SetJobSkill(player_id="p_a", name="x", spell="job"))["ok"] is False
    assert p.job_skill == {"name": "Boom", "spell": "hail"}


# ---- kills and XP ------------------------------------------------------------------------

def test_slime_kill_gives_8_xp_and_a_named_note(sim):
    p = sim.add_player("p_a")
    m = sim.inst().monsters["m_slime_1"]
    m.hp = 1
    sim.put(p, m.x + 5, m.y)
    res = cast(sim, "p_a")
    assert res["target"] == m.id and res["alive"] is False
    assert p.xp == 8 and p.meta["kills"] == 1
    [note] = sim.notes("p_a", "kill")
    assert "Poring" in note.text and note.data["monster"]["name"] == "Poring" and note.data["xp"] == 8
    assert any(e.text == f"{p.name} defeated Poring! (+8 XP)" for e in sim.chats())


def _summon_far_from_slimes(s, pid="p_a"):
    p = s.world.players[pid]
    s.put(p, 100, 100)
    p.zenny = 10
    s.do(c.PartyCreate(player_id=pid, party_id="party_1"))
    res = s.do(c.PartySummon(player_id=pid))
    assert res["ok"], res
    return s.inst().monsters[res["monsterId"]]


def test_summoned_elite_kill_gives_30_xp(sim):
    p = sim.add_player("p_a")
    elite = _summon_far_from_slimes(sim)
    assert elite.kind == "elite" and elite.name == "King Poring" and elite.xp == 30
    elite.hp = 1
    assert cast(sim, "p_a")["target"] == elite.id
    assert p.xp == 30
    [note] = sim.notes("p_a", "kill")
    assert "King Poring" in note.text and note.data["monster"]["kind"] == "elite"


def _party(s, leader, *members):
    s.do(c.PartyCreate(player_id=leader, party_id="party_x"))
    code = s.do(c.PartyCode(player_id=leader, code="ABC234"))["joinCode"]
    for mid in members:
        assert s.do(c.PartyJoin(player_id=mid, code=code, teleport=False))["ok"]


def test_party_xp_is_shared_within_256_px_of_the_monster(arena):
    a = arena.add_player("p_a", x=X, y=Y)
    b = arena.add_player("p_b", x=X + 40 + PARTY_SHARE_PX - 1, y=Y)
    far = arena.add_player("p_c", x=X + 40 - PARTY_SHARE_PX - 2, y=Y)
    stranger = arena.add_player("p_d", x=X + 40, y=Y + 10)
    _party(arena, "p_a", "p_b", "p_c")
    m = arena.monster(X + 40, Y, hp=1)
    cast(arena, "p_a")
    assert (a.xp, b.xp, far.xp, stranger.xp) == (8, 8, 0, 0)
    assert (a.meta["kills"], b.meta["kills"], far.meta["kills"]) == (1, 1, 0)
    assert len(arena.notes("p_a", "kill")) == 1 and not arena.notes("p_b", "kill")
    assert not m.alive


def test_party_members_in_another_instance_do_not_share(arena):
    a = arena.add_player("p_a", x=X, y=Y)
    b = arena.add_player("p_b", x=X, y=Y)
    _party(arena, "p_a", "p_b")
    arena.world.transfer(b, "meadow", 500, 500)
    arena.monster(X + 10, Y, hp=1)
    cast(arena, "p_a")
    assert (a.xp, b.xp) == (8, 0)


def test_a_killer_beyond_share_range_still_gets_xp(arena):
    a = arena.add_player("p_a", x=100, y=Y)
    a.facing = "right"
    b = arena.add_player("p_b", x=100 + 258, y=Y + 20)
    _party(arena, "p_a", "p_b")
    arena.monster(100 + 258, Y, hp=1)
    assert cast(arena, "p_a", "arrow")["alive"] is False
    assert (a.xp, b.xp) == (8, 8)


# ---- monsters fight back -----------------------------------------------------------------

def test_monsters_hit_back_after_being_hit(arena):
    p = arena.add_player("p_a", x=X, y=Y)
    m = arena.monster(X + 100, Y, atk=3)
    arena.ticks(60)
    assert p.hp == p.max_hp and m.target is None  # not aggressive: leaves you alone
    cast(arena, "p_a")
    assert m.target == "p_a"
    arena.advance_ms(3000)
    assert p.hp < p.max_hp
    assert abs(m.x - p.x) < 60  # it walked up to the player
    assert any(isinstance(e, Fx) and e.type == "hurt" and e.payload["target"] == "p_a" for e in arena.events)


def test_map_elites_are_aggressive(sim):
    p = sim.add_player("p_a")
    meadow = MAPS["meadow"]
    eclipse = next(s for s in meadow.monsters if s.kind == "elite")
    sim.world.transfer(p, "meadow", eclipse.x - 120, eclipse.y)
    sim.ticks(2)
    m = sim.inst("meadow#1").monsters[eclipse.key]
    assert m.target == "p_a"
    sim.advance_ms(4000)
    assert p.hp < p.max_hp or not p.alive


def test_map_slimes_are_not_aggressive(sim):
    p = sim.add_player("p_a")
    slime = sim.inst().monsters["m_slime_2"]
    sim.put(p, slime.x, slime.y)
    sim.advance_ms(5000)
    assert p.hp == p.max_hp


def test_monster_def_reduces_damage_to_at_least_one(arena):
    p = arena.add_player("p_a", x=X, y=Y, job="knight")
    p.base["str"] = 6  # atk 9
    tough = arena.monster(X + 20, Y, defense=3)
    assert cast(arena, "p_a")["dmg"] == 6
    wall = arena.monster(X - 5, Y, defense=50)
    arena.advance_ms(CAST_COOLDOWN_MS)
    assert cast(arena, "p_a")["dmg"] == 1
    assert wall.max_hp - wall.hp == 1
    assert tough.max_hp - tough.hp == 6


def test_player_def_reduces_monster_damage(arena):
    p = arena.add_player("p_a", x=X, y=Y)
    m = arena.monster(X + 20, Y, atk=5)
    inst = arena.inst()
    assert hurt_player(arena.world, inst, m, p, 5) == 5
    p.base["vit"] = 5  # def 2
    assert hurt_player(arena.world, inst, m, p, 5) == 3
    assert hurt_player(arena.world, inst, m, p, 1) == 1  # never below 1


# ---- knock-out ---------------------------------------------------------------------------

def test_knocked_out_player_cannot_act_and_wakes_in_town(sim):
    p = sim.add_player("p_a")
    p.base["vit"] = 3
    p.recompute_max_hp()
    sim.world.transfer(p, "meadow", 600, 600)
    sim.step()
    m = sim.monster(640, 600, key="meadow#1", atk=50)
    hurt_player(sim.world, sim.inst("meadow#1"), m, p, 999)
    assert p.hp == 0 and not p.alive
    assert any(n.kind == "knockout" for n in sim.notes("p_a", events=sim.world._events))
    assert cast(sim, "p_a")["reason"] == "knocked out"
    x0, y0 = p.x, p.y
    assert sim.do(c.Move(player_id="p_a", dx=1, dy=0)) == {"ok": False}
    assert sim.do(c.SetGoal(player_id="p_a", x=700, y=700))["ok"] is False
    assert (p.x, p.y) == (x0, y0) and p.goal is None
    before = len(sim.relocations("p_a"))
    sim.advance_ms(KNOCKOUT_MS - 300)
    assert not p.alive and p.map_id == "meadow"
    sim.advance_ms(400)
    assert p.alive and p.hp == p.max_hp == 36
    assert p.map_id == "town" and (p.x, p.y) == MAPS["town"].spawn
    rel = sim.relocations("p_a")[before:]
    assert [(r.old, r.new) for r in rel] == [("meadow#1", "town#1")]
    assert sim.do(c.Move(player_id="p_a", dx=1, dy=0)) == {"ok": True}


def test_monster_knocks_out_and_then_leaves_the_player_alone(arena):
    p = arena.add_player("p_a", x=X, y=Y)
    p.hp = 2
    m = arena.monster(X + 30, Y, atk=10)
    cast(arena, "p_a")
    arena.advance_ms(2000)
    assert not p.alive and m.target is None
    assert p.goal is None


# ---- respawn -----------------------------------------------------------------------------

def test_summoned_elite_does_not_respawn_but_slimes_do(sim):
    p = sim.add_player("p_a")
    elite = _summon_far_from_slimes(sim)
    inst = sim.inst()
    elite.hp = 1
    assert cast(sim, "p_a")["target"] == elite.id
    assert elite.id not in inst.monsters
    slime = inst.monsters["m_slime_6"]
    slime.hp = 1
    sim.put(p, slime.x, slime.y)
    sim.advance_ms(CAST_COOLDOWN_MS)
    sim.put(p, slime.x, slime.y)
    assert cast(sim, "p_a")["target"] == slime.id
    assert not slime.alive
    sim.put(p, 100, 100)  # out of the way of the slimes
    sim.advance_ms(6500)
    assert slime.alive and slime.hp == slime.max_hp
    assert any(e.text == f"{slime.name} returned." for e in sim.chats())
    sim.advance_ms(60_000)
    assert elite.id not in inst.monsters
    assert not any(e.text == "King Poring returned." for e in sim.chats())


def test_a_knocked_out_player_stays_at_zero_hp_until_waking(arena):
    from clawtown.sim.progression import add_item
    p = arena.add_player("p_a", x=X, y=Y)
    m = arena.monster(X + 20, Y)
    hurt_player(arena.world, arena.inst(), m, p, 999)
    assert arena.do(c.AllocStat(player_id="p_a", stat="vit", n=2))["ok"]
    add_item(arena.world, p, "armor_2")
    arena.do(c.Equip(player_id="p_a", item="armor_2"))
    assert p.hp == 0 and not p.alive
    arena.advance_ms(KNOCKOUT_MS)
    assert p.alive and p.hp == p.max_hp == 30 + 6 + 10


def test_an_elite_lured_past_its_leash_goes_home_and_fights_again(sim):
    from clawtown.sim.monsters import LEASH_PX
    p = sim.add_player("p_a")
    p.base["vit"] = 99
    p.recompute_max_hp()
    spawn = next(s for s in MAPS["meadow"].monsters if s.kind == "elite")
    sim.world.transfer(p, "meadow", spawn.x - 100, spawn.y)
    sim.step()
    m = sim.inst("meadow#1").monsters[spawn.key]
    assert m.target == "p_a"
    sim.do(c.SetGoal(player_id="p_a", x=spawn.x - 800, y=spawn.y))  # run; it gives up at its leash
    sim.run_until(lambda: m.target is None, max_ms=30_000)
    assert math.dist((m.x, m.y), m.home) >= LEASH_PX - 5
    sim.run_until(lambda: (m.x, m.y) == m.home, max_ms=30_000)  # and walks back to its post
    sim.put(p, m.x - 30, m.y)
    hp = p.hp
    sim.advance_ms(3000)
    assert p.hp < hp  # aggressive again at home
