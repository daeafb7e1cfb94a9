"""SyncService.settled (reads never show what a crash could undo) and store_lag_ms (admin status)."""

from __future__ import annotations

from clawtown.sim import commands as c


def answer_of(d) -> list:
    got: list = []
    d.addBoth(got.append)
    return got


def zenny_view(town, pid):
    return lambda: {"zenny": town.world.players[pid].zenny}


def test_a_read_of_a_committed_player_is_answered_at_once(gated_town):
    town = gated_town
    town.add_player("p_ann", "Ann")
    got = answer_of(town.sync.settled(zenny_view(town, "p_ann"), ("p_ann",)))
    assert got == [{"zenny": 0}]


def test_uncommitted_progress_is_shown_only_after_its_commit(gated_town):
    town = gated_town
    town.add_player("p_ann", "Ann")
    town.submit(c.GrantItem(player_id="p_ann", item="zenny", qty=5))
    town.tick()
    got = answer_of(town.sync.settled(zenny_view(town, "p_ann"), ("p_ann",)))
    assert got == []  # the 5 zenny are in memory only: a crash now would undo them

    town.auto_commit = False
    town.round()  # the batch with the 5 zenny is built and in flight; the view is taken with it
    town.submit(c.GrantItem(player_id="p_ann", item="zenny", qty=100))
    town.tick()  # more progress while the commit runs: not part of the answer
    assert got == []
    town.runner.commit()
    assert got == [{"zenny": 5}]
    assert town.store.get_player("p_ann")["zenny"] == 5


def test_a_read_while_the_players_batch_is_in_flight_waits_for_the_next_round(gated_town):
    town = gated_town
    town.add_player("p_ann", "Ann")
    town.auto_commit = False
    town.submit(c.GrantItem(player_id="p_ann", item="zenny", qty=3))
    town.step()
    got = answer_of(town.sync.settled(zenny_view(town, "p_ann"), ("p_ann",)))
    assert got == []
    town.runner.commit()
    assert got == []
    town.auto_commit = True
    town.step()
    assert got == [{"zenny": 3}]


def test_other_players_progress_does_not_delay_a_players_read(gated_town):
    town = gated_town
    town.add_player("p_ann", "Ann")
    town.add_player("p_bo", "Bo")
    town.submit(c.GrantItem(player_id="p_bo", item="zenny", qty=5))
    town.tick()
    assert answer_of(town.sync.settled(zenny_view(town, "p_ann"), ("p_ann",))) == [{"zenny": 0}]
    assert answer_of(town.sync.settled(lambda: "world")) == []  # a whole-world read waits
    town.step()
    assert town.sync.settled(lambda: "world").called


def test_a_failed_commit_holds_the_answer_until_a_commit_succeeds(gated_town):
    town = gated_town
    town.add_player("p_ann", "Ann")
    town.auto_commit = False
    town.submit(c.GrantItem(player_id="p_ann", item="zenny", qty=2))
    town.tick()
    got = answer_of(town.sync.settled(zenny_view(town, "p_ann"), ("p_ann",)))
    town.round()
    town.runner.fail()
    assert got == []
    town.round()
    town.runner.commit()
    assert got == [{"zenny": 2}]


def test_a_render_that_raises_fails_only_its_own_answer(gated_town):
    town = gated_town
    town.add_player("p_ann", "Ann")
    town.submit(c.GrantItem(player_id="p_ann", item="zenny", qty=2))
    town.tick()
    bad = answer_of(town.sync.settled(lambda: 1 / 0, ("p_ann",)))
    good = answer_of(town.sync.settled(zenny_view(town, "p_ann"), ("p_ann",)))
    town.step()
    assert isinstance(bad[0].value, ZeroDivisionError)
    assert good == [{"zenny": 2}]


def test_store_lag_is_the_age_of_the_oldest_uncommitted_change(gated_town):
    town = gated_town
    town.add_player("p_ann", "Ann")
    assert town.sync.store_lag_ms() == 0
    town.auto_commit = False
    town.submit(c.GrantItem(player_id="p_ann", item="zenny", qty=1))
    town.step()
    town.clock.advance(0.3)
    assert 300 <= town.sync.store_lag_ms() < 400
    town.runner.fail()
    town.clock.advance(0.2)
    assert town.sync.store_lag_ms() > 499  # still held after a failure: the lag keeps growing
    town.round()
    town.runner.commit()
    assert town.sync.store_lag_ms() == 0
