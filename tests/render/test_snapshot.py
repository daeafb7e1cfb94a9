"""snapshot_instance: a cheap immutable copy of an instance that shares nothing mutable with it."""

from __future__ import annotations

import dataclasses

import pytest

from clawtown.render.snapshot import MapSnapshot, snapshot_instance
from clawtown.sim.instance import Instance
from clawtown.sim.maps import TOWN

from .conftest import make_monster, make_player

PLAIN = (str, int, float, bool, type(None))


def assert_plain(value, path="snap"):
    """Only tuples of numbers and strings: nothing that could be a live game object."""
    if isinstance(value, tuple):
        for i, item in enumerate(value):
            assert_plain(item, f"{path}[{i}]")
    else:
        assert isinstance(value, PLAIN), f"{path} is a {type(value).__name__}"


def test_copies_map_and_entities(busy_town):
    snap = snapshot_instance(busy_town, "p_you")
    assert isinstance(snap, MapSnapshot)
    assert (snap.map_id, snap.map_name, snap.width, snap.height) == ("town", "Clawtown Plaza", 30, 18)
    assert (snap.px_width, snap.px_height) == (960, 576)
    assert snap.terrain == tuple(TOWN.terrain_rows())
    assert [(p.x, p.y, p.label) for p in snap.portals] == [(944.0, 288.0, "Poring Meadow")]
    assert len(snap.monsters) == len(busy_town.monsters)
    assert len(snap.players) == 13 and len(snap.drops) == 3
    assert sorted(d.rarity for d in snap.drops) == ["common", "epic", "rare"]
    elite = next(m for m in snap.monsters if m.kind == "elite")
    assert (elite.name, elite.hp, elite.max_hp, elite.color) == ("King Poring", 80, 160, "rgba(244, 114, 182, 0.95)")
    assert snap.you is not None and (snap.you.name, snap.you.x, snap.you.y) == ("Me", 300.0, 200.0)
    assert [p.is_you for p in snap.players].count(True) == 1
    assert_plain(tuple(snap))


def test_only_alive_monsters(town):
    town.add_monster(make_monster("m_a", 100, 100))
    dead = make_monster("m_b", 200, 200)
    dead.alive = False
    town.add_monster(dead)
    snap = snapshot_instance(town, None)
    assert [(m.x, m.y) for m in snap.monsters] == [(100.0, 100.0)]


def test_you_flag(town):
    town.add_player(make_player("p_1", 10, 10))
    assert snapshot_instance(town, None).you is None
    assert snapshot_instance(town, "p_elsewhere").you is None
    assert snapshot_instance(town, "p_1").you.x == 10.0


def test_knocked_out_and_level(town):
    p = make_player("p_1", 10, 10)
    p.level, p.knocked_out_until = 7, 123
    town.add_player(p)
    (ps,) = snapshot_instance(town, None).players
    assert ps.level == 7 and ps.knocked_out


def test_independent_of_later_changes(busy_town):
    snap = snapshot_instance(busy_town, "p_you")
    before = tuple(snap)
    me = busy_town.players["p_you"]
    me.x, me.y, me.hp, me.name, me.level = 900.0, 500.0, 1, "Renamed", 99
    slime = next(iter(busy_town.monsters.values()))
    slime.x, slime.hp, slime.alive = 1.0, 0, False
    busy_town.add_player(make_player("p_new", 5, 5))
    busy_town.remove_player("p_0")
    busy_town.add_monster(make_monster("m_new", 5, 5))
    for drop_id in list(busy_town.drops):
        busy_town.remove_drop(drop_id)
    assert tuple(snap) == before
    assert snap.you.name == "Me" and snap.you.x == 300.0 and snap.you.level == 1
    assert len(snap.players) == 13 and len(snap.drops) == 3


def test_immutable(busy_town):
    snap = snapshot_instance(busy_town, "p_you")
    with pytest.raises(AttributeError):
        snap.players = ()
    with pytest.raises(AttributeError):
        snap.players[0].x = 1.0
    with pytest.raises(TypeError):
        snap.terrain[0] = "x"


def test_terrain_is_cached_per_map(town):
    a = snapshot_instance(town, None)
    b = snapshot_instance(Instance(TOWN, 2, seed=1), None)
    assert a.terrain is b.terrain and a.portals is b.portals
    # another map reusing the id (tests do that) is not served stale terrain
    no_plaza = dataclasses.replace(TOWN, plaza=None)
    c = snapshot_instance(Instance(no_plaza, 1, seed=0), None)
    assert c.terrain == tuple(no_plaza.terrain_rows()) != a.terrain
    assert snapshot_instance(town, None).terrain == a.terrain
