"""Levels, XP requirements and the derived combat stats of a player."""

from __future__ import annotations

from .constants import MAX_LEVEL, START_HP
from .items import CATALOG

JOB_BASE_ATK = {"novice": 2, "mage": 3, "archer": 3, "knight": 4, "assassin": 3, "bard": 2}


def xp_required(level: int) -> int:
    """XP needed to go from `level` to `level + 1`."""
    return 10 + (level - 1) * 5


def level_for_xp(xp: int) -> int:
    level, left = 1, xp
    while level < MAX_LEVEL and left >= xp_required(level):
        left -= xp_required(level)
        level += 1
    return level


def total_xp_for_level(level: int) -> int:
    return sum(xp_required(lv) for lv in range(1, level))


def max_hp_for(level: int, vit: int, bonus: int = 0) -> int:
    return START_HP + (level - 1) * 2 + (vit - 1) * 3 + bonus


def equipment_totals(equipped_item_ids: list[str]) -> dict:
    totals: dict[str, float] = {}
    for item_id in equipped_item_ids:
        for key, value in CATALOG[item_id].stats.items():
            totals[key] = totals.get(key, 0) + value
    return totals


def derived_stats(job: str, base: dict, equipped_item_ids: list[str]) -> dict:
    """ATK, MATK, DEF, CRIT, ASPD and the max-HP bonus from job, base stats and equipment."""
    eq = equipment_totals(equipped_item_ids)
    archer_bonus = (base["dex"] - 1) // 2 if job == "archer" else 0
    atk = JOB_BASE_ATK.get(job, 2) + (base["str"] - 1) + archer_bonus + int(eq.get("atk", 0))
    matk = 2 + (base["int"] - 1) + int(eq.get("int", 0)) + (2 if job == "mage" else 0)
    defense = (base["vit"] - 1) // 2 + int(eq.get("def", 0))
    crit = min(max(eq.get("crit", 0) + (base["luk"] - 1) * 0.01, 0.0), 0.8)
    aspd = min(max(eq.get("aspd", 0) + (base["agi"] - 1) * 0.01, 0.0), 0.8)
    return {
        "atk": atk,
        "matk": matk,
        "def": defense,
        "crit": round(crit, 4),
        "aspd": round(aspd, 4),
        "hpBonus": int(eq.get("hp", 0)),
    }
