"""Shared parts of `GET /api/bot/world`, encoded once per sync round for the instances bots read.

A world answer is the caller's map instance (every player's public view, monsters, drops,
parties, board) plus a few parts that belong to the caller alone: `you`, its own row in
`players` (with inventory and purse), `isYou` in `entities`, its chats and its hat. Rendering
the whole answer per request cost about 3.7 ms at 150 players. Here the shared part of every
"hot" instance (read by a bot within HOT_S) is rendered and encoded once per sync round, when
the round builds its batch, and becomes servable once that batch is committed: an answer never
shows what a crash could still undo. A request splices its own parts into those bytes.
"""

from __future__ import annotations

import orjson

from ..wire.bot_views import (
    bot_board_post,
    bot_chat,
    bot_drop,
    bot_drop_entity,
    bot_monster,
    bot_monster_entity,
    bot_player,
    bot_player_entity,
    hat_view,
    instance_parties,
    world_info,
)
from ..wire.views import public_player

HOT_S = 3.0
CHAT_CACHE_MAX = 4096


class Spliced:
    """An encoded JSON array whose items can be looked up by key and swapped for one reader."""

    __slots__ = ("joined", "spans")

    def __init__(self, items: list[tuple[str | None, bytes]]) -> None:
        parts: list[bytes] = []
        spans: dict[str, tuple[int, int]] = {}
        pos = 0
        for key, chunk in items:
            if parts:
                parts.append(b",")
                pos += 1
            if key is not None:
                spans[key] = (pos, pos + len(chunk))
            parts.append(chunk)
            pos += len(chunk)
        self.joined = b"".join(parts)
        self.spans = spans

    def with_item(self, key: str, chunk: bytes) -> orjson.Fragment:
        """The array with the item under `key` replaced by `chunk` (appended when absent)."""
        span = self.spans.get(key)
        if span is not None:
            start, end = span
            return orjson.Fragment(b"".join((b"[", self.joined[:start], chunk, self.joined[end:], b"]")))
        if not self.joined:
            return orjson.Fragment(b"[" + chunk + b"]")
        return orjson.Fragment(b"".join((b"[", self.joined, b",", chunk, b"]")))


class SharedWorld:
    """One instance's shared world parts, encoded."""

    __slots__ = ("world", "players", "monsters", "drops", "parties", "board", "entities")

    def __init__(self, world, inst) -> None:
        dumps = orjson.dumps
        views = [public_player(q, private=False) for q in inst.players.values()]
        monsters = [bot_monster(m) for m in inst.monsters.values()]
        drops = [bot_drop(d) for d in inst.drops.values()]
        self.world = orjson.Fragment(dumps(world_info(inst)))
        self.players = Spliced([(v["id"], dumps(v)) for v in views])
        self.monsters = orjson.Fragment(dumps(monsters))
        self.drops = orjson.Fragment(dumps(drops))
        self.parties = orjson.Fragment(dumps(instance_parties(world, inst)))
        self.board = orjson.Fragment(dumps([bot_board_post(post) for post in world.board[-20:]]))
        self.entities = Spliced(
            [(v["id"], dumps(bot_player_entity(v, False))) for v in views]
            + [(None, dumps(bot_monster_entity(m))) for m in monsters]
            + [(None, dumps(bot_drop_entity(d))) for d in drops]
        )

    def answer(self, p, chats: list[bytes]) -> dict:
        """The caller's `/api/bot/world` body: these shared parts with its own spliced in."""
        you_view = bot_player(p, p.id)
        you_bytes = orjson.dumps(you_view)
        you = orjson.Fragment(you_bytes)
        you_entity = orjson.dumps(bot_player_entity(you_view, True))
        snapshot = {
            "world": self.world,
            "you": you,
            "players": self.players.with_item(p.id, you_bytes),
            "monsters": self.monsters,
            "drops": self.drops,
            "parties": self.parties,
            "board": self.board,
            "chats": orjson.Fragment(b"[" + b",".join(chats) + b"]"),
            "hat": hat_view(p),
        }
        return {"ok": True, "snapshot": snapshot, "you": you,
                "entities": self.entities.with_item(p.id, you_entity)}


class WorldSnapshots:
    """Per instance: the shared parts of the last committed round, and of the round being committed."""

    def __init__(self, clock, hot_s: float = HOT_S) -> None:
        self.clock = clock
        self.hot_s = hot_s
        self.read_at: dict[str, float] = {}
        self.current: dict[str, SharedWorld] = {}
        self.pending: dict[str, SharedWorld] = {}
        self.renders = 0
        self._chats: dict[str, bytes] = {}

    def committed(self, inst_key: str) -> SharedWorld | None:
        """The shared parts a reader may be shown now (None until a round has rendered and committed them)."""
        self.read_at[inst_key] = self.clock.seconds()
        return self.current.get(inst_key)

    def fresh(self, world, inst) -> SharedWorld:
        """This round's shared parts of `inst` (rendered now if the round has not yet): answered after its commit."""
        self.read_at[inst.key] = self.clock.seconds()
        shared = self.pending.get(inst.key)
        if shared is None:
            shared = self.pending[inst.key] = self._render(world, inst)
        return shared

    def render_round(self, world) -> None:
        """Called while a round builds its batch: render every hot instance that still exists."""
        cold_before = self.clock.seconds() - self.hot_s
        for key, at in list(self.read_at.items()):
            inst = world.instances.get(key)
            if at < cold_before or inst is None:
                del self.read_at[key]
                self.current.pop(key, None)
            elif key not in self.pending:
                self.pending[key] = self._render(world, inst)

    def promote(self) -> None:
        """The round's batch is on disk: its renders are what readers get from now on."""
        if self.pending:
            self.current.update(self.pending)
            self.pending = {}

    def forget(self) -> None:
        """The world was replaced (test-mode reset)."""
        self.read_at, self.current, self.pending, self._chats = {}, {}, {}, {}

    def chat_chunks(self, lines) -> list[bytes]:
        """Encoded chat lines (lines never change, so each is encoded once)."""
        cache = self._chats
        if len(cache) > CHAT_CACHE_MAX:
            cache.clear()
        out = []
        for line in lines:
            chunk = cache.get(line.id)
            if chunk is None:
                chunk = cache[line.id] = orjson.dumps(bot_chat(line))
            out.append(chunk)
        return out

    def _render(self, world, inst) -> SharedWorld:
        self.renders += 1
        return SharedWorld(world, inst)
