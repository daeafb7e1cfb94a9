"""Manual steps, goal walking, clamping, portals, channels and map data."""

import math

import pytest

from clawtown.sim import commands as c
from clawtown.sim.constants import MOVE_GATE_MS, STEP_PX, TILE, WALK_PX_PER_TICK
from clawtown.sim.events import Result
from clawtown.sim.maps import MAPS

from .conftest import Sim


def move(s, pid, dx, dy, dt=50):
    return s.do(c.Move(player_id=pid, dx=dx, dy=dy), dt=dt)["ok"]


def test_manual_step_is_8_px(arena):
    p = arena.add_player("p_a", x=480, y=288)
    assert move(arena, "p_a", 1, 0, dt=100)
    assert (p.x, p.y, p.facing) == (480 + STEP_PX, 288, "right")
    assert move(arena, "p_a", 0, -5, dt=100)  # direction components are clamped to [-1, 1]
    assert (p.x, p.y, p.facing) == (488, 288 - STEP_PX, "up")
    assert not move(arena, "p_a", 0, 0, dt=100)


def test_move_gate_of_60_ms(arena):
    p = arena.add_player("p_a", x=480, y=288)
    assert move(arena, "p_a", 1, 0, dt=100)
    assert not move(arena, "p_a", 1, 0, dt=MOVE_GATE_MS - 1)
    assert p.x == 488
    assert move(arena, "p_a", 1, 0, dt=1)  # 60 ms after the accepted one
    assert p.x == 496
    # two moves in one tick: only the first counts
    out = arena.step(c.Move(player_id="p_a", dx=1, dy=0, ref=1), c.Move(player_id="p_a", dx=1, dy=0, ref=2), dt=100)
    assert [e.payload["ok"] for e in out if isinstance(e, Result)] == [True, False]
    assert p.x == 504


def test_browser_rate_gives_about_80_px_per_second(arena):
    p = arena.add_player("p_a", x=100, y=100)
    moved = sum(move(arena, "p_a", 1, 0, dt=50) for _ in range(20))
    assert moved == 10 and p.x == 100 + 10 * STEP_PX


def test_manual_move_switches_agent_mode_off(arena):
    p = arena.add_player("p_a")
    arena.do(c.SetMode(player_id="p_a", mode="agent"))
    move(arena, "p_a", 1, 0, dt=100)
    assert p.mode == "manual"


def test_moving_cancels_a_goal(arena):
    p = arena.add_player("p_a", x=100, y=100)
    arena.do(c.SetGoal(player_id="p_a", x=800, y=100))
    move(arena, "p_a", 0, 1, dt=100)
    assert p.goal is None


@pytest.mark.parametrize("mode", ["manual", "agent"])
def test_goal_walking_reaches_the_goal(arena, mode):
    p = arena.add_player("p_a", x=100, y=100)
    arena.do(c.SetMode(player_id="p_a", mode=mode))
    p.autopilot_next = 10**12  # keep the autopilot out of it
    res = arena.do(c.SetGoal(player_id="p_a", x=400, y=500))
    assert res == {"ok": True, "goal": {"x": 400, "y": 500}}
    dist = math.dist((p.x, p.y), (400, 500))
    arena.ticks(math.ceil(dist / WALK_PX_PER_TICK) + 1)
    assert (p.x, p.y) == (400, 500) and p.goal is None
    assert p.facing == "down"
    assert p.xp == 0  # arriving gives no XP


def test_goal_walking_speed(arena):
    p = arena.add_player("p_a", x=100, y=100)
    arena.do(c.SetGoal(player_id="p_a", x=700, y=100))
    x0 = p.x
    arena.ticks(10)
    assert p.x - x0 == pytest.approx(10 * WALK_PX_PER_TICK)


def test_positions_stay_clamped(arena):
    town = MAPS["town"]
    p = arena.add_player("p_a", x=0, y=0)
    assert (p.x, p.y) == (0, 0)
    move(arena, "p_a", -1, -1, dt=100)
    assert (p.x, p.y) == (0, 0)
    res = arena.do(c.SetGoal(player_id="p_a", x=-500, y=99_999))
    assert res["goal"] == {"x": 0, "y": town.max_y}
    arena.put(p, 5000, -5000)
    assert (p.x, p.y) == (town.max_x, 0) == (928, 0)
    assert town.max_y == 544


def _walk_into(s, p, x, y, max_ms=20_000):
    s.do(c.SetGoal(player_id=p.id, x=x, y=y))
    start = p.map_id
    s.run_until(lambda: p.map_id != start, max_ms)


def test_portals_connect_town_and_meadow(sim):
    p = sim.add_player("p_a")
    [portal] = MAPS["town"].portals
    _walk_into(sim, p, portal.x, portal.y)
    assert (p.map_id, p.channel) == ("meadow", 1)
    assert (p.x, p.y) == (portal.to_x, portal.to_y)
    assert p.id in sim.inst("meadow#1").players and p.id not in sim.inst("town#1").players
    rel = [e for e in sim.relocations("p_a") if e.old is not None]
    assert [(r.old, r.new) for r in rel] == [("town#1", "meadow#1")]
    assert p.goal is None
    sim.ticks(5)
    assert p.map_id == "meadow"  # arriving does not bounce back
    [back] = MAPS["meadow"].portals
    _walk_into(sim, p, back.x, back.y)
    assert p.map_id == "town" and (p.x, p.y) == (back.to_x, back.to_y)
    assert [(r.old, r.new) for r in sim.relocations("p_a") if r.old] == [("town#1", "meadow#1"),
                                                                          ("meadow#1", "town#1")]


def test_every_portal_is_reachable_and_lands_outside_portals():
    for m in MAPS.values():
        for portal in m.portals:
            cx, cy = m.clamp(portal.x, portal.y)
            assert math.dist((cx, cy), (portal.x, portal.y)) <= portal.radius, portal
            dest = MAPS[portal.to_map]
            assert dest.clamp(portal.to_x, portal.to_y) == (portal.to_x, portal.to_y)
            for other in dest.portals:
                assert math.dist((portal.to_x, portal.to_y), (other.x, other.y)) > other.radius


def test_channels_open_when_full_and_fill_the_least_full():
    s = Sim(seed=3, instance_cap=2)
    for pid in ("p_1", "p_2"):
        s.add_player(pid)
    assert {s.world.players[p].channel for p in ("p_1", "p_2")} == {1}
    p3 = s.add_player("p_3")
    assert p3.channel == 2 and "town#2" in s.world.instances
    p4 = s.add_player("p_4")
    assert p4.channel == 2  # the least full open channel
    p5 = s.add_player("p_5")
    assert p5.channel == 3
    s.do(c.Park(player_id="p_1"))
    p6 = s.add_player("p_6")
    assert p6.channel == 1  # channel 1 now has room and fewest players (tie -> lowest)
    for inst in s.world.instances.values():
        assert inst.population <= 2
    # a channel change into a full channel is refused
    assert s.do(c.ChangeChannel(player_id="p_5", channel=2))["error"] == "channel full"
    assert s.do(c.ChangeChannel(player_id="p_5", channel=9))["status"] == 404


def test_empty_extra_channels_close():
    s = Sim(seed=3, instance_cap=1)
    s.add_player("p_1")
    s.add_player("p_2")
    assert "town#2" in s.world.instances
    s.do(c.Park(player_id="p_2"))
    assert "town#2" not in s.world.instances and "town#1" in s.world.instances
    assert "meadow#1" in s.world.instances  # channel 1 always stays


@pytest.mark.parametrize("map_id", sorted(MAPS))
def test_terrain_rows_have_the_right_size(map_id):
    m = MAPS[map_id]
    rows = m.terrain_rows()
    assert len(rows) == m.height and all(len(r) == m.width for r in rows)
    assert set("".join(rows)) <= set("gpPwof")
    d = m.describe()
    assert d["terrain"] == rows and d["tileSize"] == TILE


def test_town_size_and_landmarks():
    town = MAPS["town"]
    assert (town.width, town.height, town.px_width, town.px_height) == (30, 18, 960, 576)
    assert town.spawn == (480, 288)
    rows = town.terrain_rows()
    assert rows[8][14] == "P"  # plaza tile around the spawn
    assert "w" in "".join(rows) and "o" in "".join(rows)


def test_town_has_the_seven_named_slimes_with_distinct_colours(sim):
    slimes = [m for m in sim.inst().monsters.values() if m.kind == "slime"]
    assert sorted(m.name for m in slimes) == sorted(
        ["Poring", "Drops", "Poporing", "Marin", "Metaling", "Ghostring", "Angeling"])
    assert len({m.color for m in slimes}) == 7 and all(m.color for m in slimes)
    assert sorted(m.id for m in slimes) == [f"m_slime_{i}" for i in range(1, 8)]
    assert all(m.xp == 8 and m.alive for m in slimes)
    for m in slimes:  # near the plaza
        assert math.dist((m.x, m.y), (480, 288)) < 200


def test_monsters_wander_back_home_after_being_displaced(sim):
    """A slime left outside its wander box (after a chase or at a far respawn point) returns."""
    inst = sim.inst()
    m = inst.monsters["m_slime_4"]
    m.x, m.y = m.home[0] + 300, m.home[1]
    edge = inst.monsters["m_slime_1"]
    edge.x = 5.0
    sim.advance_ms(60_000)
    assert abs(m.x - m.home[0]) <= 151
    assert edge.x >= 31
    for mon in inst.monsters.values():
        assert 0 <= mon.x <= inst.map.max_x and 0 <= mon.y <= inst.map.max_y
