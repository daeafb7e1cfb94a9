"""TickService: a fixed-rate tick on an injected clock, skipped ticks, lag and stopping."""

from __future__ import annotations

import pytest
from twisted.internet.task import Clock

from clawtown.engine.game import Game
from clawtown.engine.inbox import Inbox
from clawtown.engine.ticker import TickService
from clawtown.sim import commands as c
from clawtown.sim.world import World

# A hair over 50 ms: repeated float additions on the Clock would otherwise sometimes stop a
# hair short of the loop's next due time and fold two ticks into one.
TICK = 0.05 + 1e-9


@pytest.fixture
def ticking():
    clock = Clock()
    game = Game(World(seed=5), Inbox(), clock)
    service = TickService(game, clock, hz=20)
    service.startService()
    yield clock, game, service
    if service.running:
        service.stopService()


@pytest.mark.parametrize("n", [1, 2, 20, 137])
def test_n_intervals_of_50_ms_are_n_ticks(ticking, n):
    clock, game, _ = ticking
    for _ in range(n):
        clock.advance(TICK)
    assert game.ticks == n and game.world.tick == n
    assert game.skipped_ticks == 0


def test_nothing_ticks_before_the_first_interval(ticking):
    clock, game, _ = ticking
    clock.advance(0.049)
    assert game.ticks == 0


def test_world_time_follows_the_clock(ticking):
    clock, game, _ = ticking
    for _ in range(4):
        clock.advance(TICK)
    assert game.world.now == game.now_ms() == 200
    assert game.last_tick_at == clock.seconds()


def test_a_clock_jump_is_one_tick_that_counts_the_skipped_ones(ticking):
    clock, game, _ = ticking
    clock.advance(TICK)
    clock.advance(1.0)  # the reactor was blocked for a second: 19 intervals were missed
    assert game.ticks == 2
    assert game.skipped_ticks == 19
    clock.advance(TICK)
    assert (game.ticks, game.skipped_ticks) == (3, 19)


def test_queued_commands_are_applied_by_the_next_tick(ticking):
    clock, game, _ = ticking
    assert game.submit(c.CreatePlayer(player_id="p_ann", name="Ann"))
    assert "p_ann" not in game.world.players
    clock.advance(TICK)
    assert "p_ann" in game.world.players and len(game.inbox) == 0
    assert any(type(e).__name__ == "ChatLine" for e in game.take_outbox())


def test_lag_is_how_late_the_next_tick_is(ticking):
    clock, game, service = ticking
    assert service.lag_seconds() == 0.0  # not ticked yet
    clock.advance(TICK)
    assert service.lag_seconds() == 0.0
    clock.rightNow += 0.3  # time passes but the reactor is busy: no tick runs
    assert service.lag_seconds() == pytest.approx(0.25)
    clock.advance(0)  # the overdue tick runs
    assert service.lag_seconds() == 0.0


def test_stop_service_stops_ticking(ticking):
    clock, game, service = ticking
    clock.advance(TICK)
    service.stopService()
    clock.advance(5)
    assert game.ticks == 1 and not service.running
    assert service.lag_seconds() == 0.0
    assert clock.getDelayedCalls() == []


def test_a_failing_tick_is_logged_and_the_loop_goes_on(ticking, monkeypatch):
    clock, game, _ = ticking
    real_step = game.world.step
    calls = []

    def flaky(now, commands):
        calls.append(now)
        if len(calls) == 2:
            raise RuntimeError("rule bug")
        return real_step(now, commands)

    monkeypatch.setattr(game.world, "step", flaky)
    for _ in range(4):
        clock.advance(TICK)
    assert len(calls) == 4 and game.world.tick == 3
