"""H-Mode hand-off: a linked bot that acts holds the server autopilot off for 8 s; then it takes over."""

from __future__ import annotations

import pytest

from clawtown.sim.constants import BOT_YIELD_MS

HP = 10_000


@pytest.fixture
def arena(town, ann):
    """Ann alone in a corner of the town with one big, still monster in reach."""
    town.teleport(ann.id, 160, 480)
    town.clear_monsters_near(ann.id, 700)
    town.spawn_monster(ann.id, "m_dummy", 200, 480, hp=HP, max_hp=HP, name="Dummy")
    town.run_for(1)
    town.limiter.buckets.clear()
    return ann


def dummy_hp(town, bot) -> int:
    return town.world.instance_of(bot.player).monsters["m_dummy"].hp


def autopilot_lines(town, bot) -> list[str]:
    lines = town.chatlog.by_player.get(bot.id, ())
    return [line.text for line in lines if line.text.startswith("[BOT]")]


def test_the_autopilot_waits_8s_after_a_bot_action_then_takes_over(town, arena):
    ann = arena
    assert ann.post("mode", {"mode": "agent"}).code == 200
    acted_at = town.now_ms()
    assert ann.player.bot_action_at is not None and acted_at - ann.player.bot_action_at <= 150
    # Reads during the wait are "seen", not actions: they do not extend it.
    while town.now_ms() - ann.player.bot_action_at < BOT_YIELD_MS - 300:
        town.run_for(0.6)
        town.limiter.buckets.clear()
        assert ann.get("status").code == 200
        assert dummy_hp(town, ann) == HP, "the autopilot acted while the bot was in charge"
    assert autopilot_lines(town, ann) == []
    town.run_for(2.5)
    assert dummy_hp(town, ann) < HP, "the autopilot did not take over after 8 s"
    assert autopilot_lines(town, ann)


def test_each_bot_action_restarts_the_wait(town, arena):
    ann = arena
    ann.post("mode", {"mode": "agent"})
    for _ in range(3):
        town.run_for(5)
        town.limiter.buckets.clear()
        assert ann.post("intent", {"text": "still here"}).code == 200
    town.run_for(5)
    assert dummy_hp(town, ann) == HP
    town.run_for(4.5)
    assert dummy_hp(town, ann) < HP


def test_polling_alone_does_not_hold_the_autopilot(town, arena):
    """A linked bot that only reads (status/events/world) leaves the character to the autopilot."""
    ann = arena
    ann.post("mode", {"mode": "agent"})
    for _ in range(int((BOT_YIELD_MS + 2500) / 600)):
        town.run_for(0.6)
        town.limiter.buckets.clear()
        ann.get("events")
        ann.get("status")
    assert dummy_hp(town, ann) < HP


def test_manual_mode_has_no_autopilot(town, arena):
    ann = arena
    town.run_for(12)
    assert dummy_hp(town, ann) == HP and ann.player.mode == "manual"
