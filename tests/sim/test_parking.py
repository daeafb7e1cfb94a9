"""Idle characters leave the world (and come back with everything they had)."""

from clawtown.sim import commands as c
from clawtown.sim.events import Relocated
from clawtown.sim.world import IDLE_MS, PARK_CHECK_TICKS


def test_offline_manual_player_is_parked_after_idle_time(sim):
    p = sim.add_player("p_idle", online=False)
    sim.do(c.Disconnect(player_id=p.id))
    sim.advance_ms(IDLE_MS - 60_000)
    assert "p_idle" in sim.world.players
    sim.advance_ms(60_000 + PARK_CHECK_TICKS * 50)
    assert "p_idle" not in sim.world.players
    assert sim.world.parked["p_idle"]["name"] == p.name
    assert any(isinstance(e, Relocated) and e.player_id == "p_idle" and e.new is None for e in sim.events)


def test_online_and_hmode_players_stay(sim):
    online = sim.add_player("p_on", online=True)
    agent = sim.add_player("p_agent", online=False)
    sim.do(c.SetMode(player_id=agent.id, mode="agent"))
    sim.do(c.Disconnect(player_id=agent.id))
    sim.advance_ms(IDLE_MS + PARK_CHECK_TICKS * 50 * 2)
    assert online.id in sim.world.players and agent.id in sim.world.players


def test_reactivation_prefers_the_parked_record_over_a_stale_one(sim):
    p = sim.add_player("p_back", online=False)
    sim.do(c.GrantItem(player_id=p.id, item="sword_1"))
    stale = p.to_record()
    stale["inventory"] = []
    sim.do(c.Disconnect(player_id=p.id))
    sim.advance_ms(IDLE_MS + PARK_CHECK_TICKS * 50)
    assert p.id in sim.world.parked
    assert sim.do(c.Activate(player_id=p.id, record=stale))["ok"]
    back = sim.world.players[p.id]
    assert [r["itemId"] for r in back.inventory] == ["sword_1"]
    assert p.id not in sim.world.parked and p.id in sim.world.progress_dirty
