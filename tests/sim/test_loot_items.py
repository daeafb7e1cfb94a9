"""Loot tables, ground drops and pickup, crafting, equipment, stat points and auto-equip."""

import random
from collections import Counter

import pytest

from clawtown.sim import commands as c
from clawtown.sim.constants import DROP_LIFETIME_MS, PICKUP_REACH, STAT_MAX
from clawtown.sim.items import CATALOG, CRAFT_REWARDS, roll_craft, roll_loot
from clawtown.sim.progression import add_item

X, Y = 480.0, 288.0


# ---- loot tables ---------------------------------------------------------------------------

def test_slime_loot_always_has_zenny_and_nested_rarities():
    rng = random.Random(1234)
    n = 20_000
    counts = Counter()
    for _ in range(n):
        loot = dict(roll_loot("slime", rng))
        assert 1 <= loot["zenny"] <= 3
        assert all(q == 1 for k, q in loot.items() if k != "zenny")
        if "ring_1" in loot:
            assert {"jelly", "leaf", "dagger_1", "armor_1"} <= set(loot)
        if "dagger_1" in loot:
            assert {"jelly", "leaf"} <= set(loot)
        counts.update(k for k in loot if k != "zenny")
    for item, p in {"jelly": 0.55, "leaf": 0.22, "dagger_1": 0.12, "armor_1": 0.07, "ring_1": 0.04}.items():
        assert counts[item] / n == pytest.approx(p, abs=0.015), item


def test_elite_loot():
    rng = random.Random(99)
    gear = Counter()
    for _ in range(4000):
        loot = roll_loot("elite", rng)
        d = dict(loot)
        assert 12 <= d["zenny"] <= 21 and 2 <= d["jelly"] <= 3
        assert loot[2][0] in ("sword_1", "bow_1", "armor_1", "ring_1")
        gear[loot[2][0]] += 1
        assert set(d) <= {"zenny", "jelly", "sword_1", "bow_1", "armor_1", "ring_1", "dagger_1", "sword_2"}
    assert all(800 <= v <= 1200 for v in gear.values())


def test_field_and_unknown_tables():
    rng = random.Random(5)
    for _ in range(500):
        loot = roll_loot("field", rng)
        assert loot[0][0] == "zenny" and 3 <= loot[0][1] <= 8
        assert all(item in CATALOG for item, _ in loot)
    assert roll_loot("none", rng) == []


def test_loot_is_reproducible_with_the_same_seed():
    a, b = random.Random("s"), random.Random("s")
    assert [roll_loot("slime", a) for _ in range(50)] == [roll_loot("slime", b) for _ in range(50)]


def test_craft_reward_weights():
    rng = random.Random(7)
    n = 20_000
    got = Counter(roll_craft(rng) for _ in range(n))
    for item, weight in CRAFT_REWARDS:
        assert got[item] / n == pytest.approx(weight / 100, abs=0.015)


# ---- drops and pickup ----------------------------------------------------------------------

def test_kill_leaves_drops_that_expire(arena):
    arena.add_player("p_a", x=X, y=Y)
    m = arena.monster(X + 100, Y, hp=1)
    arena.do(c.Cast(player_id="p_a"))
    inst = arena.inst()
    assert inst.drops, "a slime always drops zenny"
    for d in inst.drops.values():
        assert abs(d.x - m.x) <= 8 and abs(d.y - m.y) <= 8
        assert d.expires_at == arena.now + DROP_LIFETIME_MS
    arena.advance_ms(DROP_LIFETIME_MS - 1000)
    assert inst.drops
    arena.advance_ms(2000)
    assert not inst.drops


def test_walking_over_drops_picks_them_up(arena):
    p = arena.add_player("p_a", x=X, y=Y)
    inst = arena.inst()
    inst.add_drop("zenny", 3, X + 10, Y, arena.now + 10_000)
    inst.add_drop("jelly", 1, X + 8, Y + 12, arena.now + 10_000)
    inst.add_drop("ring_1", 1, X + 8 - PICKUP_REACH, Y, arena.now + 10_000)
    far = inst.add_drop("leaf", 1, X + 8 + PICKUP_REACH + 2, Y, arena.now + 10_000)
    assert arena.do(c.Move(player_id="p_a", dx=1, dy=0))["ok"]  # now at X+8
    assert p.zenny == 3 and p.count("jelly") == 1 and p.count("ring_1") == 1
    assert p.count("leaf") == 0 and far.id in inst.drops and len(inst.drops) == 1
    assert p.meta["pickups"] == 3
    loot = {n.data["itemId"]: n for n in arena.notes("p_a", "loot")}
    assert set(loot) == {"zenny", "jelly", "ring_1"}
    assert loot["ring_1"].important and not loot["jelly"].important
    assert loot["zenny"].text == "Picked up Zeny x3."
    lines = [ch for ch in arena.chats() if "picked up" in ch.text]
    assert len(lines) == 3 and all(ch.scope == "owner" and ch.to_id == "p_a" for ch in lines)


def test_stackables_merge_and_gear_gets_one_row_each(arena):
    p = arena.add_player("p_a")
    add_item(arena.world, p, "jelly", 2)
    add_item(arena.world, p, "jelly", 3)
    add_item(arena.world, p, "dagger_1", 2)
    assert [(r["itemId"], r["qty"]) for r in p.inventory] == [("jelly", 5), ("dagger_1", 1), ("dagger_1", 1)]
    assert len({r["uid"] for r in p.inventory}) == 3


def test_a_player_standing_on_loot_picks_it_up_within_a_few_ticks(arena):
    p = arena.add_player("p_a", x=X, y=Y)
    other = arena.add_player("p_b", x=X + 200, y=Y)
    arena.inst().add_drop("jelly", 1, X, Y, arena.now + 10_000)
    arena.ticks(5)
    assert p.count("jelly") == 1 and other.count("jelly") == 0


# ---- crafting ------------------------------------------------------------------------------

def test_craft_three_jelly_into_equipment(arena):
    p = arena.add_player("p_a")
    add_item(arena.world, p, "jelly", 4)
    res = arena.do(c.Craft(player_id="p_a"))
    assert res["ok"] and res["itemId"] in dict(CRAFT_REWARDS)
    assert p.count("jelly") == 1 and p.count(res["itemId"]) == 1
    assert p.meta["crafts"] == 1 and "crafter" in p.achievements
    assert any(ch.text == f"{p.name} crafted {CATALOG[res['itemId']].name}!" for ch in arena.chats())


def test_craft_refused_with_fewer_than_three_jelly(arena):
    p = arena.add_player("p_a")
    add_item(arena.world, p, "jelly", 2)
    res = arena.do(c.Craft(player_id="p_a"))
    assert res["ok"] is False
    assert p.count("jelly") == 2 and len(p.inventory) == 1 and p.meta["crafts"] == 0
    [line] = [ch for ch in arena.chats() if "needs" in ch.text]
    assert line.text == f"{p.name} needs 3 Poring Jelly to craft."
    assert line.scope == "owner" and line.to_id == "p_a"
    assert arena.do(c.Craft(player_id="p_a", recipe="gold"))["ok"] is False


def test_craft_removes_an_exhausted_stack(arena):
    p = arena.add_player("p_a")
    add_item(arena.world, p, "jelly", 3)
    arena.do(c.Craft(player_id="p_a"))
    assert not any(r["itemId"] == "jelly" for r in p.inventory)


# ---- equipment -----------------------------------------------------------------------------

def test_equip_and_unequip_change_atk(arena):
    p = arena.add_player("p_a")
    [uid] = add_item(arena.world, p, "sword_1")
    assert p.stats()["atk"] == 2
    res = arena.do(c.Equip(player_id="p_a", item="sword_1"))
    assert res == {"ok": True, "slot": "weapon", "itemId": "sword_1"}
    assert p.equipment["weapon"] == uid and p.stats()["atk"] == 4
    [ring] = add_item(arena.world, p, "ring_1")
    assert arena.do(c.Equip(player_id="p_a", item=ring))["ok"]  # by uid
    assert p.stats()["atk"] == 5
    assert arena.do(c.Unequip(player_id="p_a", slot="weapon"))["ok"]
    assert p.equipment["weapon"] is None and p.stats()["atk"] == 3
    assert p.count("sword_1") == 1  # unequipping keeps the item
    assert arena.do(c.Unequip(player_id="p_a", slot="weapon"))["ok"] is False
    assert arena.do(c.Unequip(player_id="p_a", slot="hat"))["ok"] is False


def test_equip_refusals(arena):
    p = arena.add_player("p_a")
    add_item(arena.world, p, "jelly", 1)
    assert arena.do(c.Equip(player_id="p_a", item="jelly"))["ok"] is False
    assert arena.do(c.Equip(player_id="p_a", item="sword_1"))["ok"] is False
    assert arena.do(c.Equip(player_id="p_a", item="nope"))["ok"] is False
    assert all(v is None for v in p.equipment.values())


def test_armor_hp_bonus_rises_and_falls(arena):
    p = arena.add_player("p_a")
    add_item(arena.world, p, "armor_2")
    arena.do(c.Equip(player_id="p_a", item="armor_2"))
    assert (p.max_hp, p.hp) == (40, 40) and p.stats()["def"] == 2
    arena.do(c.Unequip(player_id="p_a", slot="armor"))
    assert (p.max_hp, p.hp) == (30, 30)


# ---- stat points ---------------------------------------------------------------------------

def test_alloc_stat_spends_points(arena):
    p = arena.add_player("p_a")
    res = arena.do(c.AllocStat(player_id="p_a", stat="str", n=3))
    assert res == {"ok": True, "stat": "str", "value": 4, "statPoints": 2}
    assert p.stats()["atk"] == 5
    assert arena.do(c.AllocStat(player_id="p_a", stat="str", n=3))["ok"] is False
    assert p.stat_points == 2 and p.base["str"] == 4
    assert arena.do(c.AllocStat(player_id="p_a", stat="charisma"))["ok"] is False
    assert arena.do(c.AllocStat(player_id="p_a", stat="dex", n=0)) ["value"] == 2  # at least one


def test_alloc_stat_at_cap_does_not_spend_points(arena):
    p = arena.add_player("p_a")
    p.base["luk"] = STAT_MAX
    res = arena.do(c.AllocStat(player_id="p_a", stat="luk"))
    assert res["ok"] is False and p.stat_points == 5 and p.base["luk"] == STAT_MAX
    p.base["agi"] = STAT_MAX - 2
    res = arena.do(c.AllocStat(player_id="p_a", stat="agi", n=5))
    assert res["ok"] and p.base["agi"] == STAT_MAX and p.stat_points == 3


# ---- auto-equip ----------------------------------------------------------------------------

def _link(s, pid):
    assert s.do(c.BotSeen(player_id=pid, link=True))["ok"]


@pytest.mark.parametrize("how", ["linked", "agent"])
def test_auto_equip_picks_the_better_item(arena, how):
    p = arena.add_player("p_a")
    if how == "linked":
        _link(arena, "p_a")
    else:
        arena.do(c.SetMode(player_id="p_a", mode="agent"))
    [dagger] = add_item(arena.world, p, "dagger_1")
    assert p.equipment["weapon"] == dagger
    [sword] = add_item(arena.world, p, "sword_1")
    assert p.equipment["weapon"] == sword
    add_item(arena.world, p, "dagger_1")
    add_item(arena.world, p, "sword_1")  # equal, not strictly better
    assert p.equipment["weapon"] == sword
    [armor] = add_item(arena.world, p, "armor_1")
    assert p.equipment["armor"] == armor
    lines = [ch for ch in arena.world._events if getattr(ch, "text", "").startswith("[BOT] Equipped")]
    assert [ch.text for ch in lines] == [
        "[BOT] Equipped Beginner Dagger instead of — (pickup).",
        "[BOT] Equipped Training Sword instead of Beginner Dagger (pickup).",
        "[BOT] Equipped Cloth Armor instead of — (pickup).",
    ]
    assert all(ch.scope == "owner" and ch.to_id == "p_a" and ch.from_id == "p_a" for ch in lines)


def test_manual_unlinked_players_are_not_auto_equipped(arena):
    p = arena.add_player("p_a")
    add_item(arena.world, p, "sword_1")
    assert p.equipment["weapon"] is None


def test_linked_crafting_auto_equips(arena):
    p = arena.add_player("p_a")
    _link(arena, "p_a")
    add_item(arena.world, p, "jelly", 3)
    res = arena.do(c.Craft(player_id="p_a"))
    slot = CATALOG[res["itemId"]].slot
    assert p.find_row(p.equipment[slot])["itemId"] == res["itemId"]


def test_re_equipping_armor_does_not_heal(arena):
    """Taking off and putting on HP gear moves HP with max HP both ways: no free healing."""
    p = arena.add_player("p_a")
    add_item(arena.world, p, "armor_2")
    p.hp = 5
    for _ in range(3):
        arena.do(c.Equip(player_id="p_a", item="armor_2"))
        assert (p.hp, p.max_hp) == (15, 40)
        arena.do(c.Unequip(player_id="p_a", slot="armor"))
        assert (p.hp, p.max_hp) == (5, 30)


def test_removing_hp_gear_never_knocks_out(arena):
    p = arena.add_player("p_a")
    add_item(arena.world, p, "armor_2")
    arena.do(c.Equip(player_id="p_a", item="armor_2"))
    p.hp = 4
    arena.do(c.Unequip(player_id="p_a", slot="armor"))
    assert p.hp == 1 and p.alive and p.max_hp == 30
