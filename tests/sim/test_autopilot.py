"""H-Mode: the server autopilot hunts, loots, talks only to its owner, and yields to a linked bot."""

from clawtown.sim import commands as c
from clawtown.sim.constants import BOT_YIELD_MS
from clawtown.sim.events import ChatLine, Fx


def bot_lines(s, events=None):
    return [e for e in (s.events if events is None else events)
            if isinstance(e, ChatLine) and e.text.startswith("[BOT]")]


def autopilot_acted(s, mark: int) -> bool:
    """Whether the autopilot cast or spoke since event index `mark`."""
    new = s.events[mark:]
    return bool(bot_lines(s, new)) or any(isinstance(e, Fx) and e.payload.get("source") == "autopilot" for e in new)


def agent(s, pid="p_a", *first, **kw):
    """A new player switched to agent mode; `first` commands are applied in the same tick, before."""
    p = s.add_player(pid, **kw)
    res = s.do(*first, c.SetMode(player_id=pid, mode="agent"))
    assert res["ok"]
    return p


def test_autopilot_hunts_and_kills_a_slime(sim):
    p = agent(sim, x=300, y=200)
    took = sim.run_until(lambda: p.meta["kills"] >= 1, max_ms=40_000)
    assert p.xp >= 8
    kill = sim.notes("p_a", "kill")[0]
    assert kill.data["monster"]["id"].startswith("m_slime_")
    assert took < 40_000
    assert any(isinstance(e, Fx) and e.payload.get("source") == "autopilot" for e in sim.events)


def test_autopilot_walks_to_loot_and_picks_it_up(sim):
    p = agent(sim, x=300, y=200)
    sim.run_until(lambda: p.meta["kills"] >= 1, max_ms=40_000)
    sim.run_until(lambda: p.meta["pickups"] >= 1, max_ms=15_000)
    assert p.zenny >= 1  # every slime drops zenny
    assert sim.notes("p_a", "loot")


def test_autopilot_loots_a_drop_in_sight(arena):
    arena.inst().add_drop("jelly", 2, 450, 360, arena.now + 60_000)
    p = agent(arena, x=300, y=300)
    arena.run_until(lambda: p.count("jelly") == 2, max_ms=5_000)
    assert any("[BOT] Picking up Poring Jelly." == e.text for e in bot_lines(arena))


def test_bot_lines_go_only_to_the_owner(sim):
    agent(sim, "p_a", x=300, y=200)
    agent(sim, "p_b", x=700, y=400)
    sim.add_player("p_c")
    sim.advance_ms(30_000)
    lines = bot_lines(sim)
    assert {e.to_id for e in lines} == {"p_a", "p_b"}
    for e in lines:
        assert e.scope == "owner" and e.from_id == e.to_id
    # never two lines within the speech gap
    for pid in ("p_a", "p_b"):
        ats = [e.at for e in lines if e.to_id == pid]
        assert all(b - a >= 2500 for a, b in zip(ats, ats[1:]))


def test_autopilot_speaks_chinese_when_asked(sim):
    agent(sim, x=300, y=200)
    sim.do(c.SetLang(player_id="p_a", lang="zh"))
    sim.advance_ms(20_000)
    assert any("攻擊" in e.text or "靠近" in e.text for e in bot_lines(sim))


def test_autopilot_patrols_when_nothing_is_in_sight(arena):
    p = agent(arena, x=100, y=100)
    arena.advance_ms(1000)
    assert p.goal is not None
    gx, gy = p.goal
    assert 512 - 110 <= gx <= 512 + 110 and 336 - 110 <= gy <= 336 + 110
    assert bot_lines(arena)[-1].text == "[BOT] Patrolling the plaza."


def test_manual_players_are_not_driven(sim):
    p = sim.add_player("p_a", x=300, y=200)
    sim.advance_ms(10_000)
    assert (p.x, p.y) == (300, 200) and not bot_lines(sim)


def test_autopilot_yields_to_a_linked_bot_that_acted(sim):
    p = agent(sim, "p_a", c.BotSeen(player_id="p_a", action=True, link=True), x=300, y=200)
    acted_at = sim.now
    start = (p.x, p.y)
    mark = len(sim.events)
    sim.run_until(lambda: sim.now - acted_at >= BOT_YIELD_MS - 100, max_ms=BOT_YIELD_MS)
    assert (p.x, p.y) == start and p.goal is None and p.meta["kills"] == 0
    assert not autopilot_acted(sim, mark)
    # read-only polling does not count as acting
    sim.do(c.BotSeen(player_id="p_a", action=False))
    sim.advance_ms(2000)
    assert autopilot_acted(sim, mark)


def test_autopilot_yield_restarts_with_each_action(sim):
    agent(sim, "p_a", c.BotSeen(player_id="p_a", action=True, link=True), x=300, y=200)
    mark = len(sim.events)
    for _ in range(3):
        sim.advance_ms(BOT_YIELD_MS - 2000)
        sim.do(c.BotSeen(player_id="p_a", action=True))
    assert not autopilot_acted(sim, mark)
    sim.advance_ms(BOT_YIELD_MS + 2000)
    assert autopilot_acted(sim, mark)


def test_unlinked_bot_activity_does_not_stop_the_autopilot(sim):
    mark = len(sim.events)
    agent(sim, "p_a", c.BotSeen(player_id="p_a", action=True), x=300, y=200)
    sim.advance_ms(2000)
    assert autopilot_acted(sim, mark)


def test_autopilot_wears_better_gear(arena):
    from clawtown.sim.progression import add_item
    p = arena.add_player("p_a")
    [uid] = add_item(arena.world, p, "sword_1")  # manual: not equipped
    assert p.equipment["weapon"] is None
    arena.do(c.SetMode(player_id="p_a", mode="agent"))
    arena.advance_ms(1000)
    assert p.equipment["weapon"] == uid


def test_knocked_out_agent_stops_and_resumes_in_town(arena):
    from clawtown.sim.combat import hurt_player
    p = agent(arena, x=300, y=300)
    m = arena.monster(320, 300, atk=5)
    hurt_player(arena.world, arena.inst(), m, p, 999)
    arena.inst().remove_monster(m.id)
    where = (p.x, p.y)
    mark = len(arena.events)
    arena.advance_ms(4000)
    assert not p.alive and (p.x, p.y) == where and p.goal is None
    assert not autopilot_acted(arena, mark)
    arena.advance_ms(2000)
    assert p.alive and p.mode == "agent"
    arena.advance_ms(1000)
    assert p.goal is not None or (p.x, p.y) != (480, 288)  # patrolling again
