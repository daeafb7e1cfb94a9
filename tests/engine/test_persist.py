"""BatchBuilder and Batch: what one commit holds, and how held batches merge."""

from __future__ import annotations

import pytest

from clawtown.engine.persist import CHECKPOINT_MS, Batch, BatchBuilder
from clawtown.sim import commands as c
from clawtown.sim.world import World
from clawtown.store.memory import MemoryStore


class Stepper:
    """A world stepped by hand at an explicit time in ms, and a builder on the same time."""

    def __init__(self) -> None:
        self.now = 0
        self.world = World(seed=9)
        self.builder = BatchBuilder(lambda: self.now)
        self.events: list = []

    def step(self, *commands, at: int | None = None) -> list:
        self.now = self.now + 50 if at is None else at
        out = self.world.step(self.now, list(commands))
        self.events.extend(out)
        return out

    def build(self, everything: bool = False):
        events, self.events = self.events, []
        return self.builder.build(self.world, events, everything=everything)


@pytest.fixture
def s() -> Stepper:
    st = Stepper()
    st.step(c.CreatePlayer(player_id="p_ann", name="Ann"), c.CreatePlayer(player_id="p_bo", name="Bo"))
    st.build()  # first build: both new players saved, checkpoint taken at t=50
    return st


def test_new_players_are_saved_at_once_with_their_session_hash():
    st = Stepper()
    st.step(c.CreatePlayer(player_id="p_ann", name="Ann", session_hash="ab" * 32))
    batch, progressed = st.build()
    assert progressed == {"p_ann"}
    assert batch.players["p_ann"]["sessionHash"] == "ab" * 32
    assert batch.players["p_ann"]["updatedAt"] == st.now


def test_progress_is_saved_every_build(s):
    for item in ("jelly", "leaf"):
        s.step(c.GrantItem(player_id="p_ann", item=item))
        batch, progressed = s.build()
        assert progressed == {"p_ann"} and set(batch.players) == {"p_ann"}
    assert [r["itemId"] for r in batch.players["p_ann"]["inventory"]] == ["jelly", "leaf"]


def test_a_build_with_no_changes_is_empty(s):
    s.step()
    batch, progressed = s.build()
    assert batch.empty() and progressed == set()


def test_walking_is_saved_only_at_the_checkpoint(s):
    s.step(c.SetGoal(player_id="p_ann", x=600, y=288))
    for _ in range(10):
        s.step()
        batch, _ = s.build()
        assert "p_ann" not in batch.players
    s.step(at=50 + CHECKPOINT_MS)
    batch, progressed = s.build()
    assert progressed == set()
    assert batch.players["p_ann"]["x"] == round(s.world.players["p_ann"].x, 1)
    assert "p_bo" not in batch.players  # did not move: not saved
    s.step(c.SetGoal(player_id="p_ann", x=700, y=288))
    s.step()
    assert "p_ann" not in s.build()[0].players  # the next checkpoint is 5 s later


def test_a_progress_save_carries_the_current_position_too(s):
    s.step(c.Move(player_id="p_ann", dx=1, dy=0))
    s.build()
    s.step(c.GrantItem(player_id="p_ann", item="jelly"))
    batch, _ = s.build()
    assert batch.players["p_ann"]["x"] == s.world.players["p_ann"].x


def test_everything_saves_every_player_in_the_world(s):
    s.step()
    batch, progressed = s.build(everything=True)
    assert set(batch.players) == {"p_ann", "p_bo"} and progressed == set()


def test_notes_become_event_rows(s):
    s.step(c.Whisper(player_id="p_ann", to="Bo", text="hi"))
    batch, _ = s.build()
    [row] = [e for e in batch.events if e["playerId"] == "p_bo"]
    assert row["kind"] == "whisper" and row["important"] is True
    assert row["id"] == s.world.players["p_bo"].event_seq
    assert set(row) == {"playerId", "id", "at", "kind", "text", "important", "data"}
    assert all(isinstance(e, dict) for e in batch.events)


def test_parties_are_saved_when_they_change_and_deleted_when_disbanded(s):
    s.step(c.PartyCreate(player_id="p_ann", party_id="party_1"))
    batch, _ = s.build()
    assert batch.parties["party_1"]["leaderId"] == "p_ann" and not batch.deleted_parties
    s.step(c.PartyLeave(player_id="p_ann"))
    batch, _ = s.build()
    assert batch.parties == {} and batch.deleted_parties == {"party_1"}
    assert s.build()[0].empty()


def test_board_posts_are_saved_once(s):
    s.step(c.BoardPost(player_id="p_ann", content="hello board", post_id="post_1"))
    batch, _ = s.build()
    assert [p["id"] for p in batch.board] == ["post_1"]
    s.step()
    assert s.build()[0].board == []


def test_the_builder_clears_the_change_sets_it_takes(s):
    s.step(c.GrantItem(player_id="p_ann", item="jelly"), c.PartyCreate(player_id="p_bo", party_id="party_2"))
    s.build(everything=True)
    w = s.world
    assert not (w.progress_dirty or w.position_dirty or w.parties_dirty or w.parties_deleted or w.board_new)


# ---- Batch.merge -----------------------------------------------------------------------
def batch(**kw) -> Batch:
    b = Batch()
    for key, value in kw.items():
        setattr(b, key, value)
    return b


def test_merge_keeps_the_newest_player_record():
    older = batch(players={"p1": {"id": "p1", "xp": 1}, "p2": {"id": "p2", "xp": 5}})
    older.merge(batch(players={"p1": {"id": "p1", "xp": 2}}))
    assert older.players == {"p1": {"id": "p1", "xp": 2}, "p2": {"id": "p2", "xp": 5}}


def test_merge_appends_events_and_board_posts_in_order():
    older = batch(events=[{"id": 1}], board=[{"id": "a"}])
    older.merge(batch(events=[{"id": 2}, {"id": 3}], board=[{"id": "b"}]))
    assert [e["id"] for e in older.events] == [1, 2, 3]
    assert [p["id"] for p in older.board] == ["a", "b"]


def test_a_party_saved_then_deleted_is_only_deleted():
    older = batch(parties={"x": {"id": "x"}, "y": {"id": "y"}})
    older.merge(batch(deleted_parties={"x"}))
    assert older.parties == {"y": {"id": "y"}} and older.deleted_parties == {"x"}
    assert older.kwargs()["deleted_parties"] == ["x"]


def test_a_party_deleted_then_saved_again_is_saved_not_deleted():
    older = batch(deleted_parties={"x", "z"})
    older.merge(batch(parties={"x": {"id": "x", "v": 2}}))
    assert older.parties == {"x": {"id": "x", "v": 2}} and older.deleted_parties == {"z"}


def test_merging_into_an_empty_batch_gives_the_newer_one():
    newer = batch(players={"p": {"id": "p"}}, events=[{"id": 1}], parties={"x": {"id": "x"}},
                  deleted_parties={"y"}, board=[{"id": "b"}])
    merged = Batch().merge(newer)
    assert merged.kwargs() == newer.kwargs()
    assert not merged.empty() and Batch().empty()


def test_kwargs_is_the_store_save_batch_signature():
    b = batch(players={"p": {"id": "p"}}, deleted_parties={"b", "a"})
    assert b.kwargs() == {"players": [{"id": "p"}], "events": [], "parties": [], "deleted_parties": ["a", "b"],
                          "board": []}


def test_a_merged_batch_saves_to_a_store(s):
    store = MemoryStore()
    s.step(c.PartyCreate(player_id="p_ann", party_id="party_1"), c.GrantItem(player_id="p_bo", item="jelly"))
    held, _ = s.build()  # pretend this commit failed
    s.step(c.PartyLeave(player_id="p_ann"), c.Whisper(player_id="p_ann", to="Bo", text="bye"))
    newer, _ = s.build()
    store.save_batch(**held.merge(newer).kwargs())
    assert store.load_parties() == []
    assert [r["itemId"] for r in store.get_player("p_bo")["inventory"]] == ["jelly"]
    assert [e["kind"] for e in store.list_events("p_bo")] == ["whisper"]
