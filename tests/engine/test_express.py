"""Express commits: a REST caller waiting for its state to reach the disk does not wait for the next round."""

from __future__ import annotations

from clawtown.sim import commands as c


def answer_of(d) -> list:
    got: list = []
    d.addBoth(got.append)
    return got


def zenny(town, pid):
    return lambda: town.world.players[pid].zenny


def express_town(gated_town):
    town = gated_town
    town.sync.express = True
    town.add_player("p_ann", "Ann")
    town.add_player("p_bob", "Bob")
    return town


def grant_zenny(town, pid: str, qty: int) -> None:
    """A command applied between ticks, the way the bot REST API applies its callers' commands."""
    town.game.apply_now(c.GrantItem(player_id=pid, item="zenny", qty=qty))


def test_a_waiting_read_gets_an_express_commit_at_the_end_of_the_reactor_turn(gated_town):
    town = express_town(gated_town)
    grant_zenny(town, "p_ann", 5)
    got = answer_of(town.sync.settled(zenny(town, "p_ann"), ("p_ann",)))
    assert got == [] and town.runner.pending == []
    town.clock.advance(0)  # the reactor turn ends: the express round builds its batch and commits
    assert len(town.runner.pending) == 1 and town.sync.express_rounds == 1
    assert got == []
    town.runner.commit()
    assert got == [5]
    assert town.store.get_player("p_ann")["zenny"] == 5


def test_many_waiting_callers_share_one_express_commit(gated_town):
    town = express_town(gated_town)
    grant_zenny(town, "p_ann", 1)
    grant_zenny(town, "p_bob", 2)
    got = [answer_of(town.sync.settled(zenny(town, pid), (pid,))) for pid in ("p_ann", "p_bob")]
    town.clock.advance(0)
    assert len(town.runner.pending) == 1
    town.runner.commit()
    assert got == [[1], [2]]


def test_express_rounds_send_no_frames_the_next_round_sends_them(gated_town):
    town = express_town(gated_town)
    ann = town.connect("p_ann")
    town.step()
    ann.pump()
    grant_zenny(town, "p_ann", 9)
    answer_of(town.sync.settled(zenny(town, "p_ann"), ("p_ann",)))
    town.clock.advance(0)
    town.runner.commit()
    ann.pump()
    assert ann.of_type("you") == [] or all(f["you"].get("zenny", 0) != 9 for f in ann.of_type("you"))
    town.round()
    ann.pump()
    assert [f["you"]["zenny"] for f in ann.of_type("you")][-1] == 9


def test_a_regular_round_that_meets_an_express_commit_runs_right_after_it(gated_town):
    town = express_town(gated_town)
    grant_zenny(town, "p_ann", 3)
    answer_of(town.sync.settled(zenny(town, "p_ann"), ("p_ann",)))
    town.clock.advance(0)
    skipped, rounds = town.sync.skipped_rounds, town.sync.rounds
    town.sync.round()  # the 10 Hz loop fires while the express commit is on the store thread
    assert town.sync.skipped_rounds == skipped and town.sync.rounds == rounds
    town.runner.commit()
    assert town.sync.rounds == rounds + 1  # it ran as soon as the express commit was done


def test_a_caller_arriving_during_an_express_commit_gets_the_next_one(gated_town):
    town = express_town(gated_town)
    grant_zenny(town, "p_ann", 1)
    first = answer_of(town.sync.settled(zenny(town, "p_ann"), ("p_ann",)))
    town.clock.advance(0)
    grant_zenny(town, "p_bob", 4)
    second = answer_of(town.sync.settled(zenny(town, "p_bob"), ("p_bob",)))
    town.clock.advance(0)
    assert len(town.runner.pending) == 1  # one commit at a time
    town.runner.commit()
    assert first == [1] and second == []
    town.clock.advance(0)
    town.runner.commit()
    assert second == [4]
    assert town.store.get_player("p_bob")["zenny"] == 4


def test_without_express_a_waiting_read_waits_for_the_round(gated_town):
    town = gated_town
    town.add_player("p_ann", "Ann")
    grant_zenny(town, "p_ann", 5)
    got = answer_of(town.sync.settled(zenny(town, "p_ann"), ("p_ann",)))
    town.clock.advance(0)
    assert town.runner.pending == [] and got == []
    town.round()
    assert got == [5]
