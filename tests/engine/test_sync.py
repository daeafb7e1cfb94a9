"""SyncService: commit before send, interest management, encode once, private routing, flushing."""

from __future__ import annotations

import random

import pytest

from clawtown.engine.area import VIEW_CELLS
from clawtown.sim import commands as c
from clawtown.sim.grid import CELL_PX, cell_of

FAR_A = (120, 768)  # meadow cell (0, 3)
FAR_B = (2300, 768)  # meadow cell (8, 3): far outside each other's 5x5 view


def meadow_pair(town):
    town.add_player("p_ann", "Ann", "meadow", *FAR_A)
    town.add_player("p_bo", "Bo", "meadow", *FAR_B)
    return town.connect("p_ann"), town.connect("p_bo")


# ---- joining ---------------------------------------------------------------------------
def test_a_new_connection_gets_hello_with_everything_then_only_deltas(town):
    town.add_player("p_ann", "Ann")
    ann = town.connect("p_ann")
    town.step()
    assert [f["t"] for f in ann.frames] == ["hello"]
    hello = ann.frames[0]
    assert hello["v"] == 2 and hello["tk"] == town.world.tick
    assert hello["you"]["id"] == "p_ann" and hello["you"]["inventory"] == []
    assert hello["instance"]["key"] == "town#1" and hello["instance"]["map"] == "town"
    assert hello["map"]["id"] == "town" and len(hello["map"]["terrain"]) == hello["map"]["height"]
    assert hello["server"] == {"tickHz": 20, "syncHz": 10, "time": town.game.now_ms()}
    assert hello["view"] == {"cellPx": CELL_PX, "cells": VIEW_CELLS}
    assert all(chunk["full"] for chunk in hello["a"])
    town.assert_view(ann)
    assert ann.model.entities["p_ann"]["k"] == "p"

    town.submit(c.Move(player_id="p_ann", dx=1, dy=0))
    town.step()
    sync = ann.frames[-1]
    assert sync["t"] == "sync" and "drop" not in sync and sync["tk"] == town.world.tick
    h = ann.model.entities["p_ann"]["h"]
    [chunk] = [ch for ch in sync["a"] if h in ch.get("mv", [])[0::6]]
    assert chunk["mv"] == [h, 488, 288, 80, 0, 0]  # the new motion state: one 8 px step in 2 ticks, no end
    assert "up" not in chunk and not chunk.get("full")  # moving right turns Ann right: no `f` update
    town.assert_view(ann)
    assert ann.model.entities["p_ann"]["f"] == "right"

    town.submit(c.SetIntent(player_id="p_ann", text="fishing"))
    town.step()
    [chunk] = [ch for ch in ann.of_type("sync")[-1]["a"] if ch.get("up")]
    assert chunk["up"] == [{"intent": "fishing", "id": "p_ann"}]  # a field change: only what changed
    assert chunk["mv"] == [h, 488, 288, 0, 0, 0]  # and the step is over: Ann stands
    town.assert_view(ann)


def test_a_connection_waits_for_its_player_to_enter_the_world(town):
    early = town.connect("p_late")
    town.step()
    assert early.frames == []
    town.add_player("p_late", "Late")
    assert early.of_type("hello") and len(early.of_type("hello")) == 1


def test_sync_frames_are_sent_only_when_something_in_view_changed(town):
    town.add_player("p_ann", "Ann", "meadow", 1280, 40)
    ann = town.connect("p_ann")
    for _ in range(30):
        town.step()
    syncs = ann.of_type("sync")
    assert len(syncs) < 30
    assert all((f["a"] or f.get("hop") or f.get("out"))
               and all(ch.get("up") or ch.get("mv") or ch.get("gone") or ch.get("fx") for ch in f["a"]) for f in syncs)


def test_a_second_tab_of_the_same_player_gets_its_own_hello(town):
    town.add_player("p_ann", "Ann")
    first = town.connect("p_ann")
    town.step()
    second = town.connect("p_ann")
    town.step()
    assert len(first.of_type("hello")) == 1 and len(second.of_type("hello")) == 1
    town.assert_view(second)


def test_changing_map_sends_enter_with_the_new_instance(town):
    town.add_player("p_ann", "Ann")
    ann = town.connect("p_ann")
    town.step()
    town.teleport("p_ann", 300, 700, "meadow")
    enter = ann.of_type("enter")
    assert len(enter) == 1 and "server" not in enter[0] and "board" not in enter[0]
    assert enter[0]["instance"]["key"] == "meadow#1" and enter[0]["map"]["id"] == "meadow"
    town.assert_view(ann)


def test_progress_sends_a_you_frame_to_the_owner_only(town):
    town.add_player("p_ann", "Ann")
    town.add_player("p_bo", "Bo")
    ann, bo = town.connect("p_ann"), town.connect("p_bo")
    town.step()
    assert town.do(c.GrantItem(player_id="p_ann", item="sword_1"))["ok"]
    [you] = ann.of_type("you")
    assert [row["itemId"] for row in you["you"]["inventory"]] == ["sword_1"]
    assert bo.of_type("you") == []


def test_acks_go_to_the_connection_that_sent_the_command(town):
    town.add_player("p_ann", "Ann")
    ann1, ann2 = town.connect("p_ann"), town.connect("p_ann")
    town.step()
    town.submit(c.SetIntent(player_id="p_ann", text="fishing", ref=("ws", ann1.conn.id, 7)))
    town.step()
    assert ann1.of_type("ack") == [{"t": "ack", "re": 7, "ok": True}]
    assert ann2.of_type("ack") == []


def test_a_closed_connection_is_sent_nothing(town):
    town.add_player("p_ann", "Ann")
    ann = town.connect("p_ann")
    town.step()
    sender = ann.sender
    town.disconnect(ann)
    town.submit(c.GrantItem(player_id="p_ann", item="jelly"))
    count = len(sender.sent)
    town.step()
    assert len(sender.sent) == count


# ---- commit before send ----------------------------------------------------------------
def test_no_frame_and_no_waiter_before_the_commit(gated_town):
    town = gated_town
    town.add_player("p_ann", "Ann")
    ann = town.connect("p_ann")
    town.step()
    assert ann.of_type("hello")
    town.auto_commit = False

    answer = []
    town.request(c.GrantItem(player_id="p_ann", item="sword_1")).addCallback(answer.append)
    town.step()
    assert len(town.runner.pending) == 1
    assert answer == [] and ann.of_type("you") == []
    assert town.store.get_player("p_ann")["inventory"] == []
    for _ in range(3):  # later rounds find the commit running: still nothing goes out
        town.tick(2)
        town.round()
    assert answer == [] and ann.of_type("you") == []

    town.runner.commit()
    town.pump()
    assert answer == [{"ok": True}]
    [you] = ann.of_type("you")
    stored = town.store.get_player("p_ann")
    assert [r["itemId"] for r in you["you"]["inventory"]] == [r["itemId"] for r in stored["inventory"]] == ["sword_1"]
    [batch] = town.runner.batches[-1:]
    assert [r["itemId"] for p in batch["players"] if p["id"] == "p_ann" for r in p["inventory"]] == ["sword_1"]


def test_creating_a_player_is_answered_only_after_the_record_is_stored(gated_town):
    town = gated_town
    town.auto_commit = False
    answer = []
    town.request(c.CreatePlayer(player_id="p_new", name="New")).addCallback(answer.append)
    town.step()
    assert answer == [] and town.store.get_player("p_new") is None
    town.runner.commit()
    assert answer == [{"ok": True, "playerId": "p_new"}]
    assert town.store.get_player("p_new")["name"] == "New"


def test_every_frame_a_client_receives_is_already_on_disk(town, helpers):
    """A sender that checks the store at the moment each frame arrives."""

    class CheckingSender(helpers.FakeSender):
        def send_bytes(self, payload):
            msg = helpers.decode(payload)
            if msg["t"] in ("hello", "enter", "you"):
                stored = town.store.get_player(msg["you"]["id"])
                assert stored is not None, "a client saw a player the store does not have"
                for key in ("level", "xp", "zenny", "statPoints", "baseStats", "job"):
                    assert stored[key] == msg["you"][key], key
                assert [r["uid"] for r in stored["inventory"]] == [r["uid"] for r in msg["you"]["inventory"]]
            if msg["t"] == "note":  # this tab belongs to Ann
                assert msg["note"]["id"] in [e["id"] for e in town.store.list_events("p_ann")]
            super().send_bytes(payload)

    town.add_player("p_ann", "Ann")
    town.add_player("p_bo", "Bo")
    ann = town.connect("p_ann", CheckingSender())
    town.step()
    for item in ("jelly", "sword_1", "zenny", "ring_1"):
        town.submit(c.GrantItem(player_id="p_ann", item=item, qty=2))
        town.submit(c.AllocStat(player_id="p_ann", stat="str", n=1))
        town.step()
    town.submit(c.Whisper(player_id="p_bo", to="Ann", text="hi there"))
    town.step()
    assert len(ann.of_type("you")) >= 4 and ann.of_type("note")


def test_a_failed_commit_holds_everything_and_the_next_round_delivers_it_in_order(gated_town):
    town = gated_town
    town.add_player("p_ann", "Ann")
    ann = town.connect("p_ann")
    town.step()
    town.auto_commit = False
    answers = []
    town.request(c.GrantItem(player_id="p_ann", item="sword_1")).addCallback(lambda r: answers.append(("sword", r)))
    town.step()
    town.runner.fail()
    town.pump()
    assert town.sync.commit_failures == 1 and not town.sync.in_flight
    assert answers == [] and ann.of_type("you") == []
    assert town.store.get_player("p_ann")["inventory"] == []

    town.request(c.GrantItem(player_id="p_ann", item="ring_1")).addCallback(lambda r: answers.append(("ring", r)))
    town.step()
    assert len(town.runner.pending) == 1
    town.runner.commit()
    town.pump()
    # the retry carried both rounds' progress in one batch...
    retried = town.runner.batches[-1]
    [ann_record] = [p for p in retried["players"] if p["id"] == "p_ann"]
    assert [r["itemId"] for r in ann_record["inventory"]] == ["sword_1", "ring_1"]
    # ...and released both rounds' frames and answers, oldest first
    assert answers == [("sword", {"ok": True}), ("ring", {"ok": True})]
    yous = [[r["itemId"] for r in f["you"]["inventory"]] for f in ann.of_type("you")]
    assert yous == [["sword_1"], ["sword_1", "ring_1"]]


def test_a_round_while_a_commit_is_in_flight_is_skipped_and_counted(gated_town):
    town = gated_town
    town.add_player("p_ann", "Ann")
    ann = town.connect("p_ann")
    town.step()
    town.auto_commit = False
    town.submit(c.GrantItem(player_id="p_ann", item="jelly"))
    town.step()
    rounds, skipped = town.sync.rounds, town.sync.skipped_rounds
    town.submit(c.GrantItem(player_id="p_ann", item="leaf"))
    town.tick(2)
    assert town.sync.round() is None
    assert (town.sync.rounds, town.sync.skipped_rounds) == (rounds, skipped + 1)
    assert len(town.runner.pending) == 1  # no second commit was started
    town.runner.commit()
    town.round()  # the events the skipped round left in the outbox come now
    town.runner.commit()
    town.pump()
    inventories = [[r["itemId"] for r in f["you"]["inventory"]] for f in ann.of_type("you")]
    assert inventories == [["jelly"], ["jelly", "leaf"]]
    assert [r["itemId"] for r in town.store.get_player("p_ann")["inventory"]] == ["jelly", "leaf"]


def test_a_round_with_nothing_to_save_sends_at_once(gated_town):
    town = gated_town
    town.add_player("p_ann", "Ann", "meadow", 1000, 700)
    town.add_player("p_bo", "Bo", "meadow", 1100, 700)
    ann = town.connect("p_ann")
    town.step()
    town.clock.advance(10)  # past the position checkpoint
    town.step()
    town.auto_commit = False
    town.submit(c.SetGoal(player_id="p_bo", x=1150, y=700))  # walking is not progress
    town.step()
    assert town.runner.pending == []
    bo = ann.model.entities["p_bo"]["h"]
    assert any(bo in ch.get("mv", [])[0::6] for f in ann.frames[-1:] for ch in f["a"])


# ---- interest management ---------------------------------------------------------------
def test_players_far_apart_never_receive_each_other(town):
    ann, bo = meadow_pair(town)
    for i in range(12):
        town.submit(c.Move(player_id="p_bo", dx=(-1) ** i, dy=0))
        town.submit(c.SetIntent(player_id="p_bo", text=f"far {i}"))
        town.step()
    assert "p_bo" not in ann.seen_ids() and "p_ann" not in bo.seen_ids()
    town.assert_view(ann)
    town.assert_view(bo)


def test_a_player_coming_near_arrives_whole_and_leaving_removes_it(town):
    ann, bo = meadow_pair(town)
    town.step()
    assert "p_bo" not in ann.model.entities

    town.teleport("p_bo", 300, 768)  # into Ann's view
    ups = [u for f in ann.frames for ch in f.get("a", []) for u in ch.get("up", []) if u["id"] == "p_bo"]
    assert ups and ups[0]["k"] == "p" and ups[0]["name"] == "Bo"
    town.assert_view(ann)
    # and Bo, whose view moved, got Ann's cell in full
    town.assert_view(bo)

    town.teleport("p_bo", *FAR_B)  # away again
    assert "p_bo" not in ann.model.entities
    assert "p_ann" not in bo.model.entities
    town.assert_view(ann)
    town.assert_view(bo)
    last_for_bo = bo.frames[-1]
    assert last_for_bo["t"] == "sync" and last_for_bo["drop"], "Bo's view moved: the old cells are dropped"


def test_walking_across_cell_borders_keeps_the_view_exact(town):
    town.add_player("p_ann", "Ann", "meadow", 250, 760)
    town.add_player("p_bo", "Bo", "meadow", 900, 760)
    ann, bo = town.connect("p_ann"), town.connect("p_bo")
    town.step()
    town.submit(c.SetGoal(player_id="p_ann", x=2400, y=760))
    for _ in range(200):
        town.step()
        town.assert_view(ann)
        town.assert_view(bo)
    assert cell_of(*[town.world.players["p_ann"].x, 760]) == cell_of(2400, 760)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_walks_keep_every_client_model_equal_to_the_server_view(make_town, seed):
    town = make_town(seed=seed)
    rng = random.Random(seed)
    ids = [f"p_walker{i}" for i in range(5)]
    for pid in ids:
        town.add_player(pid, pid[2:].capitalize(), "meadow", rng.uniform(200, 2400), rng.uniform(100, 1400))
    clients = {pid: town.connect(pid) for pid in ids}
    spawned = 0
    for _ in range(120):
        for pid in ids:
            p = town.world.players[pid]
            roll = rng.random()
            if roll < 0.08 and p.map_id == "meadow":
                town.submit(c.Teleport(player_id=pid, x=rng.uniform(200, 2400), y=rng.uniform(100, 1400)))
            elif roll < 0.3 and p.map_id == "meadow":
                town.submit(c.SetGoal(player_id=pid, x=rng.uniform(200, 2400), y=rng.uniform(100, 1400)))
            elif roll < 0.6:
                town.submit(c.Move(player_id=pid, dx=rng.choice((-1, 0, 1)), dy=rng.choice((-1, 0, 1))))
            elif roll < 0.65:
                town.submit(c.SetIntent(player_id=pid, text=f"roll {roll:.3f}"))
            elif roll < 0.8:  # fights change HP, kill monsters and drop loot in view
                spell = rng.choice(("signature", "fireball", "hail", "arrow", "cleave", "flurry"))
                town.submit(c.Cast(player_id=pid, spell=spell, x=p.x + rng.uniform(-150, 150),
                                   y=p.y + rng.uniform(-150, 150)))
            elif roll < 0.85:  # a weak monster next to the walker: kills, loot, pickups
                spawned += 1
                town.submit(c.SpawnMonster(player_id=pid, monster_id=f"m_weak{spawned}", x=p.x + 20, y=p.y,
                                           max_hp=1))
        town.step(ticks=rng.choice((1, 2, 3)))
        for pid, client in clients.items():
            town.assert_view(client)
    # the walkers met and parted, fought, killed and looted: interest management had work to do
    assert any(len([e for e in cl.seen_ids() if e.startswith("p_walker")]) > 1 for cl in clients.values())
    assert sum(town.world.players[pid].meta["kills"] for pid in ids) > 0
    assert any(e.startswith("d_") for cl in clients.values() for e in cl.seen_ids())


# ---- encode once -----------------------------------------------------------------------
def test_clients_with_the_same_view_share_one_prepared_frame(make_town, helpers):
    prepare = helpers.RecordingPrepare()
    town = make_town(prepare=prepare)
    town.add_player("p_ann", "Ann", "meadow", 1000, 700)
    town.add_player("p_bo", "Bo", "meadow", 1010, 710)  # same cell as Ann
    town.add_player("p_cy", "Cy", "meadow", 1300, 700)  # another cell, overlapping view
    town.add_player("p_di", "Di", "meadow", 1020, 720)
    clients = {pid: town.connect(pid) for pid in ("p_ann", "p_bo", "p_cy")}
    town.step()
    prepare.calls.clear()
    for client in clients.values():
        client.sender.sent.clear()
        client._seen = 0

    town.submit(c.SetIntent(player_id="p_di", text="look at me"))
    town.step()
    sent = {pid: [s for s in cl.sender.sent if isinstance(s, helpers.Prepared) and b'"t":"sync"' in s.payload]
            for pid, cl in clients.items()}
    assert all(len(frames) == 1 for frames in sent.values()), sent
    assert sent["p_ann"][0] is sent["p_bo"][0]
    assert sent["p_cy"][0] is not sent["p_ann"][0]
    sync_prepares = [p for p in prepare.calls if b'"t":"sync"' in p]
    assert len(sync_prepares) == 2  # one per area, not one per client
    for client in clients.values():
        client.pump()
        assert client.model.entities["p_di"]["intent"] == "look at me"


def test_local_chat_is_prepared_once_for_the_whole_instance(make_town, helpers):
    prepare = helpers.RecordingPrepare()
    town = make_town(prepare=prepare)
    for pid in ("p_ann", "p_bo", "p_cy"):
        town.add_player(pid, pid[2:].capitalize())
    clients = [town.connect(pid) for pid in ("p_ann", "p_bo", "p_cy")]
    town.step()
    prepare.calls.clear()
    town.submit(c.Chat(player_id="p_ann", text="hello plaza"))
    town.step()
    chats = [[s for s in cl.sender.sent if isinstance(s, helpers.Prepared) and b"hello plaza" in s.payload]
             for cl in clients]
    assert all(len(frames) == 1 for frames in chats)
    assert chats[0][0] is chats[1][0] is chats[2][0]
    assert len([p for p in prepare.calls if b"hello plaza" in p]) == 1


# ---- private routing -------------------------------------------------------------------
def test_a_whisper_reaches_only_its_sender_and_recipient(town):
    for pid in ("p_ann", "p_bo", "p_cy"):
        town.add_player(pid, pid[2:].capitalize())
    ann, bo, cy = (town.connect(pid) for pid in ("p_ann", "p_bo", "p_cy"))
    town.step()
    assert town.do(c.Whisper(player_id="p_ann", to="Bo", text="psst secret"))["ok"]
    for client in (ann, bo):
        [line] = [ln for f in client.of_type("chat") for ln in f["lines"] if ln["text"] == "psst secret"]
        assert line["scope"] == "private" and line["toPlayerId"] == "p_bo" and line["from"]["id"] == "p_ann"
    assert "psst secret" not in cy.chat_texts()
    # the recipient's durable note goes to the recipient alone
    def whisper_notes(client):
        return [n["note"]["text"] for n in client.of_type("note") if n["note"]["kind"] == "whisper"]

    assert whisper_notes(bo) == ["Whisper from Ann: psst secret"]
    assert whisper_notes(ann) == [] and whisper_notes(cy) == []


def test_owner_lines_and_loot_notes_reach_only_the_owner(town):
    town.add_player("p_ann", "Ann")
    town.add_player("p_bo", "Bo")
    ann, bo = town.connect("p_ann"), town.connect("p_bo")
    town.step()
    p = town.world.players["p_ann"]
    town.world.instances["town#1"].add_drop("jelly", 2, p.x + 8, p.y, expires_at=10**9)
    town.submit(c.Move(player_id="p_ann", dx=1, dy=0))
    town.step()
    owner = [ln for f in ann.of_type("chat") for ln in f["lines"] if ln["scope"] == "owner"]
    assert owner and "picked up" in owner[0]["text"] and owner[0]["toPlayerId"] == "p_ann"
    assert [n["note"]["kind"] for n in ann.of_type("note")] == ["loot"]
    assert not [ln for f in bo.of_type("chat") for ln in f["lines"] if ln["scope"] == "owner"]
    assert bo.of_type("note") == []


def test_local_chat_stays_in_its_instance_and_global_lines_reach_everyone(town):
    town.add_player("p_ann", "Ann")
    town.add_player("p_bo", "Bo")
    town.add_player("p_far", "Far", "meadow", 600, 700)
    ann, bo, far = (town.connect(pid) for pid in ("p_ann", "p_bo", "p_far"))
    town.step()
    town.submit(c.Chat(player_id="p_ann", text="plaza only"))
    town.step()
    assert "plaza only" in ann.chat_texts() and "plaza only" in bo.chat_texts()
    assert "plaza only" not in far.chat_texts()
    town.world.announce("server restarts soon")
    town.step()
    assert all("server restarts soon" in cl.chat_texts() for cl in (ann, bo, far))


def test_party_chat_reaches_members_only(town):
    for pid in ("p_ann", "p_bo", "p_cy"):
        town.add_player(pid, pid[2:].capitalize())
    ann, bo, cy = (town.connect(pid) for pid in ("p_ann", "p_bo", "p_cy"))
    town.step()
    assert town.do(c.PartyCreate(player_id="p_ann", party_id="party_x"))["ok"]
    code = town.do(c.PartyCode(player_id="p_ann", code="ABC234"))["joinCode"]
    assert town.do(c.PartyJoin(player_id="p_bo", code=code))["ok"]
    assert town.do(c.PartyChat(player_id="p_bo", text="members only"))["ok"]
    assert "members only" in ann.chat_texts() and "members only" in bo.chat_texts()
    assert "members only" not in cy.chat_texts()
    assert ann.of_type("party") and bo.of_type("party") and not cy.of_type("party")


# ---- services, flushing ----------------------------------------------------------------
def test_the_sync_loop_runs_ten_times_a_second_on_its_clock(town):
    town.add_player("p_ann", "Ann")
    ann = town.connect("p_ann")
    town.sync.startService()
    rounds = town.sync.rounds
    town.clock.advance(0.1)
    town.pump()
    assert town.sync.rounds == rounds + 1 and ann.of_type("hello")
    for _ in range(9):
        town.clock.advance(0.1)
    assert town.sync.rounds == rounds + 10
    town.sync.stopService()  # one last (flushing) round
    stopped = town.sync.rounds
    town.clock.advance(1)
    assert town.sync.rounds == stopped and not town.sync.running


def test_positions_are_checkpointed_not_saved_every_round(town):
    town.add_player("p_ann", "Ann")
    town.clock.advance(6)
    town.step()  # checkpoint: the spawn position is on disk
    x0 = town.store.get_player("p_ann")["x"]
    town.submit(c.SetGoal(player_id="p_ann", x=x0 + 60, y=288))
    town.step(ticks=20)
    assert town.world.players["p_ann"].x == x0 + 60
    assert town.store.get_player("p_ann")["x"] == x0  # walking alone waits for the checkpoint
    town.clock.advance(5)
    town.step()
    assert town.store.get_player("p_ann")["x"] == x0 + 60


def test_stop_service_flushes_every_player_positions_included(town):
    for i, pid in enumerate(("p_ann", "p_bo", "p_cy")):  # far apart: no "nearby" notes (progress)
        town.add_player(pid, pid[2:].capitalize(), "meadow", 400 + 600 * i, 700)
    town.clock.advance(6)
    town.step()
    town.sync.startService()
    for i, pid in enumerate(("p_ann", "p_bo", "p_cy")):
        town.submit(c.SetGoal(player_id=pid, x=500 + 600 * i, y=760))
    town.tick(30)
    assert town.store.get_player("p_ann")["x"] == 400
    done = []
    town.sync.stopService().addCallback(done.append)
    assert done
    for pid in ("p_ann", "p_bo", "p_cy"):
        p, stored = town.world.players[pid], town.store.get_player(pid)
        assert (stored["x"], stored["y"], stored["map"]) == (round(p.x, 1), round(p.y, 1), "meadow")


def test_flush_answers_and_sends_what_it_commits(town):
    """A flush (debug persist-flush, shutdown) must not swallow what the tick produced."""
    town.add_player("p_ann", "Ann")
    ann = town.connect("p_ann")
    town.step()
    answer = []
    town.request(c.GrantItem(player_id="p_ann", item="sword_1")).addCallback(answer.append)
    town.tick(2)
    done = []
    town.sync.flush(everything=True).addCallback(done.append)
    town.pump()
    assert done and answer == [{"ok": True}]
    assert [r["itemId"] for f in ann.of_type("you") for r in f["you"]["inventory"]] == ["sword_1"]
    assert [r["itemId"] for r in town.store.get_player("p_ann")["inventory"]] == ["sword_1"]


def test_flush_during_a_commit_waits_for_it_and_keeps_commit_before_send(gated_town):
    town = gated_town
    town.add_player("p_ann", "Ann")
    ann = town.connect("p_ann")
    town.step()
    town.auto_commit = False
    town.submit(c.GrantItem(player_id="p_ann", item="jelly"))
    town.step()  # commit 1 in flight
    town.submit(c.GrantItem(player_id="p_ann", item="leaf"))
    town.tick(2)
    done = []
    town.sync.flush(everything=True).addCallback(done.append)
    assert len(town.runner.pending) == 1 and not done
    town.runner.commit()  # commit 1 lands: only its frames go out
    town.pump()
    assert [[r["itemId"] for r in f["you"]["inventory"]] for f in ann.of_type("you")] == [["jelly"]]
    assert len(town.runner.pending) == 1 and not done
    town.runner.commit()  # the flush's commit lands
    town.pump()
    assert done
    assert [[r["itemId"] for r in f["you"]["inventory"]] for f in ann.of_type("you")] == [["jelly"], ["jelly", "leaf"]]


def test_a_failed_flush_keeps_its_batch_for_the_next_commit(gated_town):
    town = gated_town
    town.add_player("p_ann", "Ann")
    town.step()
    town.auto_commit = False
    town.submit(c.GrantItem(player_id="p_ann", item="jelly"))
    town.tick(2)
    failed = []
    town.sync.flush(everything=True).addErrback(failed.append)
    town.runner.fail()
    assert failed and town.store.get_player("p_ann")["inventory"] == []
    town.step()
    town.runner.commit()
    assert [r["itemId"] for r in town.store.get_player("p_ann")["inventory"]] == ["jelly"]


@pytest.mark.parametrize("seed", [4, 5])
def test_map_changes_and_late_tabs_keep_every_client_model_exact(make_town, seed):
    town = make_town(seed=seed)
    rng = random.Random(seed)
    ids = [f"p_hopper{i}" for i in range(4)]
    for pid in ids:
        town.add_player(pid, pid[2:].capitalize(), rng.choice(("town", "meadow")), rng.uniform(100, 900),
                        rng.uniform(100, 560))
    clients = [town.connect(pid) for pid in ids[:2]]
    for round_no in range(80):
        for pid in ids:
            roll = rng.random()
            if roll < 0.1:
                target = rng.choice(("town", "meadow"))
                town.submit(c.Teleport(player_id=pid, x=rng.uniform(100, 900), y=rng.uniform(100, 560), map_id=target))
            elif roll < 0.4:
                town.submit(c.SetGoal(player_id=pid, x=rng.uniform(100, 900), y=rng.uniform(100, 560)))
        if round_no % 10 == 5:  # a tab opens late, another closes
            clients.append(town.connect(rng.choice(ids)))
            if len(clients) > 3:
                town.disconnect(clients.pop(0))
        town.step()
        for client in clients:
            town.assert_view(client)
            assert client.model.you["map"] == town.world.players[client.player_id].map_id
    assert sum(len(cl.of_type("enter")) for cl in clients) > 0
