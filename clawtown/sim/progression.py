"""Character growth: XP and levels, inventory, equipment, stat points, crafting, achievements.

Every function takes the world (for `now`, ids, chat, fx and the player's event log) and the
player it changes, and marks that player's progress as changed so the engine saves it.
"""

from __future__ import annotations

from .constants import STAT_MAX, STATS
from .items import CATALOG, CRAFT_RECIPES, EQUIP_SLOTS, roll_craft
from .model import Player
from .stats import level_for_xp

ACHIEVEMENTS = (
    ("first_blood", "First Blood", "kills", 1),
    ("slime_hunter_1", "Slime Hunter I", "kills", 10),
    ("slime_hunter_2", "Slime Hunter II", "kills", 50),
    ("crafter", "Crafter", "crafts", 1),
    ("workshop_regular", "Workshop Regular", "crafts", 10),
    ("collector", "Collector", "pickups", 25),
)


def grant_xp(world, p: Player, amount: int, heal: bool = False) -> None:
    if amount <= 0:
        return
    p.xp += amount
    world.progressed(p)
    new_level = level_for_xp(p.xp)
    if new_level <= p.level:
        return
    gained = new_level - p.level
    p.level = new_level
    p.stat_points += gained
    p.recompute_max_hp()
    if heal:
        p.hp = p.max_hp
    world.touch_player(p)
    world.system(f"{p.name} reached Level {p.level}!", world.instance_key_of(p))
    world.fx(p, p.x, p.y, "level_up", p.id, {"level": p.level})
    world.note(p, "level", f"Level up: {p.level}", True, {"level": p.level})


def count_meta(world, p: Player, counter: str) -> None:
    p.meta[counter] = p.meta.get(counter, 0) + 1
    world.progressed(p)
    for key, title, field_name, threshold in ACHIEVEMENTS:
        if field_name == counter and p.meta[counter] >= threshold and key not in p.achievements:
            p.achievements.append(key)
            world.note(p, "achievement", f"Achievement unlocked: {title}", True, {"id": key, "title": title})
            world.reply(p, "achievement", {"id": key, "title": title})


def add_item(world, p: Player, item_id: str, qty: int = 1, reason: str = "pickup") -> list[str]:
    """Put items in the inventory (zenny goes to the purse). Returns the new rows' uids."""
    item = CATALOG[item_id]
    world.progressed(p)
    if item_id == "zenny":
        p.zenny += qty
        return []
    if item.stackable:
        row = p.find_stack(item_id)
        if row:
            row["qty"] += qty
            return [row["uid"]]
        uid = world.new_uid()
        p.inventory.append({"uid": uid, "itemId": item_id, "qty": qty})
        return [uid]
    uids = []
    for _ in range(qty):
        uid = world.new_uid()
        p.inventory.append({"uid": uid, "itemId": item_id, "qty": 1})
        uids.append(uid)
        if p.linked_bot or p.mode == "agent":
            auto_equip(world, p, uid, reason)
    return uids


def remove_items(world, p: Player, item_id: str, qty: int) -> bool:
    if p.count(item_id) < qty:
        return False
    left = qty
    for row in list(p.inventory):
        if left == 0:
            break
        if row["itemId"] != item_id or p.equipped_slot_of(row["uid"]):
            continue
        take = min(row["qty"], left)
        row["qty"] -= take
        left -= take
        if row["qty"] == 0:
            p.inventory.remove(row)
    world.progressed(p)
    return left == 0


def _resolve_row(p: Player, item: str) -> dict | None:
    row = p.find_row(item)
    if row:
        return row
    candidates = [r for r in p.inventory if r["itemId"] == item]
    free = [r for r in candidates if not p.equipped_slot_of(r["uid"])]
    return (free or candidates or [None])[0]


def equip(world, p: Player, item: str) -> dict:
    row = _resolve_row(p, item)
    if not row:
        return {"ok": False, "error": "item not in inventory"}
    spec = CATALOG[row["itemId"]]
    if not spec.equippable:
        return {"ok": False, "error": "item cannot be equipped"}
    p.equipment[spec.slot] = row["uid"]
    _equipment_changed(world, p)
    world.system(f"{p.name} equipped {spec.name}.", world.instance_key_of(p))
    return {"ok": True, "slot": spec.slot, "itemId": spec.id}


def unequip(world, p: Player, slot: str) -> dict:
    if slot not in EQUIP_SLOTS:
        return {"ok": False, "error": "invalid slot"}
    if not p.equipment.get(slot):
        return {"ok": False, "error": "nothing equipped there"}
    p.equipment[slot] = None
    _equipment_changed(world, p)
    return {"ok": True, "slot": slot}


def _equipment_changed(world, p: Player) -> None:
    p.recompute_max_hp()
    world.progressed(p)
    world.touch_player(p)


def auto_equip(world, p: Player, uid: str, reason: str) -> None:
    row = p.find_row(uid)
    spec = CATALOG[row["itemId"]]
    if not spec.equippable:
        return
    current_uid = p.equipment.get(spec.slot)
    current = CATALOG[p.find_row(current_uid)["itemId"]] if current_uid and p.find_row(current_uid) else None
    if current and spec.score() <= current.score():
        return
    p.equipment[spec.slot] = uid
    _equipment_changed(world, p)
    old = current.name if current else "—"
    world.owner_line(p, f"[BOT] Equipped {spec.name} instead of {old} ({reason}).")


def alloc_stat(world, p: Player, stat: str, n: int) -> dict:
    if stat not in STATS:
        return {"ok": False, "error": "invalid stat"}
    n = max(1, min(int(n), 99))
    room = STAT_MAX - p.base[stat]
    n = min(n, room)
    if n <= 0:
        return {"ok": False, "error": "stat is at its maximum"}
    if p.stat_points < n:
        return {"ok": False, "error": "not enough stat points"}
    p.stat_points -= n
    p.base[stat] += n
    p.recompute_max_hp()
    world.progressed(p)
    world.touch_player(p)
    return {"ok": True, "stat": stat, "value": p.base[stat], "statPoints": p.stat_points}


def craft(world, p: Player, recipe: str) -> dict:
    spec = CRAFT_RECIPES.get(recipe)
    if not spec:
        return {"ok": False, "error": "unknown recipe"}
    need_id, need_qty = spec["needs"]
    if not remove_items(world, p, need_id, need_qty):
        name = CATALOG[need_id].name
        world.owner_line(p, f"{p.name} needs {need_qty} {name} to craft.", kind="system")
        return {"ok": False, "error": f"needs {need_qty} {name}"}
    reward = roll_craft(world.rng)
    add_item(world, p, reward, 1, reason="craft")
    count_meta(world, p, "crafts")
    world.system(f"{p.name} crafted {CATALOG[reward].name}!", world.instance_key_of(p))
    world.fx(p, p.x, p.y, "guard", p.id, {"craft": True, "rewardId": reward})
    return {"ok": True, "itemId": reward}
