"""Views of world objects as clients see them.

`entity_view` is the compact public shape synced over the WebSocket; `self_view` is what a
player sees of itself; `public_player` is the original server's PublicPlayer (REST contract).
"""

from __future__ import annotations

from ..sim.events import ChatLine
from ..sim.items import CATALOG, EQUIP_SLOTS
from ..sim.model import Drop, Monster, Player


def player_entity(p: Player) -> dict:
    return {
        "id": p.id, "k": "p", "name": p.name, "x": round(p.x), "y": round(p.y), "f": p.facing,
        "hp": p.hp, "maxHp": p.max_hp, "lv": p.level, "job": p.job, "mode": p.mode, "intent": p.intent,
        "party": p.party_id, "bot": p.linked_bot, "thought": p.thought, "thoughtAt": p.thought_at,
        "ko": p.knocked_out_until is not None, "av": p.avatar_version, "online": p.online,
    }


def monster_entity(m: Monster) -> dict:
    return {
        "id": m.id, "k": "m", "kind": m.kind, "name": m.name, "x": round(m.x), "y": round(m.y),
        "hp": m.hp, "maxHp": m.max_hp, "alive": m.alive, "color": m.color,
    }


def drop_entity(d: Drop) -> dict:
    item = CATALOG[d.item_id]
    return {"id": d.id, "k": "d", "item": d.item_id, "name": item.name, "rarity": item.rarity,
            "x": round(d.x), "y": round(d.y), "qty": d.qty, "expiresAt": d.expires_at}


def entity_view(entity) -> dict:
    if isinstance(entity, Player):
        return player_entity(entity)
    if isinstance(entity, Monster):
        return monster_entity(entity)
    return drop_entity(entity)


def inventory_rows(p: Player, limit: int = 200) -> list[dict]:
    rows = []
    for row in p.inventory[:limit]:
        item = CATALOG[row["itemId"]]
        rows.append({
            "uid": row["uid"], "itemId": item.id, "name": item.name, "slot": item.slot, "rarity": item.rarity,
            "qty": row["qty"], "stats": dict(item.stats), "equipped": p.equipped_slot_of(row["uid"]) is not None,
        })
    return rows


def equipment_ids(p: Player) -> dict:
    out = {}
    for slot in EQUIP_SLOTS:
        row = p.find_row(p.equipment.get(slot)) if p.equipment.get(slot) else None
        out[slot] = row["itemId"] if row else None
    return out


def self_view(p: Player) -> dict:
    """Everything a player may know about itself (private: inventory, stats, zenny...)."""
    stats = p.stats()
    return {
        "id": p.id, "name": p.name, "job": p.job, "level": p.level, "xp": p.xp, "xpToNext": p.xp_to_next,
        "hp": p.hp, "maxHp": p.max_hp, "statPoints": p.stat_points, "baseStats": dict(p.base),
        "stats": stats, "zenny": p.zenny, "inventory": inventory_rows(p), "equipment": equipment_ids(p),
        "meta": {k: p.meta.get(k, 0) for k in ("kills", "crafts", "pickups")}, "achievements": list(p.achievements),
        "mode": p.mode, "intent": p.intent, "interrupt": p.interrupt, "partyId": p.party_id,
        "jobSkill": dict(p.job_skill), "signatureSpell": dict(p.signature), "lang": p.lang,
        "linkedBot": p.linked_bot, "bot": {"lastSeenAt": p.bot_seen_at, "lastActionAt": p.bot_action_at},
        "map": p.map_id, "channel": p.channel, "x": round(p.x), "y": round(p.y),
        "facing": p.facing, "cooldownUntil": p.cooldown_until, "knockedOutUntil": p.knocked_out_until,
        "goal": {"x": round(p.goal[0]), "y": round(p.goal[1])} if p.goal else None,
        "thought": p.thought, "avatarVersion": p.avatar_version,
    }


def public_player(p: Player, private: bool = True) -> dict:
    """The original server's PublicPlayer shape (bots depend on these field names).

    `private=False` is the shape other players see: an empty inventory and no purse.
    """
    stats = p.stats()
    view = {
        "id": p.id, "name": p.name, "avatarVersion": p.avatar_version, "x": round(p.x), "y": round(p.y),
        "facing": p.facing, "mode": p.mode, "intent": p.intent[:140], "interrupt": p.interrupt, "hp": p.hp,
        "maxHp": p.max_hp, "level": p.level, "xp": p.xp, "xpToNext": p.xp_to_next, "statPoints": p.stat_points,
        "baseStats": dict(p.base),
        "stats": {"atk": stats["atk"], "def": stats["def"], "crit": stats["crit"], "aspd": stats["aspd"],
                  "matk": stats["matk"]},
        "meta": {k: p.meta.get(k, 0) for k in ("kills", "crafts", "pickups")}, "partyId": p.party_id,
        "job": p.job, "equipment": equipment_ids(p),
        "inventory": [],
        "jobSkill": dict(p.job_skill), "signatureSpell": dict(p.signature), "linkedBot": p.linked_bot,
        "bot": {"lastSeenAt": p.bot_seen_at, "lastActionAt": p.bot_action_at, "thought": p.thought,
                "thoughtAt": p.thought_at},
        "map": p.map_id, "channel": p.channel, "online": p.online, "achievements": list(p.achievements),
        "knockedOut": p.knocked_out_until is not None,
    }
    if private:
        view["zenny"] = p.zenny
        view["inventory"] = [{k: r[k] for k in ("itemId", "name", "slot", "rarity", "qty", "stats")}
                             for r in inventory_rows(p, 80)]
    return view


def chat_view(line: ChatLine) -> dict:
    return {"id": line.id, "at": line.at, "kind": line.kind, "scope": line.scope,
            "from": {"id": line.from_id, "name": line.from_name}, "text": line.text, "toPlayerId": line.to_id}


def party_view(world, party_id: str | None) -> dict | None:
    party = world.parties.get(party_id) if party_id else None
    if party is None:
        return None
    members = []
    for mid in party.members:
        q = world.players.get(mid)
        if q is not None:
            members.append({"id": q.id, "name": q.name, "level": q.level, "job": q.job, "hp": q.hp,
                            "maxHp": q.max_hp, "mode": q.mode, "map": q.map_id, "channel": q.channel,
                            "online": q.online})
        else:
            members.append({"id": mid, "online": False})
    return {"id": party.id, "leaderId": party.leader_id, "members": members}
