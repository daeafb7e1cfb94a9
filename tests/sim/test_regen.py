"""Out of combat, HP comes back slowly; while being hit, it does not."""

from clawtown.sim.combat import REGEN_DELAY_MS


def test_hp_regenerates_only_after_a_quiet_spell(arena):
    p = arena.add_player("p_a", x=300, y=300)
    p.hp = 10
    p.last_hurt_at = arena.now
    arena.advance_ms(REGEN_DELAY_MS - 1000)
    assert p.hp == 10
    arena.advance_ms(3000)
    assert 10 < p.hp < p.max_hp
    arena.advance_ms(60_000)
    assert p.hp == p.max_hp


def test_knocked_out_players_do_not_regenerate(arena):
    p = arena.add_player("p_a", x=300, y=300)
    p.hp = 0
    p.knocked_out_until = arena.now + 10**9
    arena.advance_ms(REGEN_DELAY_MS * 3)
    assert p.hp == 0
