"""H-Mode: the server-side autopilot that plays a character in agent mode.

It hunts the nearest monster in sight, walks to loot, wears better gear and says what it does
in short `[BOT]` lines only its owner sees. It yields while a linked bot has acted recently.
"""

from __future__ import annotations

import math
import zlib

from .combat import cast, living_monsters_near
from .constants import (
    AUTOPILOT_SIGHT,
    AUTOPILOT_SPEECH_MS,
    AUTOPILOT_STEP_MS,
    BOT_YIELD_MS,
    FLURRY_REACH,
    GROUND_CAST_RANGE,
    MELEE_REACH,
)
from .items import CATALOG
from .model import Player
from .movement import facing_for, set_goal
from .progression import auto_equip

LOOT_SIGHT = 220
SPELL_REACH = {
    "signature": MELEE_REACH - 10, "cleave": MELEE_REACH - 10, "flurry": FLURRY_REACH - 8,
    "arrow": 240, "fireball": GROUND_CAST_RANGE - 20, "hail": GROUND_CAST_RANGE - 20,
}
LINES = {
    "en": {"attack": "[BOT] Attacking {0}.", "hunt": "[BOT] Hunting {0}...", "loot": "[BOT] Picking up {0}.",
           "patrol": "[BOT] Patrolling the plaza."},
    "zh": {"attack": "[BOT] 攻擊 {0}。", "hunt": "[BOT] 看到 {0}，靠近準備攻擊。", "loot": "[BOT] 撿起 {0}。",
           "patrol": "[BOT] 巡邏廣場中。"},
}


def should_drive(p: Player, now: int) -> bool:
    if p.mode != "agent" or not p.alive:
        return False
    return not (p.linked_bot and p.bot_action_at is not None and now - p.bot_action_at < BOT_YIELD_MS)


def step(world, p: Player) -> None:
    now = world.now
    if p.autopilot_next == 0:
        # spread autopilots over the step period so they do not all think in the same tick
        p.autopilot_next = now + zlib.crc32(p.id.encode()) % AUTOPILOT_STEP_MS
    if now < p.autopilot_next:
        return
    p.autopilot_next = now + AUTOPILOT_STEP_MS
    inst = world.instance_of(p)
    _wear_best(world, p)
    drop = _nearest_drop(inst, p)
    if drop is not None:
        set_goal(world, p, drop.x, drop.y)
        _say(world, p, "loot", CATALOG[drop.item_id].name)
        return
    found = living_monsters_near(inst, p.x, p.y, AUTOPILOT_SIGHT)
    if not found:
        if p.goal is None:
            cx, cy = (512, 336) if inst.map.id == "town" else inst.map.spawn
            set_goal(world, p, cx + world.rng.uniform(-110, 110), cy + world.rng.uniform(-110, 110))
        _say(world, p, "patrol", "")
        return
    d, m = found[0]
    spell = p.job_skill.get("spell", "signature")
    if d > SPELL_REACH.get(spell, 0) and d <= SPELL_REACH["signature"]:
        spell = "signature"
    if d <= SPELL_REACH.get(spell, 0):
        p.goal = None
        p.facing = facing_for(m.x - p.x, m.y - p.y, p.facing)
        result = cast(world, p, spell, m.x, m.y, "autopilot")
        if result.get("ok") or result.get("reason") == "cooldown":
            _say(world, p, "attack", m.name)
            return
    reach = min(SPELL_REACH.get(spell, MELEE_REACH), SPELL_REACH["signature"])
    if d > 0:
        stop = max(d - reach * 0.6, 0)
        set_goal(world, p, p.x + (m.x - p.x) / d * stop, p.y + (m.y - p.y) / d * stop)
    _say(world, p, "hunt", m.name)


def _nearest_drop(inst, p: Player):
    best = None
    for eid in inst.grid.near(p.x, p.y, LOOT_SIGHT):
        d = inst.drops.get(eid)
        if d is None:
            continue
        dd = math.hypot(d.x - p.x, d.y - p.y)
        if dd <= LOOT_SIGHT and (best is None or (dd, d.id) < best[:2]):
            best = (dd, d.id, d)
    return best[2] if best else None


def _wear_best(world, p: Player) -> None:
    for row in list(p.inventory):
        if CATALOG[row["itemId"]].equippable and not p.equipped_slot_of(row["uid"]):
            auto_equip(world, p, row["uid"], "autopilot")


def _say(world, p: Player, key: str, subject: str) -> None:
    line = LINES.get(p.lang, LINES["en"])[key].format(subject)
    if line == p.autopilot_said and world.now - p.autopilot_said_at < AUTOPILOT_SPEECH_MS * 4:
        return
    if world.now - p.autopilot_said_at < AUTOPILOT_SPEECH_MS:
        return
    p.autopilot_said, p.autopilot_said_at = line, world.now
    world.owner_line(p, line, kind="bot")
