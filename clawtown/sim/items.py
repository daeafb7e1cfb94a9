"""The item catalog and loot tables."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

EQUIP_SLOTS = ("weapon", "armor", "accessory")


@dataclass(frozen=True)
class Item:
    """A kind of item. Equipment has a slot and stats; stackables share one inventory row."""

    id: str
    name: str
    slot: str
    rarity: str
    stackable: bool
    stats: dict = field(default_factory=dict)

    @property
    def equippable(self) -> bool:
        return self.slot in EQUIP_SLOTS

    def score(self) -> float:
        """How good a piece of equipment is, for auto-equip."""
        s = self.stats
        return s.get("atk", 0) * 100 + s.get("def", 0) * 40 + s.get("crit", 0) * 30 + s.get("aspd", 0) * 20


CATALOG: dict[str, Item] = {
    i.id: i
    for i in (
        Item("zenny", "Zeny", "currency", "common", True),
        Item("jelly", "Poring Jelly", "material", "common", True),
        Item("leaf", "Green Leaf", "material", "common", True),
        Item("fluff", "Fluff", "material", "common", True),
        Item("dagger_1", "Beginner Dagger", "weapon", "common", False, {"atk": 1, "aspd": 0.06, "crit": 0.02}),
        Item("sword_1", "Training Sword", "weapon", "common", False, {"atk": 2}),
        Item("bow_1", "Feather Bow", "weapon", "common", False, {"atk": 2, "crit": 0.02}),
        Item("rod_1", "Apprentice Rod", "weapon", "uncommon", False, {"atk": 1, "int": 2}),
        Item("armor_1", "Cloth Armor", "armor", "common", False, {"def": 1}),
        Item("armor_2", "Padded Vest", "armor", "uncommon", False, {"def": 2, "hp": 10}),
        Item("ring_1", "Copper Ring", "accessory", "rare", False, {"atk": 1}),
        Item("clip_1", "Lucky Clip", "accessory", "rare", False, {"crit": 0.05, "aspd": 0.03}),
        Item("sword_2", "Moon Blade", "weapon", "epic", False, {"atk": 5, "crit": 0.05}),
    )
}

CRAFT_RECIPES = {"jelly_3": {"needs": ("jelly", 3)}}
CRAFT_REWARDS = (("dagger_1", 35), ("sword_1", 30), ("bow_1", 20), ("armor_1", 10), ("ring_1", 5))


def roll_loot(table: str, rng: random.Random) -> list[tuple[str, int]]:
    """What a defeated monster leaves on the ground: a list of (item id, quantity)."""
    if table == "slime":
        out = [("zenny", rng.randint(1, 3))]
        r = rng.random()
        if r < 0.55:
            out.append(("jelly", 1))
        if r < 0.22:
            out.append(("leaf", 1))
        if r < 0.12:
            out.append(("dagger_1", 1))
        if r < 0.07:
            out.append(("armor_1", 1))
        if r < 0.04:
            out.append(("ring_1", 1))
        return out
    if table == "field":
        out = [("zenny", rng.randint(3, 8))]
        r = rng.random()
        if r < 0.5:
            out.append(("fluff", 1))
        if r < 0.3:
            out.append(("jelly", 1))
        if r < 0.12:
            out.append((rng.choice(("rod_1", "armor_2", "bow_1")), 1))
        if r < 0.04:
            out.append(("clip_1", 1))
        return out
    if table == "elite":
        out = [("zenny", rng.randint(12, 21)), ("jelly", rng.randint(2, 3))]
        out.append((rng.choice(("sword_1", "bow_1", "armor_1", "ring_1")), 1))
        if rng.random() < 0.25:
            out.append(("dagger_1", 1))
        if rng.random() < 0.08:
            out.append(("sword_2", 1))
        return out
    return []


def roll_craft(rng: random.Random) -> str:
    """The equipment that three jellies turn into (weighted)."""
    total = sum(w for _, w in CRAFT_REWARDS)
    pick = rng.randrange(total)
    for item_id, weight in CRAFT_REWARDS:
        if pick < weight:
            return item_id
        pick -= weight
    raise AssertionError("unreachable")
