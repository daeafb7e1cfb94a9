"""The shapes the bot REST API answers with (the original server's contract plus additions)."""

from __future__ import annotations

from datetime import datetime, timezone

from ..sim.items import CATALOG
from .views import public_player

NEARBY_RADIUS_TILES = 6
NEARBY_PX = NEARBY_RADIUS_TILES * 32


def iso(ms: int | None) -> str | None:
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def bot_player(p, viewer_id: str) -> dict:
    """PublicPlayer; another player's inventory and purse stay private."""
    return public_player(p, private=p.id == viewer_id)


def bot_monster(m) -> dict:
    return {"id": m.id, "kind": m.kind, "name": m.name, "x": round(m.x), "y": round(m.y), "hp": m.hp,
            "maxHp": m.max_hp, "alive": m.alive, "color": m.color}


def bot_drop(d) -> dict:
    item = CATALOG[d.item_id]
    return {"id": d.id, "itemId": d.item_id, "name": item.name, "rarity": item.rarity, "x": round(d.x),
            "y": round(d.y), "qty": d.qty, "expiresAt": d.expires_at}


def bot_chat(line) -> dict:
    return {"id": line.id, "createdAt": iso(line.at), "kind": "system" if line.kind == "system" else "chat",
            "from": {"id": line.from_id, "name": line.from_name}, "text": line.text, "toPlayerId": line.to_id}


def bot_party(world, party) -> dict:
    members = []
    for mid in party.members:
        q = world.players.get(mid)
        if q is not None:
            members.append({"id": q.id, "name": q.name, "level": q.level, "job": q.job, "hp": q.hp,
                            "maxHp": q.max_hp, "mode": q.mode})
    return {"id": party.id, "leaderId": party.leader_id, "members": members}


def bot_board_post(post: dict) -> dict:
    return {"id": post["id"], "createdAt": iso(post.get("createdAt")), "author": post.get("author"),
            "content": post.get("content")}


def hat_view(p) -> dict:
    hat = p.hat or {}
    result = {"job": hat.get("job"), "reasons": hat.get("reasons", []), "signature": hat.get("signature")} if hat else None
    return {
        "submittedAt": iso(hat.get("at")) if hat else None,
        "answers": hat.get("answers") if hat else None,
        "localResult": result if hat.get("source") == "local" else None,
        "botResult": result if hat.get("source") == "bot" else None,
    }


def world_info(inst) -> dict:
    """The `world` part of `/api/bot/world`: the caller's map instance and its portals."""
    return {"width": inst.map.width, "height": inst.map.height, "tileSize": 32, "map": inst.map.id,
            "mapName": inst.map.name, "channel": inst.channel,
            "portals": [{"x": pt.x, "y": pt.y, "to": pt.to_map, "label": pt.label} for pt in inst.map.portals]}


def instance_parties(world, inst) -> list[dict]:
    party_ids = {q.party_id for q in inst.players.values() if q.party_id}
    return [bot_party(world, world.parties[pid]) for pid in sorted(party_ids) if pid in world.parties]


def bot_player_entity(view: dict, is_you: bool) -> dict:
    """One `entities` row for a player, from its PublicPlayer view."""
    return {"kind": "player", "id": view["id"], "name": view["name"], "x": view["x"], "y": view["y"],
            "hp": view["hp"], "maxHp": view["maxHp"], "level": view["level"], "job": view["job"], "isYou": is_you}


def bot_monster_entity(view: dict) -> dict:
    return {"kind": "monster", "monsterKind": view["kind"], **{k: v for k, v in view.items() if k != "kind"}}


def bot_drop_entity(view: dict) -> dict:
    return {"kind": "drop", **view}


def world_snapshot(world, inst, p, chats: list) -> dict:
    """`/api/bot/world`: the caller's map instance, plus top-level `you` and `entities`.

    The reference rendering of the answer; the server serves the same shape from shared parts
    encoded once per sync round (clawtown/engine/snapshots.py).
    """
    players = [bot_player(q, p.id) for q in inst.players.values()]
    monsters = [bot_monster(m) for m in inst.monsters.values()]
    drops = [bot_drop(d) for d in inst.drops.values()]
    you = bot_player(p, p.id)
    snapshot = {
        "world": world_info(inst),
        "you": you,
        "players": players,
        "monsters": monsters,
        "drops": drops,
        "parties": instance_parties(world, inst),
        "board": [bot_board_post(post) for post in world.board[-20:]],
        "chats": [bot_chat(line) for line in chats],
        "hat": hat_view(p),
    }
    entities = ([bot_player_entity(q, q["id"] == p.id) for q in players] + [bot_monster_entity(m) for m in monsters]
                + [bot_drop_entity(d) for d in drops])
    return {"ok": True, "snapshot": snapshot, "you": you, "entities": entities}


def status_view(inst, p, now_iso: str) -> dict:
    def near(x, y):
        return (x - p.x) ** 2 + (y - p.y) ** 2 <= NEARBY_PX * NEARBY_PX

    players = sum(1 for q in inst.players.values() if q.id != p.id and near(q.x, q.y))
    monsters = sum(1 for m in inst.monsters.values() if m.alive and near(m.x, m.y))
    drops = sum(1 for d in inst.drops.values() if near(d.x, d.y))
    you = bot_player(p, p.id)
    return {"ok": True, "time": now_iso, "you": you,
            "nearby": {"players": players, "monsters": monsters, "drops": drops, "radiusTiles": NEARBY_RADIUS_TILES},
            "hp": p.hp, "maxHp": p.max_hp, "level": p.level}
