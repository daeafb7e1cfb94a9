"""Parties: create, invite codes, join, leave, leader hand-over and summoning an elite.

Error strings are the ones bots of the original server already understand.
"""

from __future__ import annotations

from .constants import PARTY_CODE_TTL_MS, SUMMON_COOLDOWN_MS, SUMMON_COST
from .model import Monster, Party, Player


def create(world, p: Player, party_id: str) -> dict:
    if p.party_id and p.party_id in world.parties:
        return {"ok": True, "partyId": p.party_id}
    party = Party(id=party_id, leader_id=p.id, members=[p.id])
    world.parties[party.id] = party
    p.party_id = party.id
    world.party_changed(party)
    world.progressed(p)
    world.touch_player(p)
    world.system(f"{p.name} formed a party.", world.instance_key_of(p))
    return {"ok": True, "partyId": party.id}


def new_code(world, p: Player, code: str) -> dict:
    if not p.party_id:
        return {"ok": False, "error": "not in party", "status": 400}
    party = world.parties.get(p.party_id)
    if party is None:
        return {"ok": False, "error": "party missing", "status": 404}
    if party.leader_id != p.id:
        return {"ok": False, "error": "not leader", "status": 403}
    if party.code:
        world.party_codes.pop(party.code, None)
    party.code = code.upper()
    party.code_expires_at = world.now + PARTY_CODE_TTL_MS
    world.party_codes[party.code] = party.id
    return {"ok": True, "joinCode": party.code, "expiresAt": party.code_expires_at, "partyId": party.id}


def join(world, p: Player, code: str, teleport: bool) -> dict:
    code = (code or "").strip().upper()
    party_id = world.party_codes.get(code)
    if party_id is None:
        return {"ok": False, "error": "invalid code", "status": 400}
    party = world.parties.get(party_id)
    if party is None:
        return {"ok": False, "error": "party missing", "status": 404}
    if world.now > party.code_expires_at:
        world.party_codes.pop(code, None)
        party.code = None
        return {"ok": False, "error": "expired code", "status": 400}
    if p.party_id == party.id:
        return {"ok": True, "partyId": party.id}
    leave(world, p, quiet=True)
    party.members.append(p.id)
    p.party_id = party.id
    world.party_changed(party)
    world.progressed(p)
    world.touch_player(p)
    world.system(f"{p.name} joined a party.", world.instance_key_of(p))
    leader = world.players.get(party.leader_id)
    if teleport and leader is not None and leader.id != p.id and world.is_active(leader):
        ox, oy = world.rng.uniform(-70, 70), world.rng.uniform(-70, 70)
        world.transfer(p, leader.map_id, leader.x + ox, leader.y + oy, channel=leader.channel)
        world.fx(p, p.x, p.y, "mark", p.id, {"party": True})
    return {"ok": True, "partyId": party.id}


def leave(world, p: Player, quiet: bool = False) -> dict:
    party = world.parties.get(p.party_id) if p.party_id else None
    p.party_id = None
    world.progressed(p)
    world.touch_player(p)
    if party is None:
        return {"ok": True}
    if p.id in party.members:
        party.members.remove(p.id)
    if not party.members:
        world.disband(party)
    else:
        if party.leader_id == p.id:
            party.leader_id = party.members[0]
        world.party_changed(party)
    if not quiet:
        world.system(f"{p.name} left the party.", world.instance_key_of(p))
    return {"ok": True}


def promote(world, p: Player, member_id: str) -> dict:
    party = world.parties.get(p.party_id) if p.party_id else None
    if party is None:
        return {"ok": False, "error": "not in party", "status": 400}
    if party.leader_id != p.id:
        return {"ok": False, "error": "not leader", "status": 403}
    if member_id not in party.members:
        return {"ok": False, "error": "not a member", "status": 400}
    party.leader_id = member_id
    world.party_changed(party)
    return {"ok": True, "leaderId": member_id}


def summon(world, p: Player) -> dict:
    party = world.parties.get(p.party_id) if p.party_id else None
    if party is None:
        return {"ok": False, "error": "not in party", "status": 400}
    if party.leader_id != p.id:
        return {"ok": False, "error": "not leader", "status": 403}
    wait = party.last_summon_at + SUMMON_COOLDOWN_MS - world.now
    if wait > 0:
        return {"ok": False, "error": "summon on cooldown", "retryInMs": wait, "status": 429}
    if p.zenny < SUMMON_COST:
        return {"ok": False, "error": f"needs {SUMMON_COST} zenny", "status": 400}
    p.zenny -= SUMMON_COST
    party.last_summon_at = world.now
    world.progressed(p)
    inst = world.instance_of(p)
    x, y = inst.map.clamp(p.x + 18, p.y)
    elite = Monster(
        id=f"m_elite_{world.new_uid()}", kind="elite", name="King Poring", x=x, y=y, hp=80, max_hp=80,
        atk=6, defense=1, xp=30, color=None, loot="elite", aggressive=False, wander=False,
        respawn_ms=None, home=(x, y), summoned_by=p.id,
    )
    inst.add_monster(elite)
    world.system("An elite appeared: King Poring!", inst.key)
    world.fx(p, x, y, "mark", p.id, {"elite": True})
    return {"ok": True, "monsterId": elite.id}


def expire_codes(world) -> None:
    for code, party_id in list(world.party_codes.items()):
        party = world.parties.get(party_id)
        if party is None or world.now > party.code_expires_at:
            del world.party_codes[code]
            if party is not None and party.code == code:
                party.code = None
