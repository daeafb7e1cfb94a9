"""The reference client model (wire/viewmodel.py): dead-reckoned positions and the server's tick
estimated from frame stamps, on a fake local clock (plain numbers, no sleeping)."""

from __future__ import annotations

import pytest

from clawtown.wire.viewmodel import ViewModel

LOCAL0 = 1_000_000.0  # the client's clock has nothing to do with the server's


def hello(tk: int = 100, at: float = LOCAL0) -> ViewModel:
    model = ViewModel()
    model.apply({"t": "hello", "v": 2, "tk": tk, "you": {"id": "p_me"}, "instance": {"key": "town#1"},
                 "server": {"tickHz": 20, "syncHz": 10, "time": 0},
                 "a": [{"c": [0, 0], "full": True, "up": [
                     {"id": "p_me", "h": 1, "k": "p", "x": 100, "y": 100, "f": "down"},
                     {"id": "p_walker", "h": 2, "k": "p", "x": 50, "y": 60, "vx": 120, "vy": -40, "t": 90,
                      "f": "right"},
                     {"id": "m_slime", "h": 3, "k": "m", "x": 200, "y": 200, "alive": True}]}]}, at)
    return model


def test_a_whole_entity_is_extrapolated_from_its_motion_state():
    model = hello()
    assert model.position("p_walker", 90) == (50, 60)
    assert model.position("p_walker", 100) == (110.0, 40.0)  # 10 ticks = 0.5 s at 120, -40 px/s
    assert model.position("p_me", 500) == (100, 100)  # no velocity: it stands
    assert model.position("p_nobody", 100) is None
    view = model.view_at(110)
    assert view["p_walker"] == {"id": "p_walker", "h": 2, "k": "p", "x": 170.0, "y": 20.0, "f": "right"}


def test_mv_and_hop_set_the_state_at_the_frame_tick_and_moving_turns_the_facing():
    model = hello()
    model.apply({"t": "sync", "tk": 104, "a": [{"c": [0, 0], "mv": [1, 100, 100, 0, -80, 0, 2, 150, 44, 0, 0, 0]}],
                 "hop": [3, 260, 200, -20, 0, 0, 1, 0]}, LOCAL0 + 0.2)
    assert model.position("p_me", 114) == (100, 60.0) and model.entities["p_me"]["f"] == "up"
    walker = model.entities["p_walker"]
    assert model.position("p_walker", 200) == (150, 44) and "vx" not in walker and walker["f"] == "right"
    assert model.position("m_slime", 124) == (240.0, 200) and model.cells["m_slime"] == (1, 0)
    assert "f" not in model.entities["m_slime"]  # only entities with a facing turn


def test_a_walk_with_an_end_stops_there():
    model = hello()
    model.apply({"t": "sync", "tk": 104, "a": [{"c": [0, 0], "mv": [1, 100, 100, 60, -80, 50]}]}, LOCAL0 + 0.2)
    assert model.position("p_me", 108) == (112.0, 84.0)  # 0.2 s at 100 px/s: 20 of its 50 px
    assert model.position("p_me", 114) == model.position("p_me", 400) == (130.0, 60.0)  # and there it stays
    assert model.entities["p_me"]["d"] == 50 and model.view_at(400)["p_me"]["x"] == 130.0
    model.apply({"t": "sync", "tk": 120, "a": [{"c": [0, 0], "mv": [1, 130, 60, 0, 0, 0]}]}, LOCAL0 + 1)
    assert not {"vx", "vy", "t", "d"} & model.entities["p_me"].keys()


def test_an_explicit_facing_in_the_same_frame_wins_over_the_velocity():
    model = hello()
    model.apply({"t": "sync", "tk": 104, "a": [{"c": [0, 0], "mv": [1, 100, 100, 80, 0, 0],
                                                "up": [{"id": "p_me", "f": "left"}]}]}, LOCAL0 + 0.2)
    assert model.entities["p_me"]["f"] == "left"  # moonwalking: `up` comes after `mv`


def test_a_motion_state_for_an_unknown_handle_is_refused():
    model = hello()
    with pytest.raises(ValueError):
        model.apply({"t": "sync", "tk": 102, "a": [{"c": [0, 0], "mv": [99, 1, 1, 0, 0, 0]}]})


def test_the_server_tick_is_read_off_the_least_delayed_frame():
    model = hello(tk=100, at=LOCAL0 + 0.030)  # hello came 30 ms late
    assert model.tick_at(LOCAL0 + 0.030) == pytest.approx(100)
    model.apply({"t": "sync", "tk": 102, "a": []}, LOCAL0 + 0.110)  # 10 ms late: a better sample
    assert model.tick_at(LOCAL0 + 0.110) == pytest.approx(102)
    assert model.tick_at(LOCAL0 + 0.510) == pytest.approx(110)  # 400 ms later, no frame: 8 ticks on
    model.apply({"t": "sync", "tk": 104, "a": []}, LOCAL0 + 0.300)  # 100 ms late: hardly moves it
    assert model.tick_at(LOCAL0 + 0.510) == pytest.approx(110 - 20 * 0.09 * 0.2)
    assert model.tick_at(LOCAL0) == 104  # never before the last frame's tick


def test_a_server_whose_ticks_run_slow_pulls_the_estimate_along():
    model = hello(tk=0, at=LOCAL0)
    for k in range(1, 200):  # 18 ticks a second instead of 20 (a loaded server skips some), frames on time
        model.apply({"t": "sync", "tk": 2 * k, "a": []}, LOCAL0 + k * 2 / 18)
    now = LOCAL0 + 199 * 2 / 18
    assert abs(model.tick_at(now) - 398) < 1.5  # within a tick or so of the server


def test_enter_resets_the_entities_and_keeps_the_clock():
    model = hello()
    model.apply({"t": "enter", "v": 2, "tk": 300, "you": {"id": "p_me"}, "instance": {"key": "meadow#1"},
                 "a": [{"c": [0, 0], "full": True, "up": [{"id": "p_me", "h": 7, "k": "p", "x": 5, "y": 6}]}]},
                LOCAL0 + 10)
    assert set(model.entities) == {"p_me"} and model.tick == 300
    assert model.tick_at(LOCAL0 + 10) == pytest.approx(300)
