"""Command handlers: what each command does to one player, as small functions of (world, player, command).

World.step dispatches through HANDLERS; every handler returns the command's result dict
(`{"ok": True, ...}` or `{"ok": False, "error": ..., "status": ...}`).
"""

from __future__ import annotations

from . import combat, movement, party, progression, social
from . import commands as c
from .hat import DEFAULT_JOB_SKILLS
from .instance import instance_key
from .items import CATALOG
from .maps import HOME_MAP, MAPS
from .model import INTERRUPT_LEVELS, JOBS, MODES, SIGNATURE_EFFECTS, Monster, Player
from .text import clean_text


def apply_default_skill(p: Player) -> None:
    name, spell = DEFAULT_JOB_SKILLS.get(p.job, DEFAULT_JOB_SKILLS["novice"])
    p.job_skill = {"name": name, "spell": spell}


def _set_mode(world, p: Player, cmd: c.SetMode) -> dict:
    mode = (cmd.mode or "").strip().lower()
    if mode not in MODES:
        return {"ok": False, "error": "invalid mode", "status": 400}
    p.mode = mode
    if mode == "manual":
        p.goal = None
    world.progressed(p)
    world.touch_player(p)
    return {"ok": True, "mode": mode}


def _move(world, p: Player, cmd: c.Move) -> dict:
    if p.mode == "agent":
        p.mode = "manual"
        world.progressed(p)
    moved = movement.step(world, p, cmd.dx, cmd.dy)
    return {"ok": moved}


def _set_goal(world, p: Player, cmd: c.SetGoal) -> dict:
    if not p.alive:
        return {"ok": False, "error": "knocked out", "status": 409}
    gx, gy = movement.set_goal(world, p, cmd.x, cmd.y)
    return {"ok": True, "goal": {"x": gx, "y": gy}}


def _interrupt(world, p: Player, cmd: c.SetInterrupt) -> dict:
    level = (cmd.level or "").strip().lower()
    if level not in INTERRUPT_LEVELS:
        return {"ok": False, "error": "invalid level", "status": 400}
    p.interrupt = level
    world.progressed(p)
    return {"ok": True}


def _apply_hat(world, p: Player, cmd: c.ApplyHat) -> dict:
    if cmd.job not in JOBS:
        return {"ok": False, "error": "invalid job", "status": 400}
    p.job = cmd.job
    apply_default_skill(p)
    sig = cmd.signature or {}
    p.signature = {
        "name": clean_text(sig.get("name", p.signature["name"]), 48) or p.signature["name"],
        "tagline": clean_text(sig.get("tagline", p.signature["tagline"]), 140),
        "effect": sig.get("effect") if sig.get("effect") in SIGNATURE_EFFECTS else p.signature["effect"],
    }
    p.hat = {"answers": cmd.answers, "job": cmd.job, "reasons": list(cmd.reasons), "source": cmd.source,
             "signature": dict(p.signature), "at": world.now}
    p.recompute_max_hp()
    world.progressed(p)
    world.touch_player(p)
    if cmd.source == "bot":
        world.system(f"{p.name}'s fate was refined by their CloudBot.", world.instance_key_of(p))
    return {"ok": True, "job": p.job, "jobSkill": dict(p.job_skill), "signature": dict(p.signature)}


def _set_signature(world, p: Player, cmd: c.SetSignature) -> dict:
    p.signature = {**p.signature, "name": clean_text(cmd.name, 48) or p.signature["name"],
                   "effect": cmd.effect if cmd.effect in SIGNATURE_EFFECTS else "spark"}
    world.progressed(p)
    world.touch_player(p)
    return {"ok": True}


def _set_job_skill(world, p: Player, cmd: c.SetJobSkill) -> dict:
    if cmd.spell not in combat.SPELLS:
        return {"ok": False, "error": "invalid spell", "status": 400}
    p.job_skill = {"name": clean_text(cmd.name, 48) or p.job_skill["name"], "spell": cmd.spell}
    world.progressed(p)
    world.touch_player(p)
    return {"ok": True}


def _change_channel(world, p: Player, cmd: c.ChangeChannel) -> dict:
    target = world.instances.get(instance_key(p.map_id, cmd.channel))
    if target is None:
        return {"ok": False, "error": "no such channel", "status": 404}
    if target.population >= world.instance_cap:
        return {"ok": False, "error": "channel full", "status": 409}
    world.transfer(p, p.map_id, p.x, p.y, channel=cmd.channel)
    return {"ok": True, "channel": p.channel}


def _bot_seen(world, p: Player, cmd: c.BotSeen) -> dict:
    p.bot_seen_at = p.seen_at = world.now
    if cmd.action:
        p.bot_action_at = world.now
    if cmd.link and not p.linked_bot:
        p.linked_bot = True
        world.progressed(p)
        world.touch_player(p)
        world.system(f"{p.name}'s CloudBot is now linked.", world.instance_key_of(p))
    return {"ok": True}


def _disconnect(world, p: Player, cmd) -> dict:
    p.online = False
    p.seen_at = world.now
    world.touch_player(p)
    world.progressed(p)
    return {"ok": True}


def _park(world, p: Player, cmd) -> dict:
    world.park(p)
    return {"ok": True}


def _set_lang(world, p: Player, cmd: c.SetLang) -> dict:
    p.lang = "en" if cmd.lang == "en" else "zh"
    world.progressed(p)
    return {"ok": True}


def _set_avatar_version(world, p: Player, cmd: c.SetAvatarVersion) -> dict:
    p.avatar_version = p.avatar_version + 1 if cmd.version is None else max(0, int(cmd.version))
    world.progressed(p)
    world.touch_player(p)
    return {"ok": True, "avatarVersion": p.avatar_version}


def _teleport(world, p: Player, cmd: c.Teleport) -> dict:
    map_id = cmd.map_id or p.map_id
    if map_id not in MAPS:
        return {"ok": False, "error": "unknown map", "status": 400}
    world.transfer(p, map_id, cmd.x, cmd.y)
    return {"ok": True, "x": round(p.x), "y": round(p.y), "map": p.map_id}


def _grant_item(world, p: Player, cmd: c.GrantItem) -> dict:
    if cmd.item not in CATALOG:
        return {"ok": False, "error": "unknown itemId", "status": 400}
    progression.add_item(world, p, cmd.item, max(1, min(int(cmd.qty), 9999)), reason="grant")
    return {"ok": True}


def spawn_monster(world, p: Player | None, cmd: c.SpawnMonster) -> dict:
    inst = world.instance_of(p) if p is not None else world.instances[instance_key(HOME_MAP, 1)]
    x, y = inst.map.clamp(cmd.x, cmd.y)
    max_hp = max(1, int(cmd.max_hp))
    kind = cmd.kind if cmd.kind in ("slime", "elite", "beast") else "slime"
    old = inst.monsters.get(cmd.monster_id)
    if old is not None:
        inst.remove_monster(old.id)
    m = Monster(
        id=cmd.monster_id, kind=kind, name=clean_text(cmd.name, 24) or "Poring", x=x, y=y,
        hp=min(max(1, int(cmd.hp or max_hp)), max_hp), max_hp=max_hp, atk=1 if kind != "elite" else 6,
        defense=0, xp=30 if kind == "elite" else 8, color=clean_text(cmd.color, 32) or None,
        loot={"slime": "slime", "elite": "elite", "beast": "field"}[kind], wander=False,
        respawn_ms=6000 if cmd.respawn else None, home=(x, y),
    )
    inst.add_monster(m)
    return {"ok": True, "id": m.id}


def _party_code(world, p: Player, cmd: c.PartyCode) -> dict:
    if cmd.party_id and not p.party_id:
        party.create(world, p, cmd.party_id)
    return party.new_code(world, p, cmd.code)


HANDLERS = {
    c.Disconnect: _disconnect,
    c.Park: _park,
    c.Move: _move,
    c.SetGoal: _set_goal,
    c.Cast: lambda w, p, cmd: combat.cast(w, p, cmd.spell, cmd.x, cmd.y, cmd.source),
    c.SetMode: _set_mode,
    c.SetIntent: lambda w, p, cmd: social.set_intent(w, p, cmd.text),
    c.SetInterrupt: _interrupt,
    c.Thought: lambda w, p, cmd: social.thought(w, p, cmd.text),
    c.Chat: lambda w, p, cmd: social.chat(w, p, cmd.text),
    c.Whisper: lambda w, p, cmd: social.whisper(w, p, cmd.to, cmd.text),
    c.PartyChat: lambda w, p, cmd: social.party_chat(w, p, cmd.text),
    c.Emote: lambda w, p, cmd: social.emote(w, p, cmd.emote),
    c.Ping: lambda w, p, cmd: social.ping(w, p),
    c.BoardPost: lambda w, p, cmd: social.board_post(w, p, cmd.content, cmd.post_id),
    c.Equip: lambda w, p, cmd: progression.equip(w, p, cmd.item),
    c.Unequip: lambda w, p, cmd: progression.unequip(w, p, cmd.slot),
    c.AllocStat: lambda w, p, cmd: progression.alloc_stat(w, p, cmd.stat, cmd.n),
    c.Craft: lambda w, p, cmd: progression.craft(w, p, cmd.recipe),
    c.PartyCreate: lambda w, p, cmd: party.create(w, p, cmd.party_id),
    c.PartyCode: _party_code,
    c.PartyJoin: lambda w, p, cmd: party.join(w, p, cmd.code, cmd.teleport),
    c.PartyLeave: lambda w, p, cmd: party.leave(w, p),
    c.PartyPromote: lambda w, p, cmd: party.promote(w, p, cmd.member_id),
    c.PartySummon: lambda w, p, cmd: party.summon(w, p),
    c.SetName: lambda w, p, cmd: w.rename(p, cmd.name),
    c.SetLang: _set_lang,
    c.SetAvatarVersion: _set_avatar_version,
    c.ApplyHat: _apply_hat,
    c.SetSignature: _set_signature,
    c.SetJobSkill: _set_job_skill,
    c.ChangeChannel: _change_channel,
    c.BotSeen: _bot_seen,
    c.Teleport: _teleport,
    c.GrantItem: _grant_item,
    c.SpawnMonster: spawn_monster,
}
