"""The mutable state of the world: players, monsters, ground drops, parties and board posts.

Players carry a `to_record`/`from_record` pair: the durable shape that the store keeps.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .constants import START_HP, START_STAT_POINTS, STATS
from .hat import JOBS
from .items import CATALOG, EQUIP_SLOTS
from .stats import derived_stats, max_hp_for, xp_required

MODES = ("manual", "agent")
INTERRUPT_LEVELS = ("off", "mentions", "nearby", "all")
SIGNATURE_EFFECTS = ("spark", "blink", "mark", "echo", "guard")


@dataclass(slots=True)
class Player:
    """A character, online or not. Positions are world pixels on `map_id`."""

    id: str
    name: str
    job: str = "novice"
    map_id: str = "town"
    channel: int = 1
    x: float = 480.0
    y: float = 288.0
    facing: str = "down"
    level: int = 1
    xp: int = 0
    stat_points: int = START_STAT_POINTS
    base: dict = field(default_factory=lambda: {s: 1 for s in STATS})
    hp: int = START_HP
    max_hp: int = START_HP
    zenny: int = 0
    inventory: list = field(default_factory=list)
    equipment: dict = field(default_factory=lambda: {s: None for s in EQUIP_SLOTS})
    meta: dict = field(default_factory=lambda: {"kills": 0, "crafts": 0, "pickups": 0})
    achievements: list = field(default_factory=list)
    mode: str = "manual"
    goal: tuple | None = None
    intent: str = ""
    interrupt: str = "all"
    party_id: str | None = None
    job_skill: dict = field(default_factory=lambda: {"name": "Practice Slash", "spell": "signature"})
    signature: dict = field(
        default_factory=lambda: {"name": "Aegis Roar", "tagline": "A spell that feels uniquely yours.", "effect": "spark"}
    )
    lang: str = "en"
    linked_bot: bool = False
    bot_seen_at: int | None = None
    bot_action_at: int | None = None
    thought: str = ""
    thought_at: int | None = None
    event_seq: int = 0
    created_at: int = 0
    session_hash: str | None = None
    avatar_version: int = 0
    private_meta: dict = field(default_factory=dict)
    hat: dict | None = None
    seen_at: int = 0
    # transient (not persisted)
    online: bool = False
    cooldown_until: int = 0
    last_move_at: int = -10_000
    last_chat_at: int = -10_000
    knocked_out_until: int | None = None
    autopilot_next: int = 0
    autopilot_said: str = ""
    autopilot_said_at: int = -10_000
    nearby_seen: dict = field(default_factory=dict)
    nearby_last: int = -10**9
    last_hurt_at: int = -10**9

    # ---- derived ----------------------------------------------------------------------
    def equipped_item_ids(self) -> list[str]:
        ids = []
        for uid in self.equipment.values():
            row = self.find_row(uid) if uid else None
            if row:
                ids.append(row["itemId"])
        return ids

    def stats(self) -> dict:
        return derived_stats(self.job, self.base, self.equipped_item_ids())

    def recompute_max_hp(self) -> None:
        new_max = max_hp_for(self.level, self.base["vit"], self.stats()["hpBonus"])
        if self.hp > 0:  # HP follows max HP both ways (re-equipping HP gear must not heal);
            self.hp = max(1, self.hp + new_max - self.max_hp)  # a knocked-out player stays at 0
        self.max_hp = new_max
        self.hp = min(max(self.hp, 0), self.max_hp)

    @property
    def alive(self) -> bool:
        return self.knocked_out_until is None

    @property
    def xp_to_next(self) -> int:
        return xp_required(self.level)

    # ---- inventory --------------------------------------------------------------------
    def find_row(self, uid: str) -> dict | None:
        for row in self.inventory:
            if row["uid"] == uid:
                return row
        return None

    def find_stack(self, item_id: str) -> dict | None:
        for row in self.inventory:
            if row["itemId"] == item_id:
                return row
        return None

    def count(self, item_id: str) -> int:
        return sum(row["qty"] for row in self.inventory if row["itemId"] == item_id)

    def equipped_slot_of(self, uid: str) -> str | None:
        for slot, equipped in self.equipment.items():
            if equipped == uid:
                return slot
        return None

    # ---- persistence ------------------------------------------------------------------
    def to_record(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "job": self.job,
            "map": self.map_id,
            "channel": self.channel,
            "x": round(self.x, 1),
            "y": round(self.y, 1),
            "facing": self.facing,
            "level": self.level,
            "xp": self.xp,
            "statPoints": self.stat_points,
            "baseStats": dict(self.base),
            "hp": self.hp,
            "maxHp": self.max_hp,
            "zenny": self.zenny,
            "inventory": [dict(r) for r in self.inventory],
            "equipment": dict(self.equipment),
            "meta": dict(self.meta),
            "achievements": list(self.achievements),
            "mode": self.mode,
            "goal": list(self.goal) if self.goal else None,
            "intent": self.intent,
            "interrupt": self.interrupt,
            "partyId": self.party_id,
            "jobSkill": dict(self.job_skill),
            "signatureSpell": dict(self.signature),
            "lang": self.lang,
            "linkedBot": self.linked_bot,
            "thought": self.thought,
            "thoughtAt": self.thought_at,
            "eventSeq": self.event_seq,
            "createdAt": self.created_at,
            "sessionHash": self.session_hash,
            "avatarVersion": self.avatar_version,
            "privateMeta": dict(self.private_meta),
            "hat": self.hat,
            "knockedOut": self.knocked_out_until is not None,
            "seenAt": self.seen_at,
        }

    @classmethod
    def from_record(cls, rec: dict) -> "Player":
        p = cls(id=rec["id"], name=rec["name"])
        p.job = rec.get("job", "novice") if rec.get("job") in JOBS else "novice"
        p.map_id = rec.get("map", "town")
        p.channel = int(rec.get("channel", 1))
        p.x, p.y = float(rec.get("x", 480)), float(rec.get("y", 288))
        p.facing = rec.get("facing", "down")
        p.level, p.xp = int(rec.get("level", 1)), int(rec.get("xp", 0))
        p.stat_points = int(rec.get("statPoints", START_STAT_POINTS))
        p.base = {s: int(rec.get("baseStats", {}).get(s, 1)) for s in STATS}
        p.hp, p.max_hp = int(rec.get("hp", START_HP)), int(rec.get("maxHp", START_HP))
        p.zenny = int(rec.get("zenny", 0))
        p.inventory = [dict(r) for r in rec.get("inventory", []) if r.get("itemId") in CATALOG]
        p.equipment = {s: rec.get("equipment", {}).get(s) for s in EQUIP_SLOTS}
        p.equipment = {s: (uid if uid and p.find_row(uid) else None) for s, uid in p.equipment.items()}
        p.meta = {"kills": 0, "crafts": 0, "pickups": 0, **rec.get("meta", {})}
        p.achievements = list(rec.get("achievements", []))
        p.mode = rec.get("mode", "manual") if rec.get("mode") in MODES else "manual"
        goal = rec.get("goal")
        p.goal = (float(goal[0]), float(goal[1])) if goal else None
        p.intent = rec.get("intent", "")
        p.interrupt = rec.get("interrupt", "all")
        p.party_id = rec.get("partyId")
        p.job_skill = dict(rec.get("jobSkill", p.job_skill))
        p.signature = dict(rec.get("signatureSpell", p.signature))
        p.lang = rec.get("lang", "en")
        p.linked_bot = bool(rec.get("linkedBot", False))
        p.thought, p.thought_at = rec.get("thought", ""), rec.get("thoughtAt")
        p.event_seq = int(rec.get("eventSeq", 0))
        p.created_at = int(rec.get("createdAt", 0))
        p.session_hash = rec.get("sessionHash")
        p.avatar_version = int(rec.get("avatarVersion", 0))
        p.private_meta = dict(rec.get("privateMeta", {}))
        p.hat = rec.get("hat")
        p.seen_at = int(rec.get("seenAt", 0))
        if rec.get("knockedOut"):
            p.hp = p.max_hp
        return p


@dataclass(slots=True)
class Monster:
    """A monster in one map instance. `spawn` is None for summoned monsters (they never respawn)."""

    id: str
    kind: str
    name: str
    x: float
    y: float
    hp: int
    max_hp: int
    atk: int
    defense: int
    xp: int
    color: str | None
    loot: str
    aggressive: bool = False
    wander: bool = True
    respawn_ms: int | None = 6000
    home: tuple = (0.0, 0.0)
    alive: bool = True
    respawn_at: int | None = None
    vx: float = 0.0
    vy: float = 0.0
    next_wander: int = 0
    target: str | None = None
    next_attack: int = 0
    summoned_by: str | None = None


@dataclass(slots=True)
class Drop:
    """An item lying on the ground until someone walks over it or it expires."""

    id: str
    item_id: str
    qty: int
    x: float
    y: float
    expires_at: int


@dataclass(slots=True)
class Party:
    """A party: a leader, members in joining order, an invite code and the summon cooldown."""

    id: str
    leader_id: str
    members: list
    code: str | None = None
    code_expires_at: int = 0
    last_summon_at: int = -10**9

    def to_record(self) -> dict:
        return {"id": self.id, "leaderId": self.leader_id, "members": list(self.members)}

    @classmethod
    def from_record(cls, rec: dict) -> "Party":
        return cls(id=rec["id"], leader_id=rec["leaderId"], members=list(rec["members"]))
