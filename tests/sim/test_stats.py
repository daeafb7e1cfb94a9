"""XP curve, levels, derived combat stats and the max-HP formula."""

import pytest

from clawtown.sim import commands as c
from clawtown.sim.constants import MAX_LEVEL, STATS
from clawtown.sim.progression import grant_xp
from clawtown.sim.stats import (
    JOB_BASE_ATK, derived_stats, level_for_xp, max_hp_for, total_xp_for_level, xp_required,
)


def base(**over):
    b = {s: 1 for s in STATS}
    b.update(over)
    return b


@pytest.mark.parametrize("level,total", [(1, 0), (2, 10), (3, 25), (4, 45), (5, 70), (10, 270)])
def test_xp_totals(level, total):
    assert total_xp_for_level(level) == total
    assert level_for_xp(total) == level
    if total:
        assert level_for_xp(total - 1) == level - 1


def test_xp_requirement_grows_by_five():
    assert [xp_required(lv) for lv in range(1, 6)] == [10, 15, 20, 25, 30]


def test_level_is_capped_at_50():
    assert level_for_xp(total_xp_for_level(MAX_LEVEL)) == MAX_LEVEL
    assert level_for_xp(total_xp_for_level(MAX_LEVEL) - 1) == MAX_LEVEL - 1
    assert level_for_xp(10**9) == MAX_LEVEL == 50


@pytest.mark.parametrize("job,atk", [("novice", 2), ("mage", 3), ("archer", 3), ("knight", 4),
                                     ("assassin", 3), ("bard", 2)])
def test_job_base_atk(job, atk):
    assert JOB_BASE_ATK[job] == atk
    assert derived_stats(job, base(), [])["atk"] == atk
    # each STR point above 1 adds one ATK
    assert derived_stats(job, base(str=6), [])["atk"] == atk + 5


def test_unknown_job_falls_back_to_novice_atk():
    assert derived_stats("pirate", base(), [])["atk"] == 2


@pytest.mark.parametrize("dex,bonus", [(1, 0), (2, 0), (3, 1), (4, 1), (5, 2), (99, 49)])
def test_archer_dex_bonus(dex, bonus):
    assert derived_stats("archer", base(dex=dex), [])["atk"] == 3 + bonus
    assert derived_stats("knight", base(dex=dex), [])["atk"] == 4  # only archers


def test_equipment_sums():
    s = derived_stats("novice", base(), ["sword_1", "ring_1", "armor_2"])
    assert s["atk"] == 2 + 2 + 1
    assert s["def"] == 2
    assert s["hpBonus"] == 10
    s = derived_stats("novice", base(), ["dagger_1", "clip_1"])
    assert s["atk"] == 3
    assert s["crit"] == pytest.approx(0.07)
    assert s["aspd"] == pytest.approx(0.09)


def test_def_from_vit():
    assert [derived_stats("novice", base(vit=v), [])["def"] for v in (1, 2, 3, 4, 5)] == [0, 0, 1, 1, 2]
    assert derived_stats("novice", base(vit=5), ["armor_1"])["def"] == 3


def test_crit_and_aspd_from_luk_agi_and_clamped():
    s = derived_stats("novice", base(luk=11, agi=21), [])
    assert s["crit"] == pytest.approx(0.10)
    assert s["aspd"] == pytest.approx(0.20)
    s = derived_stats("novice", base(luk=99, agi=99), ["sword_2", "clip_1"])
    assert s["crit"] == 0.8
    assert s["aspd"] == 0.8
    s = derived_stats("novice", base(), [])
    assert s["crit"] == 0.0 and s["aspd"] == 0.0


def test_max_hp_formula():
    assert max_hp_for(1, 1) == 30
    assert max_hp_for(5, 1) == 30 + 4 * 2
    assert max_hp_for(1, 4) == 30 + 3 * 3
    assert max_hp_for(10, 11, 10) == 30 + 18 + 30 + 10


def test_new_player_defaults(sim):
    p = sim.add_player("p_a")
    assert (p.level, p.xp, p.hp, p.max_hp, p.stat_points, p.zenny) == (1, 0, 30, 30, 5, 0)
    assert all(v == 1 for v in p.base.values())
    assert p.xp_to_next == 10


def test_level_up_grants_points_and_hp(sim):
    p = sim.add_player("p_a")
    p.hp = 20
    grant_xp(sim.world, p, 25)  # level 3
    assert p.level == 3 and p.stat_points == 7
    assert p.max_hp == 34
    assert p.hp == 24  # rises by the max-HP delta, not healed
    grant_xp(sim.world, p, 20, heal=True)  # 45 -> level 4, a kill heals
    assert p.level == 4 and p.hp == p.max_hp == 36
    notes = sim.notes("p_a", "level", events=sim.world._events)
    assert [n.data["level"] for n in notes] == [3, 4]


def test_vit_raises_max_hp_and_hp(sim):
    p = sim.add_player("p_a")
    res = sim.do(c.AllocStat(player_id="p_a", stat="vit", n=2))
    assert res["ok"]
    assert p.max_hp == 36 and p.hp == 36
    assert p.stats()["def"] == 1
