"""Casting and damage: the six spells, hits on monsters, kills, shared XP, and knock-outs.

Players only hurt monsters and monsters only hurt players. A monster that is hit turns on its
attacker; a player at 0 HP is knocked out and wakes in the town plaza a few seconds later.
"""

from __future__ import annotations

import math

from .constants import (
    ARROW_RANGE,
    ARROW_SIDE,
    CAST_COOLDOWN_MS,
    CLEAVE_TARGETS,
    DROP_LIFETIME_MS,
    FIREBALL_RADIUS,
    FLURRY_COOLDOWN_MS,
    FLURRY_REACH,
    GROUND_CAST_RANGE,
    HAIL_RADIUS,
    KNOCKOUT_MS,
    MELEE_REACH,
    PARTY_SHARE_PX,
)
from .items import CATALOG, roll_loot
from .model import Monster, Player
from .progression import count_meta, grant_xp

REGEN_DELAY_MS = 6000
SPELLS = ("signature", "fireball", "hail", "arrow", "cleave", "flurry")


def dist(ax: float, ay: float, bx: float, by: float) -> float:
    return math.hypot(ax - bx, ay - by)


def living_monsters_near(inst, x: float, y: float, radius: float) -> list[tuple[float, Monster]]:
    """Alive monsters within `radius` of (x, y), nearest first (ties broken by id)."""
    found = []
    for eid in inst.monster_grid.near(x, y, radius):
        m = inst.monsters.get(eid)
        if m is not None and m.alive:
            d = dist(x, y, m.x, m.y)
            if d <= radius:
                found.append((d, m))
    found.sort(key=lambda pair: (pair[0], pair[1].id))
    return found


def resolve_spell(p: Player, spell: str | None) -> str:
    name = (spell or "signature").strip().lower()
    if name == "job":
        return p.job_skill.get("spell", "signature")
    return "signature" if name == "attack" else name


def cast(world, p: Player, spell: str | None, x: float | None, y: float | None, source: str) -> dict:
    """Cast a spell. Returns the original server's CastResult shape."""
    if not p.alive:
        return {"ok": False, "reason": "knocked out"}
    name = resolve_spell(p, spell)
    if name not in SPELLS:
        return {"ok": False, "reason": "unknown spell"}
    now = world.now
    if now < p.cooldown_until:
        return {"ok": False, "reason": "cooldown", "retryInMs": p.cooldown_until - now}
    stats = p.stats()
    base = FLURRY_COOLDOWN_MS if name == "flurry" else CAST_COOLDOWN_MS
    p.cooldown_until = now + int(base * (1 - stats["aspd"] * 0.5))
    inst = world.instance_of(p)
    handler = _HANDLERS[name]
    return handler(world, inst, p, stats, x, y, source)


def _crit(world, stats: dict) -> bool:
    return world.rng.random() < stats["crit"]


def _signature(world, inst, p, stats, x, y, source):
    found = living_monsters_near(inst, p.x, p.y, MELEE_REACH)
    if not found:
        world.fx(p, p.x, p.y, "spark", p.id, {"miss": True, "source": source})
        return {"ok": False, "reason": "no target"}
    m = found[0][1]
    crit = _crit(world, stats)
    dmg = hit_monster(world, inst, p, m, stats["atk"] * (2 if crit else 1))
    effect = p.signature.get("effect") or "spark"
    world.fx(p, m.x, m.y, effect, p.id, {"target": m.id, "dmg": dmg, "crit": crit, "source": source})
    return {"ok": True, "target": m.id, "hp": m.hp, "alive": m.alive, "dmg": dmg}


def _ground(world, inst, p, stats, x, y, source, spell, radius, power):
    ax = p.x if x is None else float(x)
    ay = p.y if y is None else float(y)
    if dist(p.x, p.y, ax, ay) > GROUND_CAST_RANGE:
        p.cooldown_until = world.now
        return {"ok": False, "reason": "out of range", "range": GROUND_CAST_RANGE}
    hits = []
    for _, m in living_monsters_near(inst, ax, ay, radius):
        dmg = hit_monster(world, inst, p, m, power + stats["matk"] // 2)
        hits.append({"id": m.id, "dmg": dmg, "hp": m.hp, "alive": m.alive, "killed": not m.alive})
    world.fx(p, ax, ay, spell, p.id, {"radius": radius, "hits": hits, "source": source})
    return {"ok": True, "spell": spell, "hits": len(hits)}


def _fireball(world, inst, p, stats, x, y, source):
    return _ground(world, inst, p, stats, x, y, source, "fireball", FIREBALL_RADIUS, 5)


def _hail(world, inst, p, stats, x, y, source):
    return _ground(world, inst, p, stats, x, y, source, "hail", HAIL_RADIUS, 4)


def _arrow(world, inst, p, stats, x, y, source):
    axis_x = p.facing in ("left", "right")
    sign = -1 if p.facing in ("left", "up") else 1
    best = None
    for _, m in living_monsters_near(inst, p.x, p.y, ARROW_RANGE + ARROW_SIDE):
        ahead = ((m.x - p.x) if axis_x else (m.y - p.y)) * sign
        side = abs((m.y - p.y) if axis_x else (m.x - p.x))
        if 6 < ahead <= ARROW_RANGE and side <= ARROW_SIDE and (best is None or ahead < best[0]):
            best = (ahead, m)
    end_x = p.x + (ARROW_RANGE * sign if axis_x else 0)
    end_y = p.y + (0 if axis_x else ARROW_RANGE * sign)
    geometry = {"fromX": round(p.x), "fromY": round(p.y), "facing": p.facing, "source": source}
    if best is None:
        world.fx(p, end_x, end_y, "arrow", p.id, {"miss": True, "toX": round(end_x), "toY": round(end_y), **geometry})
        return {"ok": False, "reason": "no target"}
    m = best[1]
    crit = _crit(world, stats)
    dmg = hit_monster(world, inst, p, m, max(2, stats["atk"]) * (2 if crit else 1))
    world.fx(p, m.x, m.y, "arrow", p.id,
             {"target": m.id, "dmg": dmg, "crit": crit, "toX": round(m.x), "toY": round(m.y), **geometry})
    return {"ok": True, "target": m.id, "hp": m.hp, "alive": m.alive, "dmg": dmg}


def _cleave(world, inst, p, stats, x, y, source):
    found = living_monsters_near(inst, p.x, p.y, MELEE_REACH)[:CLEAVE_TARGETS]
    if not found:
        world.fx(p, p.x, p.y, "spark", p.id, {"miss": True, "source": source})
        return {"ok": False, "reason": "no target"}
    hits = []
    for _, m in found:
        dmg = hit_monster(world, inst, p, m, 4 + stats["atk"] // 3)
        hits.append({"id": m.id, "dmg": dmg, "hp": m.hp, "alive": m.alive, "killed": not m.alive})
    world.fx(p, p.x, p.y, "cleave", p.id, {"radius": MELEE_REACH, "hits": hits, "facing": p.facing, "source": source})
    return {"ok": True, "spell": "cleave", "hits": len(hits)}


def _flurry(world, inst, p, stats, x, y, source):
    found = living_monsters_near(inst, p.x, p.y, FLURRY_REACH)
    if not found:
        world.fx(p, p.x, p.y, "spark", p.id, {"miss": True, "source": source})
        return {"ok": False, "reason": "no target"}
    m = found[0][1]
    strikes = []
    per = max(2, stats["atk"] // 2)
    for _ in range(3):
        if not m.alive:
            break
        crit = world.rng.random() < min(0.28 + stats["crit"], 0.9)
        dmg = hit_monster(world, inst, p, m, per * (2 if crit else 1))
        strikes.append({"dmg": dmg, "crit": crit, "hp": m.hp, "alive": m.alive, "killed": not m.alive})
        if crit:
            world.fx(p, m.x, m.y, "crit", p.id, {"target": m.id, "dmg": dmg, "source": source})
    world.fx(p, m.x, m.y, "flurry", p.id,
             {"target": m.id, "hits": strikes, "fromX": round(p.x), "fromY": round(p.y), "source": source})
    return {"ok": True, "target": m.id, "hits": len(strikes), "hp": m.hp, "alive": m.alive}


_HANDLERS = {
    "signature": _signature, "fireball": _fireball, "hail": _hail,
    "arrow": _arrow, "cleave": _cleave, "flurry": _flurry,
}


def hit_monster(world, inst, attacker: Player, m: Monster, raw: int) -> int:
    """Apply damage (reduced by the monster's defence, at least 1); a hit monster fights back."""
    dmg = max(1, int(raw) - m.defense)
    m.hp = max(0, m.hp - dmg)
    inst.touch(m.id)
    if m.hp == 0:
        _kill(world, inst, attacker, m)
    elif m.target is None:
        m.target = attacker.id
        m.next_attack = max(m.next_attack, world.now + 600)
    return dmg


def _kill(world, inst, killer: Player, m: Monster) -> None:
    m.alive = False
    m.target = None
    if m.respawn_ms is None:
        inst.remove_monster(m.id)
    else:
        m.respawn_at = world.now + m.respawn_ms
    sharers = [killer]
    party = world.parties.get(killer.party_id) if killer.party_id else None
    if party:
        near = [
            q for q in (inst.players.get(mid) for mid in party.members)
            if q is not None and q.alive and dist(q.x, q.y, m.x, m.y) <= PARTY_SHARE_PX
        ]
        sharers = near if killer in near else [killer, *near]
    for q in sharers:
        count_meta(world, q, "kills")
        grant_xp(world, q, m.xp, heal=True)
        for item_id, qty in roll_loot(m.loot, inst.rng):
            ox, oy = inst.rng.uniform(-8, 8), inst.rng.uniform(-8, 8)
            dx, dy = inst.map.clamp(m.x + ox, m.y + oy)
            d = inst.add_drop(item_id, qty, dx, dy, world.now + DROP_LIFETIME_MS)
            if CATALOG[item_id].rarity in ("rare", "epic"):
                world.fx_at(inst, d.x, d.y, "rare_drop", None, {"itemId": item_id, "rarity": CATALOG[item_id].rarity})
        world.touch_player(q)
    world.system(f"{killer.name} defeated {m.name}! (+{m.xp} XP)", inst.key)
    world.note(killer, "kill", f"Defeated {m.name}. (+{m.xp} XP)", False,
               {"monster": {"id": m.id, "name": m.name, "kind": m.kind}, "xp": m.xp})


def hurt_player(world, inst, m: Monster, p: Player, raw: int) -> int:
    """A monster hits a player: reduced by DEF, at least 1; at 0 HP the player is knocked out."""
    dmg = max(1, raw - p.stats()["def"])
    p.hp = max(0, p.hp - dmg)
    p.last_hurt_at = world.now
    world.progressed(p)
    inst.touch(p.id)
    world.fx_at(inst, p.x, p.y, "hurt", m.id, {"target": p.id, "dmg": dmg})
    if p.hp == 0:
        p.knocked_out_until = world.now + KNOCKOUT_MS
        p.goal = None
        world.system(f"{p.name} was knocked out by {m.name}.", inst.key)
        world.note(p, "knockout", f"Knocked out by {m.name}.", True, {"monster": {"id": m.id, "name": m.name}})
    return dmg


def regenerate(world, inst, p: Player) -> None:
    """Out of combat for REGEN_DELAY_MS, a conscious player heals a twentieth of max HP per call."""
    if p.hp >= p.max_hp or not p.alive or world.now - p.last_hurt_at < REGEN_DELAY_MS:
        return
    p.hp = min(p.max_hp, p.hp + max(1, p.max_hp // 20))
    world.progressed(p)
    inst.touch(p.id)
