"""The simulated people's and bots' decisions: pure functions of what they see and a seeded rng."""

from __future__ import annotations

import math
from random import Random

import orjson
import pytest

from clawtown.loadtest import scenarios as s
from clawtown.wire.viewmodel import ViewModel

TOWN = dict(map_id="town", width=960.0, height=576.0, portals=((944, 288, "meadow"),))
MEADOW = dict(map_id="meadow", width=2560.0, height=1536.0, portals=((16, 768, "town"),))


def walk(scenario: str, seconds: float, start=(480.0, 288.0), where=TOWN, monsters=(), seed=1):
    """Run a person's decisions against a tiny stand-in world: a move is an 8 px step, a goal is
    walked toward at 8 px per step. Returns every frame sent and every position visited."""
    rng = Random(seed)
    x, y = start
    goal = None
    plan = s.start_plan(scenario, 0.0, rng)
    frames, path = [], []
    for k in range(int(seconds / s.STEP_S)):
        now = k * s.STEP_S
        sight = s.Sight(x=x, y=y, monsters=tuple(monsters), **where)
        sent = s.decide(scenario, plan, sight, now, rng)
        frames.extend((now, f) for f in sent)
        for f in sent:
            if f["t"] == "move":
                goal = None
                x, y = x + 8 * f["dx"], y + 8 * f["dy"]
            elif f["t"] == "goal":
                goal = (f["x"], f["y"])
        if goal is not None:
            d = math.hypot(goal[0] - x, goal[1] - y)
            if d <= 8:
                x, y, goal = goal[0], goal[1], None
            else:
                x, y = x + 8 * (goal[0] - x) / d, y + 8 * (goal[1] - y) / d
        path.append((x, y))
    return frames, path


def test_wander_walks_with_the_keys_about_ten_times_a_second_and_stays_in_town():
    for seed in range(6):
        frames, path = walk("wander", 60.0, seed=seed)
        moves = [f for _, f in frames if f["t"] == "move"]
        goals = [f for _, f in frames if f["t"] == "goal"]
        assert 5.0 <= len(moves) / 60.0 <= 10.0, len(moves)
        assert goals, "a person also clicks now and then"
        for f in moves:
            assert f["dx"] in (-1, 0, 1) and f["dy"] in (-1, 0, 1) and (f["dx"], f["dy"]) != (0, 0)
        for x, y in path:
            assert 0 <= x <= 960 and 0 <= y <= 576
            assert math.hypot(944 - x, 288 - y) > 24, "walked into the portal"
    # at most one move per step (the server counts one per 60 ms)
    times = [t for t, f in walk("wander", 30.0)[0] if f["t"] == "move"]
    assert len(times) == len(set(times))


def test_wander_turns_back_from_an_edge():
    frames, path = walk("wander", 20.0, start=(20.0, 20.0))
    assert all(0 <= x <= 960 and 0 <= y <= 576 for x, y in path)
    assert max(x for x, _ in path) > 64 or max(y for _, y in path) > 64


def test_wander_is_reproducible_with_a_seed():
    assert walk("wander", 10.0, seed=4)[0] == walk("wander", 10.0, seed=4)[0]
    assert walk("wander", 10.0, seed=4)[0] != walk("wander", 10.0, seed=5)[0]


def test_hunt_casts_at_a_monster_in_range_about_once_a_second():
    frames, _ = walk("hunt", 20.0, start=(400.0, 300.0), monsters=[(450.0, 320.0)])
    casts = [(t, f) for t, f in frames if f["t"] == "cast"]
    assert 15 <= len(casts) <= 23
    assert all(f["x"] == 450 and f["y"] == 320 and f["spell"] in ("signature", "job") for _, f in casts)
    gaps = [b[0] - a[0] for a, b in zip(casts, casts[1:])]
    assert min(gaps) >= s.CAST_EVERY_S[0] - 1e-9


def test_hunt_walks_toward_a_monster_out_of_range_then_casts():
    frames, path = walk("hunt", 20.0, start=(100.0, 100.0), monsters=[(700.0, 400.0)])
    kinds = [f["t"] for _, f in frames]
    assert kinds[0] == "goal" and frames[0][1]["x"] == 700 and "cast" in kinds
    assert math.hypot(path[-1][0] - 700, path[-1][1] - 400) <= s.CAST_RANGE_PX


def test_hunt_with_nothing_in_sight_heads_for_the_meadow_portal_in_town():
    frames, _ = walk("hunt", 3.0, start=(300.0, 300.0))
    goals = [f for _, f in frames if f["t"] == "goal"]
    assert goals and all((f["x"], f["y"]) == (944, 288) for f in goals)
    frames, _ = walk("hunt", 6.0, start=(1200.0, 700.0), where=MEADOW)
    goals = [f for _, f in frames if f["t"] == "goal"]
    assert goals and all(0 <= f["x"] <= 2560 and 0 <= f["y"] <= 1536 for f in goals)


def test_crowd_gathers_at_the_spot_and_mills_around_it():
    frames, path = walk("crowd", 40.0, start=(100.0, 100.0))
    goals = [f for _, f in frames if f["t"] == "goal"]
    assert goals
    for f in goals:
        assert math.hypot(f["x"] - s.CROWD_SPOT[0], f["y"] - s.CROWD_SPOT[1]) <= s.CROWD_RADIUS_PX + 1
    late = path[len(path) // 2:]
    assert all(math.hypot(x - s.CROWD_SPOT[0], y - s.CROWD_SPOT[1]) <= 3 * s.CROWD_RADIUS_PX for x, y in late)


def test_chat_talks_as_often_as_the_server_allows_and_no_more():
    frames, _ = walk("chat", 60.0)
    chats = [(t, f) for t, f in frames if f["t"] == "chat"]
    gaps = [b[0] - a[0] for a, b in zip(chats, chats[1:])]
    assert min(gaps) >= 1.2 and 36 <= len(chats) <= 47
    assert all(f["text"] in s.CHAT_LINES for _, f in chats)


def test_nothing_is_sent_while_knocked_out_or_before_the_map_is_known():
    plan = s.start_plan("wander", 0.0, Random(1))
    sight = s.Sight(x=100, y=100, knocked_out=True, **TOWN)
    assert all(s.decide("wander", plan, sight, t / 10, Random(1)) == [] for t in range(50))
    assert s.decide("hunt", plan, None, 5.0, Random(1)) == []
    with pytest.raises(ValueError):
        s.decide("dance", plan, s.Sight(x=1, y=1, **TOWN), 0.0, Random(1))


def test_sight_of_a_view_model():
    model = ViewModel()
    model.apply({"t": "hello", "tk": 40, "you": {"id": "p_me", "x": 1, "y": 2},
                 "instance": {"key": "town#1", "map": "town"}, "server": {"tickHz": 20, "syncHz": 10},
                 "a": [{"c": [1, 1], "full": True, "up": [
                     {"id": "p_me", "h": 1, "k": "p", "x": 300, "y": 200, "ko": False},
                     {"id": "m_1", "h": 2, "k": "m", "x": 320, "y": 210, "vx": 20, "vy": -10, "t": 30,
                      "alive": True, "hp": 5},
                     {"id": "m_2", "h": 3, "k": "m", "x": 330, "y": 230, "alive": False, "hp": 0}]}]})
    map_info = {"id": "town", "width": 30, "height": 18, "tileSize": 32,
                "portals": [{"x": 944, "y": 288, "radius": 24, "to": "meadow", "label": "Poring Meadow"}]}
    sight = s.sight_of(model, "p_me", map_info)
    assert (sight.x, sight.y, sight.map_id, sight.width, sight.height) == (300, 200, "town", 960, 576)
    assert sight.monsters == ((330, 205),) and sight.portals == ((944, 288, "meadow"),)  # 10 ticks of walking
    assert s.sight_of(model, "p_me", map_info, tick=50).monsters == ((340, 200),)
    assert s.sight_of(model, "p_me", None) is None


def world_answer(you_name: str = "Ann", monsters=None) -> bytes:
    monsters = monsters if monsters is not None else [
        {"id": "m_1", "kind": "slime", "name": "Poring", "x": 444, "y": 306, "hp": 18, "maxHp": 18, "alive": True},
        {"id": "m_2", "kind": "slime", "name": "Drops", "x": 600, "y": 300, "hp": 0, "maxHp": 14, "alive": False},
    ]
    you = {"id": "p_1", "name": you_name, "avatarVersion": 0, "x": 480, "y": 288, "inventory": [{"x": 1}]}
    snapshot = {"world": {"width": 30, "height": 18, "portals": [{"x": 944, "y": 288, "to": "meadow"}]},
                "you": you, "players": [you, {"id": "p_2", "name": '"x":1,"y":2 ],"drops":', "x": 9, "y": 9}],
                "monsters": monsters, "drops": [], "parties": [], "board": [], "chats": [], "hat": {}}
    return orjson.dumps({"ok": True, "snapshot": snapshot, "you": you, "entities": []})


def test_bot_view_reads_position_and_living_monsters_without_decoding_everything():
    pos, monsters = s.bot_view(world_answer())
    assert pos == (480.0, 288.0) and monsters == [(444.0, 306.0)]
    tricky = world_answer(you_name='Eve "you":{"x":5,"y":6} ,"monsters":[')
    assert s.bot_view(tricky) == ((480.0, 288.0), [(444.0, 306.0)])


def test_bot_view_falls_back_and_copes_with_garbage():
    odd = orjson.dumps({"ok": True, "snapshot": {"monsters": [{"x": 1, "y": 2}], "you": {"x": 3, "y": 4}}})
    assert s.bot_view(odd) == ((3.0, 4.0), [(1.0, 2.0)])
    assert s.bot_view(b"not json") == (None, [])
    assert s.bot_view(b'{"ok": false}') == (None, [])


def test_bot_decides_like_the_example_bot():
    assert s.bot_decide((0, 0), [(50, 0), (500, 0)], 10.0, -math.inf, -math.inf) == ("cast", None)
    assert s.bot_decide((0, 0), [(50, 0)], 10.0, 9.5, -math.inf) == ("idle", None)  # cast gap
    assert s.bot_decide((0, 0), [(300, 400)], 10.0, -math.inf, -math.inf) == ("goal", (300.0, 400.0))
    assert s.bot_decide((0, 0), [(300, 400)], 10.0, -math.inf, 9.5) == ("idle", None)  # goal gap
    assert s.bot_decide((0, 0), [], 10.0, -math.inf, -math.inf) == ("idle", None)
    assert s.bot_decide(None, [(1, 1)], 10.0, -math.inf, -math.inf) == ("idle", None)
