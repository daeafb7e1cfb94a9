"""The world: every map instance, the active players, parties and the board, advanced tick by tick.

`World.step(now, commands)` applies commands in order, runs one tick of rules and returns the
events it produced. It is deterministic: the same seed and the same (now, commands) log give
the same world, which `digest()` can prove.
"""

from __future__ import annotations

import hashlib
import json
import random
import zlib

from . import autopilot, combat, movement, party, social
from . import commands as c
from .constants import DEFAULT_INSTANCE_CAP, TEXT_NAME
from .events import ChatLine, Fx, Note, Relocated, Reply, Result
from .handlers import HANDLERS, apply_default_skill, spawn_monster
from .instance import Instance, instance_key
from .maps import HOME_MAP, MAPS
from .model import (
    JOBS,
    Party,
    Player,
)
from .monsters import step_monsters
from .text import clean_name, clean_text

NEARBY_SLOTS = 20
PARK_CHECK_TICKS = 600
REGEN_TICKS = 20
STANDING_PICKUP_TICKS = 5
IDLE_MS = 10 * 60 * 1000
HMODE_IDLE_MS = 7 * 24 * 3600 * 1000


class World:
    """All state this process simulates. Rule modules receive it and call its helpers."""

    def __init__(self, seed: object = 0, instance_cap: int = DEFAULT_INSTANCE_CAP, now: int = 0,
                 idle_ms: int = IDLE_MS, hmode_idle_ms: int = HMODE_IDLE_MS) -> None:
        self.seed = seed
        self.idle_ms = idle_ms
        self.hmode_idle_ms = hmode_idle_ms
        self.rng = random.Random(f"{seed}:world")
        self.instance_cap = instance_cap
        self.now = now
        self.tick = 0
        self.players: dict[str, Player] = {}
        self.instances: dict[str, Instance] = {}
        self.parties: dict[str, Party] = {}
        self.party_codes: dict[str, str] = {}
        self.board: list[dict] = []
        self.uid_seq = 0
        self.chat_seq = 0
        self._name_index: dict[str, set[str]] = {}
        self._where: dict[str, Instance] = {}
        self._events: list = []
        self._walked: list[Player] = []
        # what the engine persists; it takes and clears these sets
        self.progress_dirty: set[str] = set()
        self.position_dirty: set[str] = set()
        self.parties_dirty: set[str] = set()
        self.parties_deleted: set[str] = set()
        self.board_new: list[dict] = []
        self.parked: dict[str, dict] = {}
        for map_def in MAPS.values():
            self._open_instance(map_def.id, 1)

    # ---- loading ------------------------------------------------------------------------
    def load_parties(self, records: list[dict]) -> None:
        for rec in records:
            self.parties[rec["id"]] = Party.from_record(rec)

    def load_board(self, posts: list[dict]) -> None:
        self.board = list(posts)[-50:]

    # ---- the tick -----------------------------------------------------------------------
    def step(self, now: int, commands: list) -> list:
        self.now = now
        self.tick += 1
        for cmd in commands:
            result = self._apply(cmd)
            if cmd.ref is not None:
                self._events.append(Result(cmd.ref, result))
        for inst in list(self.instances.values()):
            self._step_instance(inst)
        walked, self._walked = self._walked, []
        seen: set[str] = set()
        for p in walked:
            if p.id not in seen and p.id in self.players:
                seen.add(p.id)
                movement.after_move(self, p)
        if self.tick % NEARBY_SLOTS == 0:
            party.expire_codes(self)
        if self.tick % PARK_CHECK_TICKS == 0:
            self._park_idle()
        self._drop_empty_channels()
        out, self._events = self._events, []
        return out

    def apply_now(self, now: int, cmd) -> tuple[dict, list]:
        """Apply one command between ticks, at `now`, without running the rules.

        For callers that answer at once (the bot REST API): the command takes effect as it
        would at the start of the next tick, and its events join that tick's. Returns the
        command's result and the events it produced so far.
        """
        self.now = max(self.now, now)
        result = self._apply(cmd)
        out, self._events = self._events, []
        return result, out

    def _step_instance(self, inst: Instance) -> None:
        now = self.now
        step_monsters(self, inst)
        for p in list(inst.players.values()):
            if p.knocked_out_until is not None:
                if now >= p.knocked_out_until:
                    movement.wake_up(self, p)
                continue
            if autopilot.should_drive(p, now):
                autopilot.step(self, p)
            if p.goal is not None and p.id in inst.players:
                movement.walk_toward_goal(self, p)
            if zlib.crc32(p.id.encode()) % NEARBY_SLOTS == self.tick % NEARBY_SLOTS:
                social.nearby_notes(self, inst, p)
            if self.tick % REGEN_TICKS == 0:
                combat.regenerate(self, inst, p)
        if self.tick % NEARBY_SLOTS == 0:
            for d in [d for d in inst.drops.values() if d.expires_at <= now]:
                inst.remove_drop(d.id)
        if inst.drops and self.tick % STANDING_PICKUP_TICKS == 0:
            movement.pick_up_under_feet(self, inst)

    # ---- command dispatch ---------------------------------------------------------------
    def _apply(self, cmd) -> dict:
        if isinstance(cmd, c.CreatePlayer):
            return self._create(cmd)
        if isinstance(cmd, c.Activate):
            return self._activate(cmd)
        if isinstance(cmd, c.SpawnMonster) and not cmd.player_id:
            return spawn_monster(self, None, cmd)
        if isinstance(cmd, c.Announce):
            self.announce(cmd.text)
            return {"ok": True}
        p = self.players.get(cmd.player_id)
        if p is None:
            return {"ok": False, "error": "player not in world", "status": 404}
        handler = HANDLERS.get(type(cmd))
        if handler is None:
            return {"ok": False, "error": f"unknown command {type(cmd).__name__}", "status": 400}
        return handler(self, p, cmd)

    def _create(self, cmd: c.CreatePlayer) -> dict:
        if cmd.player_id in self.players:
            return {"ok": False, "error": "player exists", "status": 409}
        name = clean_name(cmd.name, TEXT_NAME) or "Anonymous"
        job = cmd.job if cmd.job in JOBS else "novice"
        p = Player(id=cmd.player_id, name=name, job=job, created_at=self.now, session_hash=cmd.session_hash)
        p.private_meta = dict(cmd.private_meta)
        apply_default_skill(p)
        town = MAPS[HOME_MAP]
        p.map_id, (p.x, p.y) = town.id, map(float, town.spawn)
        p.online = cmd.online
        p.seen_at = self.now
        self._enter(p, None)
        self.progressed(p)
        self.system(f"{p.name} entered the town.", self.instance_key_of(p))
        return {"ok": True, "playerId": p.id}

    def _activate(self, cmd: c.Activate) -> dict:
        p = self.players.get(cmd.player_id)
        if p is None:
            record = self.parked.pop(cmd.player_id, None) or cmd.record
            if record is None:
                return {"ok": False, "error": "unknown player", "status": 404}
            p = Player.from_record(record)
            self.progressed(p)
            if p.map_id not in MAPS:
                p.map_id, (p.x, p.y) = HOME_MAP, map(float, MAPS[HOME_MAP].spawn)
            if p.party_id and p.party_id not in self.parties:
                p.party_id = None
            self._enter(p, p.channel)
            if cmd.online:
                self.system(f"{p.name} entered the town.", self.instance_key_of(p))
        p.online = p.online or cmd.online
        if cmd.online:
            p.seen_at = self.now
        self.touch_player(p)
        return {"ok": True, "playerId": p.id}

    def _enter(self, p: Player, channel: int | None) -> None:
        self.players[p.id] = p
        self._index_name(p)
        inst = self._choose_instance(p.map_id, channel)
        p.channel = inst.channel
        inst.add_player(p)
        self._where[p.id] = inst
        self._events.append(Relocated(p.id, None, inst.key))

    def _park_idle(self) -> None:
        """Offline characters leave the world: after idle_ms, or hmode_idle_ms when in H-Mode."""
        for p in list(self.players.values()):
            if p.online:
                continue
            limit = self.hmode_idle_ms if p.mode == "agent" else self.idle_ms
            if self.now - p.seen_at >= limit:
                self.park(p)

    def park(self, p: Player) -> None:
        """Take a character out of the world; its final record waits in `parked` for the store."""
        inst = self.instances.get(self.instance_key_of(p))
        if inst is not None:
            inst.remove_player(p.id)
        self._where.pop(p.id, None)
        self.players.pop(p.id, None)
        self._unindex_name(p)
        self.parked[p.id] = p.to_record()
        self._events.append(Relocated(p.id, inst.key if inst else None, None))

    # ---- instances ----------------------------------------------------------------------
    def _open_instance(self, map_id: str, channel: int) -> Instance:
        inst = Instance(MAPS[map_id], channel, self.seed)
        inst.spawn_initial_monsters(self.now)
        self.instances[inst.key] = inst
        return inst

    def _choose_instance(self, map_id: str, channel: int | None) -> Instance:
        wanted = self.instances.get(instance_key(map_id, channel)) if channel else None
        if wanted is not None and wanted.population < self.instance_cap:
            return wanted
        open_ = [i for i in self.instances.values() if i.map.id == map_id and i.population < self.instance_cap]
        if open_:
            return min(open_, key=lambda i: (i.population, i.channel))
        taken = {i.channel for i in self.instances.values() if i.map.id == map_id}
        return self._open_instance(map_id, min(set(range(1, len(taken) + 2)) - taken))

    def _drop_empty_channels(self) -> None:
        for key, inst in list(self.instances.items()):
            if inst.channel > 1 and not inst.players:
                del self.instances[key]

    def instance_of(self, p: Player) -> Instance:
        inst = self._where.get(p.id)
        return inst if inst is not None else self.instances[instance_key(p.map_id, p.channel)]

    def instance_key_of(self, p: Player) -> str:
        inst = self._where.get(p.id)
        return inst.key if inst is not None else instance_key(p.map_id, p.channel)

    def is_active(self, p: Player) -> bool:
        return p.id in self.players

    def transfer(self, p: Player, map_id: str, x: float, y: float, channel: int | None = None) -> None:
        """Move a player to another place, possibly another map or channel."""
        old = self.instance_of(p)
        target = old if (map_id == old.map.id and channel in (None, old.channel)) else None
        p.goal = None
        if target is not None:
            movement.place(self, p, x, y)
            return
        old.remove_player(p.id)
        p.map_id = map_id
        p.x, p.y = MAPS[map_id].clamp(x, y)
        inst = self._choose_instance(map_id, channel)
        p.channel = inst.channel
        inst.add_player(p)
        self._where[p.id] = inst
        self.walked(p)
        self.progressed(p)
        self._events.append(Relocated(p.id, old.key, inst.key))

    # ---- helpers the rule modules call --------------------------------------------------
    def new_uid(self) -> str:
        self.uid_seq += 1
        return f"{self.rng.getrandbits(40):010x}{self.uid_seq:x}"

    def progressed(self, p: Player) -> None:
        self.progress_dirty.add(p.id)

    def walked(self, p: Player) -> None:
        self.position_dirty.add(p.id)
        self._walked.append(p)

    def touch_player(self, p: Player) -> None:
        inst = self.instances.get(self.instance_key_of(p))
        if inst is not None and p.id in inst.players:
            inst.touch(p.id)

    def party_changed(self, pt: Party) -> None:
        self.parties_dirty.add(pt.id)
        for mid in pt.members:
            member = self.players.get(mid)
            if member is not None:
                self.touch_player(member)

    def disband(self, pt: Party) -> None:
        self.parties.pop(pt.id, None)
        if pt.code:
            self.party_codes.pop(pt.code, None)
        self.parties_dirty.discard(pt.id)
        self.parties_deleted.add(pt.id)

    def board_changed(self, post: dict) -> None:
        self.board_new.append(post)

    def note(self, p: Player, kind: str, text: str, important: bool = False, data: dict | None = None) -> None:
        p.event_seq += 1
        self.progressed(p)
        self._events.append(Note(p.id, p.event_seq, self.now, kind, text[:220], important, data))

    def fx(self, p: Player, x: float, y: float, type_: str, by: str | None, payload: dict) -> None:
        self.fx_at(self.instance_of(p), x, y, type_, by, payload)

    def fx_at(self, inst: Instance, x: float, y: float, type_: str, by: str | None, payload: dict) -> None:
        self._events.append(Fx(inst.key, round(x), round(y), type_, by, payload, inst.next_fx_id()))

    def _chat(self, line: ChatLine) -> None:
        self.chat_seq += 1
        line.id, line.at = f"c{self.chat_seq}", self.now
        self._events.append(line)

    def say(self, p: Player, text: str, scope: str, to_id: str | None = None, party_id: str | None = None) -> None:
        self._chat(ChatLine(scope, text, p.id, p.name, "chat", self.instance_key_of(p), to_id, party_id))

    def system(self, text: str, instance: str | None) -> None:
        self._chat(ChatLine("local" if instance else "global", text, "system", "Town", "system", instance))

    def owner_line(self, p: Player, text: str, kind: str = "bot") -> None:
        self._chat(ChatLine("owner", text, p.id if kind == "bot" else "system", p.name if kind == "bot" else "Town",
                            kind, self.instance_key_of(p), p.id))

    def reply(self, p: Player, type_: str, payload: dict) -> None:
        self._events.append(Reply(p.id, type_, payload))

    def announce(self, text: str) -> None:
        self.system(clean_text(text, 280), None)

    # ---- names --------------------------------------------------------------------------
    @staticmethod
    def _first_word(name_key: str) -> str:
        return name_key.split(" ", 1)[0]

    def _index_name(self, p: Player) -> None:
        self._name_index.setdefault(self._first_word(p.name.lower()), set()).add(p.id)

    def _unindex_name(self, p: Player) -> None:
        bucket = self._name_index.get(self._first_word(p.name.lower()))
        if bucket:
            bucket.discard(p.id)

    def players_named_prefix(self, following: str) -> list[Player]:
        """Active players whose lower-cased name begins `following` (the text after an '@')."""
        if not following or following[0] == " ":
            return []
        word = following.split(" ", 1)[0]
        out = []
        for key in dict.fromkeys((word, word.rstrip(".,!?:;)"))):  # ordered, unlike a set
            for pid in sorted(self._name_index.get(key, ())):
                q = self.players.get(pid)
                if q is not None and len(q.name) >= 2 and following.startswith(q.name.lower()):
                    out.append(q)
        return out

    def find_player(self, who: str) -> Player | None:
        if who in self.players:
            return self.players[who]
        key = (who or "").strip().lower()
        for pid in sorted(self._name_index.get(self._first_word(key), ())):
            q = self.players.get(pid)
            if q is not None and q.name.lower() == key:
                return q
        return None

    def rename(self, p: Player, name: str) -> dict:
        name = clean_name(name, TEXT_NAME)
        if not name:
            return {"ok": False, "error": "name required", "status": 400}
        self._unindex_name(p)
        p.name = name
        self._index_name(p)
        self.progressed(p)
        self.touch_player(p)
        return {"ok": True, "name": name}

    # ---- determinism --------------------------------------------------------------------
    def snapshot(self) -> dict:
        return {
            "tick": self.tick,
            "players": {pid: self.players[pid].to_record() for pid in sorted(self.players)},
            "instances": {
                key: {
                    "monsters": [[m.id, round(m.x, 3), round(m.y, 3), m.hp, m.alive] for m in inst.monsters.values()],
                    "drops": [[d.id, d.item_id, d.qty, round(d.x, 3), round(d.y, 3)] for d in inst.drops.values()],
                }
                for key, inst in sorted(self.instances.items())
            },
            "parties": {pid: self.parties[pid].to_record() for pid in sorted(self.parties)},
            "board": list(self.board),
        }

    def digest(self) -> str:
        return hashlib.sha256(json.dumps(self.snapshot(), sort_keys=True).encode()).hexdigest()
