"""Bot world reads served from shared parts encoded once per round (clawtown/engine/snapshots.py)."""

from __future__ import annotations

import orjson

from clawtown.engine.snapshots import Spliced
from clawtown.sim import commands as c
from clawtown.wire.bot_views import world_snapshot


def answer_of(d) -> list:
    got: list = []
    d.addBoth(got.append)
    return got


def read(town, pid: str):
    p = town.world.players[pid]
    return town.sync.world_read(p, lambda shared, inst: shared.answer(p, []))


def decoded(body: dict) -> dict:
    return orjson.loads(orjson.dumps(body))


def reference(town, pid: str) -> dict:
    p = town.world.players[pid]
    return decoded(world_snapshot(town.world, town.world.instance_of(p), p, []))


def crowd(town) -> None:
    for i, name in enumerate(("Ann", "Bob", "Cid", "Dee")):
        town.add_player(f"p_{name.lower()}", name, map_id="town", x=300 + 40 * i, y=300)
    town.submit(c.GrantItem(player_id="p_bob", item="zenny", qty=7))
    town.submit(c.GrantItem(player_id="p_bob", item="jelly", qty=2))
    town.step()


def test_spliced_array_swaps_one_item_and_appends_a_missing_one():
    arr = Spliced([("a", b'{"id":"a"}'), (None, b"1"), ("b", b'{"id":"b"}')])
    assert orjson.loads(orjson.dumps(arr.with_item("b", b'{"id":"B"}'))) == [{"id": "a"}, 1, {"id": "B"}]
    assert orjson.loads(orjson.dumps(arr.with_item("a", b"[]"))) == [[], 1, {"id": "b"}]
    assert orjson.loads(orjson.dumps(arr.with_item("z", b"2"))) == [{"id": "a"}, 1, {"id": "b"}, 2]
    assert orjson.loads(orjson.dumps(Spliced([]).with_item("z", b"2"))) == [2]


def test_the_first_read_waits_for_a_round_then_equals_the_reference_rendering(town):
    crowd(town)
    got = answer_of(read(town, "p_bob"))
    assert got == []  # nothing of this instance rendered yet
    expected = reference(town, "p_bob")
    town.round()
    assert len(got) == 1
    assert decoded(got[0]) == expected


def test_each_caller_sees_its_own_purse_and_inventory_and_nobody_elses(town):
    crowd(town)
    read(town, "p_ann")
    town.round()
    for pid in ("p_ann", "p_bob", "p_cid"):
        got = answer_of(read(town, pid))
        assert got, "a hot, committed instance is answered at once"
        body = decoded(got[0])
        assert body == reference(town, pid)
        rows = {q["id"]: q for q in body["snapshot"]["players"]}
        assert [e["id"] for e in body["entities"] if e.get("isYou")] == [pid]
        assert body["you"]["zenny"] == (7 if pid == "p_bob" else 0)
        assert "zenny" not in rows["p_bob"] or pid == "p_bob"
        bob_items = {r["itemId"] for r in rows["p_bob"]["inventory"]}
        assert ("jelly" in bob_items) == (pid == "p_bob")


def test_the_shared_parts_are_rendered_once_per_round_however_many_read(town):
    crowd(town)
    read(town, "p_ann")
    town.round()
    before = town.sync.snapshots.renders
    for _ in range(5):
        for pid in ("p_ann", "p_bob", "p_cid", "p_dee"):
            assert answer_of(read(town, pid))
    assert town.sync.snapshots.renders == before
    town.step()
    assert town.sync.snapshots.renders == before + 1


def bob_row(body: dict) -> dict:
    return [q for q in decoded(body)["snapshot"]["players"] if q["id"] == "p_bob"][0]


def test_reads_never_show_uncommitted_progress_of_others(gated_town):
    town = gated_town
    crowd(town)
    town.submit(c.GrantItem(player_id="p_bob", item="sword_1", qty=1))
    town.step()
    read(town, "p_ann")
    town.round()
    town.submit(c.Equip(player_id="p_bob", item="sword_1"))
    town.tick()
    town.auto_commit = False
    early = answer_of(read(town, "p_ann"))  # before the round: the last committed parts, or a wait
    town.round()  # Bob's sword is rendered and in flight, not on disk
    during = answer_of(read(town, "p_ann"))
    assert early or during, "Ann has nothing unsaved: one of the reads is answered at once"
    for got in (early, during):
        if got:
            assert bob_row(got[0])["equipment"]["weapon"] is None
    town.runner.commit()
    assert town.store.get_player("p_bob")["equipment"]
    after = answer_of(read(town, "p_ann"))
    assert after and bob_row(after[0])["equipment"]["weapon"] == "sword_1"
    assert decoded(after[0]) == reference(town, "p_ann")


def test_a_callers_own_unsaved_progress_waits_for_the_commit(gated_town):
    town = gated_town
    crowd(town)
    read(town, "p_bob")
    town.round()
    town.submit(c.GrantItem(player_id="p_bob", item="zenny", qty=100))
    town.tick()
    got = answer_of(read(town, "p_bob"))
    assert got == []
    town.auto_commit = False
    town.round()
    assert got == []
    town.runner.commit()
    assert decoded(got[0])["you"]["zenny"] == 107
    assert town.store.get_player("p_bob")["zenny"] == 107


def test_instances_nobody_reads_go_cold_and_are_not_rendered(town):
    crowd(town)
    read(town, "p_ann")
    town.round()
    renders = town.sync.snapshots.renders
    town.clock.advance(town.sync.snapshots.hot_s + 1)
    town.step()
    town.step()
    assert town.sync.snapshots.renders == renders
    assert answer_of(read(town, "p_ann")) == []  # cold again: the next round renders it
    town.round()
    assert town.sync.snapshots.renders == renders + 1
