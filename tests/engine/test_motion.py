"""Dead reckoning on the server: which motion states a sync round sends, and what they say.

The encoder (engine/motion.py) alone, then through the engine (two ticks, one round) with the
frames a client receives: start, a steady walk that sends nothing, stop (and the walk to a goal
whose stop clients know in advance), turn, a wall, a teleport and a portal, a cell crossing
(hop) and an entity entering the view, both with velocity.
"""

from __future__ import annotations

from clawtown.engine.motion import (
    STANDING,
    STEPPING,
    TOLERANCE_PX,
    MotionTracker,
    motion_fields,
    planned_velocity,
    predict,
)
from clawtown.sim import commands as c
from clawtown.sim.constants import WALK_PX_PER_TICK
from clawtown.sim.maps import MAPS
from clawtown.sim.model import Drop, Monster, Player

WALK = WALK_PX_PER_TICK * 20  # px/s at 20 ticks per second


def rounds(tracker: MotionTracker, path, planned=None, start_tick: int = 0, every: int = 2):
    """Feed one entity's positions, one per round (`every` ticks apart); the states sent."""
    sent = []
    for i, (x, y) in enumerate(path):
        tick = start_tick + i * every
        tracker.begin(tick)
        sent.append(tracker.update("e", x, y, tick, planned))
    return sent


# ---- the encoder -----------------------------------------------------------------------
def test_a_new_entity_gets_a_state_and_a_standing_one_nothing_more():
    tr = MotionTracker()
    assert rounds(tr, [(100.4, 50.6)] * 5) == [(100, 51, 0, 0, 0, 0), None, None, None, None]
    assert motion_fields(tr.states["e"]) == {"x": 100, "y": 51}
    assert "e" not in tr.moving


def test_a_measured_walk_costs_a_state_when_it_starts_and_one_when_it_stops():
    tr = MotionTracker()
    path = [(100, 100)] * 2 + [(100 + 12 * k, 100) for k in range(1, 11)] + [(220, 100)] * 3
    sent = rounds(tr, path)
    assert sent[0] == (100, 100, 0, 0, 0, 0)
    assert sent[2] == (112, 100, 120, 0, 4, 0)  # started: 12 px in 2 ticks = 120 px/s, no end known
    assert sent[3:12] == [None] * 9  # a steady walk sends nothing: clients predict it exactly
    assert sent[12] == (220, 100, 0, 0, 24, 0) and sent[13:] == [None, None]  # stopped
    assert motion_fields(sent[2]) == {"x": 112, "y": 100, "vx": 120, "vy": 0, "t": 4}


def test_small_errors_stay_within_the_tolerance_and_larger_ones_are_corrected():
    tr = MotionTracker()
    rounds(tr, [(0, 0), (12, 0)])  # walking at 120 px/s since tick 2
    tr.begin(4)
    assert tr.update("e", 24 + TOLERANCE_PX, 0, 4, planned=(WALK, 0.0, 0)) is None  # within the tolerance
    assert predict(tr.states["e"], 4, 20) == (24.0, 0.0)
    tr.begin(6)
    assert tr.update("e", 36 + TOLERANCE_PX + 1, 0, 6, planned=(WALK, 0.0, 0)) == (40, 0, 120, 0, 6, 0)


def test_a_turn_sends_the_new_velocity_at_once():
    tr = MotionTracker()
    rounds(tr, [(0, 0), (12, 0), (24, 0)], planned=(WALK, 0.0, 0))
    tr.begin(6)
    # the same position as predicted, but the rules now walk it down: a new state right away
    assert tr.update("e", 36, 0, 6, planned=(0.0, WALK, 300)) == (36, 0, 0, 120, 6, 300)
    tr.begin(8)  # a new goal further along the same line: only the end moves, and that is news too
    assert tr.update("e", 36, 12, 8, planned=(0.0, WALK, 400)) == (36, 12, 0, 120, 8, 400)


def test_a_walk_to_a_goal_ends_where_clients_expect_it_without_a_word():
    tr = MotionTracker()
    path = [(0, 0)] + [(12 * k, 0) for k in range(1, 6)] + [(64, 0)] * 4  # the goal is at x = 64
    planned = [(WALK, 0.0, 64 - x) if x < 64 else STANDING for x, _ in path]
    sent = []
    for i, ((x, y), p) in enumerate(zip(path, planned)):
        tr.begin(2 * i)
        sent.append(tr.update("e", x, y, 2 * i, p))
    assert sent[0] == (0, 0, 120, 0, 0, 64) and sent[1:] == [None] * 9
    assert predict(tr.states["e"], 100, 20) == (64.0, 0.0)  # it stands at the goal for good
    assert "e" not in tr.moving  # and is not checked again until it changes


def test_walking_into_a_wall_is_a_stop():
    tr = MotionTracker()
    sent = rounds(tr, [(900, 0), (912, 0), (924, 0), (928, 0), (928, 0)])  # the map ends at 928
    assert sent[1][2] == 120 and sent[2] is None
    assert sent[3] == (928, 0, 40, 0, 6, 0)  # it moved 4 px in that round...
    assert sent[4] == (928, 0, 0, 0, 8, 0)  # ...and none since: it stands at the wall


def test_a_jump_is_a_teleport_that_lands_standing():
    tr = MotionTracker()
    sent = rounds(tr, [(100, 100), (112, 100), (800, 500), (800, 500)])
    assert sent[2] == (800, 500, 0, 0, 4, 0) and sent[3] is None


def test_a_forced_update_rebases_even_when_the_prediction_fits():
    tr = MotionTracker()
    rounds(tr, [(0, 0), (12, 0), (24, 0)])
    tr.begin(6)
    assert tr.update("e", 36, 0, 6, force=True) == (36, 0, 120, 0, 6, 0)
    tr.forget("e")
    assert tr.states == {} and tr.moving == set() and tr.predict("e", 6) is None


def test_arrow_key_steps_keep_their_velocity_over_a_late_step_and_a_tap_stops_at_once():
    tr = MotionTracker()
    steps = [(0, 0), (8, 0), (16, 0), (16, 0), (24, 0)]  # one step a round, the third one late
    sent = rounds(tr, steps, planned=STEPPING)
    assert sent[1] == (8, 0, 80, 0, 2, 0) and sent[2] is None
    assert sent[3] == (16, 0, 80, 0, 6, 0)  # a round without a step: re-based, still walking
    assert sent[4] is None  # the late step came: as predicted
    tap = MotionTracker()
    assert rounds(tap, [(0, 0), (8, 0), (8, 0)], planned=STEPPING)[1:] == [(8, 0, 80, 0, 2, 0), (8, 0, 0, 0, 4, 0)]


def test_planned_velocities_come_from_the_rules():
    p = Player(id="p_a", name="A", x=100.0, y=100.0)
    assert planned_velocity(p, now_ms=10_000, tick_hz=20) == STANDING  # no goal, no steps: stands
    p.goal = (100.0, 400.0)
    assert planned_velocity(p, 10_000, 20) == (0.0, WALK, 300)  # toward the goal, 300 px to go
    p.goal, p.last_move_at = None, 9_950
    assert planned_velocity(p, 10_000, 20) is STEPPING
    p.knocked_out_until = 12_000
    assert planned_velocity(p, 10_000, 20) == STANDING
    monster = Monster(id="m", kind="slime", name="S", x=1, y=1, hp=1, max_hp=1, atk=1, defense=0, xp=1, color=None,
                      loot="jelly")
    assert planned_velocity(monster, 0, 20) is None
    assert planned_velocity(Drop("d", "jelly", 1, 1.0, 1.0, 0), 0, 20) == STANDING


# ---- through the engine ----------------------------------------------------------------
def motion_of(client, pid: str, kind: str = "mv") -> list[list]:
    """Every motion state `client` received for `pid`, as [x, y, vx, vy, d] (mv) or with the cell (hop)."""
    h = client.model.entities[pid]["h"]
    out = []
    for f in client.of_type("sync"):
        flat, stride = (f.get("hop", []), 8) if kind == "hop" else ([n for ch in f["a"] for n in ch.get("mv", [])], 6)
        out += [flat[i + 1:i + stride] for i in range(0, len(flat), stride) if flat[i] == h]
    return out


def test_a_walk_to_a_goal_is_one_state_however_long(town):
    town.add_player("p_ann", "Ann", "meadow", 300, 700)
    town.add_player("p_bo", "Bo", "meadow", 320, 760)  # stays in Bo's cell while Ann walks
    bo = town.connect("p_bo")
    town.step()
    town.submit(c.SetGoal(player_id="p_ann", x=500, y=700))
    for _ in range(25):
        town.step()
        town.assert_view(bo)
    assert town.world.players["p_ann"].x == 500
    [start] = motion_of(bo, "p_ann")  # where it stops was in the state: no second one
    assert start[2:] == [WALK, 0, 500 - start[0]]
    assert bo.model.position("p_ann", town.world.tick) == (500, 700)
    assert bo.model.entities["p_ann"]["f"] == "right"


def test_a_hop_carries_the_motion_state(town):
    town.add_player("p_ann", "Ann", "meadow", 240, 700)  # cell (0, 2); the border is at x = 256
    town.add_player("p_bo", "Bo", "meadow", 600, 700)
    bo = town.connect("p_bo")
    town.step()
    town.submit(c.SetGoal(player_id="p_ann", x=400, y=700))
    for _ in range(4):
        town.step()
        town.assert_view(bo)
    [hop] = motion_of(bo, "p_ann", "hop")
    x, y, vx, vy, d, cx, cy = hop
    assert (vx, vy, cx, cy) == (WALK, 0, 1, 2) and 256 <= x < 280 and y == 700 and d == 400 - x
    assert bo.model.cells["p_ann"] == (1, 2)


def test_an_entity_entering_the_view_arrives_with_its_velocity(town):
    town.add_player("p_ann", "Ann", "meadow", 100, 700)
    town.add_player("p_bo", "Bo", "meadow", 1500, 700)  # Ann is 5 cells away, out of view
    bo = town.connect("p_bo")
    town.step()
    town.submit(c.SetGoal(player_id="p_ann", x=1400, y=700))
    arrived = None
    for _ in range(60):
        town.step()
        town.assert_view(bo)
        ups = [u for f in bo.of_type("sync") for ch in f["a"] for u in ch.get("up", [])
               if u.get("id") == "p_ann" and "k" in u]
        if ups:
            arrived = ups[0]
            break
    assert arrived is not None and arrived["vx"] == WALK and arrived["vy"] == 0
    assert arrived["t"] <= town.world.tick and "p_ann" in bo.model.entities


def test_teleport_and_portal_land_standing(town):
    town.add_player("p_ann", "Ann", "meadow", 600, 700)
    town.add_player("p_bo", "Bo", "meadow", 700, 700)
    ann, bo = town.connect("p_ann"), town.connect("p_bo")
    town.step()
    town.submit(c.SetGoal(player_id="p_bo", x=900, y=700))
    town.step(4)
    town.teleport("p_bo", 650, 650)
    town.step()
    town.assert_view(ann)
    assert "vx" not in ann.model.entities["p_bo"]  # a teleport clears the goal: it stands
    assert motion_of(ann, "p_bo")[-1] == [650, 650, 0, 0, 0]
    portal = MAPS["meadow"].portals[0]
    town.teleport("p_ann", portal.x + 60, portal.y)
    town.submit(c.SetGoal(player_id="p_ann", x=portal.x, y=portal.y))
    for _ in range(10):
        town.step()
    assert town.world.players["p_ann"].map_id == portal.to_map
    [enter] = ann.of_type("enter")
    me = next(u for ch in enter["a"] for u in ch["up"] if u["id"] == "p_ann")
    assert "vx" not in me and (me["x"], me["y"]) == (round(portal.to_x), round(portal.to_y))
    town.assert_view(ann)
