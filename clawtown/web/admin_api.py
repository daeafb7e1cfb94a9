"""The admin API under /api/admin/ (Bearer admin token): live actions on a running server.

The admin token is derived from the server key (clawtown.ops.admin_token), so the server never
stores it and the CLI derives the same one from `<data-dir>/server.key`. A wrong or missing
token is a 401; an address that keeps failing is refused with 429 for a while, before its token
is even looked at.

Routes: POST announce, POST kick, POST forget-tokens, GET status, GET online.
"""

from __future__ import annotations

import hmac
from datetime import UTC, datetime

from klein import Klein

from ..engine import audit
from ..engine.game import Busy
from ..engine.ratelimit import Rule
from ..ops.admin_token import derive_admin_token
from ..sim import commands as c
from ..sim.text import clean_text
from .bot_api import bearer
from .jsonapi import (
    ApiError,
    client_address,
    install_error_handlers,
    json_response,
    read_json,
)
from .requestlog import request_id_of

CLOSE_KICKED = 4003
MAX_ANNOUNCE = 280
BOT_ONLINE_MS = 60_000
"""A player without a socket counts as online while its bot called the API within this time."""
FAILURE_RULE = Rule(6000, 10)
"""Failed admin authentications per client address: 10 at once, then one every 6 s."""
MAX_BLOCKED = 10_000


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


class AdminApi:
    app = Klein()
    install_error_handlers(app)

    def __init__(self, game, sessions, access, sync, limiter, clock, server=None, tick=None) -> None:
        self.game = game
        self.sessions = sessions
        self.access = access
        self.sync = sync
        self.limiter = limiter
        self.clock = clock
        self.server = server
        self.tick = tick
        self._token: tuple[bytes, str] | None = None
        self._blocked: dict[str, float] = {}

    # ---- authentication ----------------------------------------------------------------
    def _expected(self) -> str | None:
        key = self.access.server_key
        if key is None:
            return None
        if self._token is None or self._token[0] != key:
            self._token = (key, derive_admin_token(key))
        return self._token[1]

    def _authorize(self, request) -> None:
        address = client_address(request)
        now = self.clock.seconds()
        until = self._blocked.get(address)
        if until is not None:
            if until > now:
                raise ApiError(429, "too many failed admin logins", retryInMs=max(50, int((until - now) * 1000)))
            del self._blocked[address]
        expected = self._expected()
        if expected is None:
            raise ApiError(503, "server is starting, try again", retryInMs=500)
        given = bearer(request) or ""
        if hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("ascii")):
            return
        wait = self.limiter.hit(("admin-fail", address), FAILURE_RULE)
        if wait:
            if len(self._blocked) >= MAX_BLOCKED:
                self._blocked = {a: t for a, t in self._blocked.items() if t > now}
            self._blocked[address] = now + wait / 1000.0
            raise ApiError(429, "too many failed admin logins", retryInMs=max(50, wait))
        raise ApiError(401, "bad admin token")

    # ---- actions -----------------------------------------------------------------------
    @app.route("/announce", methods=["POST"])
    async def announce(self, request):
        """A global system chat line to everyone online (and to bots reading /world)."""
        self._authorize(request)
        text = read_json(request).get("text")
        if not isinstance(text, str) or not text.strip():
            raise ApiError(400, "text required")
        if len(text) > MAX_ANNOUNCE:
            raise ApiError(400, f"text too long (at most {MAX_ANNOUNCE} characters)")
        text = clean_text(text, MAX_ANNOUNCE)
        if not text:
            raise ApiError(400, "text required")
        try:
            await self.game.request(lambda ref: c.Announce(player_id="", text=text, ref=ref))
        except Busy:
            raise ApiError(503, "server busy, try again", retryInMs=200) from None
        await self._audit(request, audit.ANNOUNCE, None, {"text": text})
        return json_response(request, {"ok": True, "text": text, "connections": len(self.sessions)})

    @app.route("/kick", methods=["POST"])
    async def kick(self, request):
        """Close every socket of a player (close code 4003 "kicked"); 404 when it has none."""
        self._authorize(request)
        who = read_json(request).get("player")
        if not isinstance(who, str) or not who.strip() or len(who) > 200:
            raise ApiError(400, "player required (id or name)")
        player_id, name = self._resolve_online(who.strip())
        conns = list(self.sessions.of(player_id))
        for conn in conns:
            conn.sender.sendClose(CLOSE_KICKED, "kicked")
        await self._audit(request, audit.KICK, player_id, {"name": name, "closed": len(conns)})
        return json_response(request, {"ok": True, "playerId": player_id, "name": name, "closed": len(conns)})

    def _resolve_online(self, who: str) -> tuple[str, str]:
        world = self.game.world
        if self.sessions.online(who):
            p = world.players.get(who)
            return who, p.name if p is not None else who
        key = who.lower()
        matches = sorted({pid for pid in self.sessions.by_player
                          if (p := world.players.get(pid)) is not None and p.name.lower() == key})
        if not matches:
            raise ApiError(404, "player not online")
        if len(matches) > 1:
            raise ApiError(409, f"{len(matches)} players online are named {who!r}; kick by id",
                           playerIds=matches)
        return matches[0], world.players[matches[0]].name

    @app.route("/forget-tokens", methods=["POST"])
    async def forget_tokens(self, request):
        """Drop the cached bot tokens of a player, so a revocation in the store acts at once."""
        self._authorize(request)
        player_id = read_json(request).get("playerId")
        if not isinstance(player_id, str) or not player_id.strip() or len(player_id) > 200:
            raise ApiError(400, "playerId required")
        self.access.forget_tokens_of(player_id.strip())
        await self._audit(request, audit.FORGET_TOKENS, player_id.strip())
        return json_response(request, {"ok": True, "playerId": player_id.strip()})

    async def _audit(self, request, action: str, subject: str | None, detail: dict | None = None) -> None:
        await self.access.audit.record(audit.ADMIN_API, action, subject, detail, request_id_of(request))

    # ---- reads -------------------------------------------------------------------------
    @app.route("/status", methods=["GET"])
    def status(self, request):
        self._authorize(request)
        game, world = self.game, self.game.world
        online = self._online_ids()
        per_instance: dict[str, int] = {}
        for pid in online:
            p = world.players.get(pid)
            if p is not None:
                key = world.instance_key_of(p)
                per_instance[key] = per_instance.get(key, 0) + 1
        instances = [
            {"instance": inst.key, "map": inst.map.id, "channel": inst.channel,
             "online": per_instance.get(inst.key, 0), "population": inst.population}
            for inst in sorted(world.instances.values(), key=lambda i: (i.map.id, i.channel))
        ]
        tick_ms = list(game.tick_ms)
        body = {
            "ok": True,
            "time": datetime.fromtimestamp(self.clock.seconds(), tz=UTC).isoformat().replace("+00:00", "Z"),
            "ready": bool(getattr(self.server, "ready", True)),
            "tickLagS": round(self.tick.lag_seconds(), 4) if self.tick is not None else 0.0,
            "ticks": game.ticks,
            "tickMs": {"p50": round(percentile(tick_ms, 0.50), 3), "p99": round(percentile(tick_ms, 0.99), 3)},
            "storeLagMs": round(self.sync.store_lag_ms(), 1),
            "commitMs": round(self.sync.last_commit_ms, 2),
            "storeOk": self.sync.failing_since is None,
            "commitFailures": self.sync.commit_failures,
            "playersOnline": len(online),
            "playersInWorld": len(world.players),
            "instances": instances,
            "connections": len(self.sessions),
            "inbox": {"length": len(game.inbox), "drops": game.inbox.dropped},
        }
        return json_response(request, body)

    @app.route("/online", methods=["GET"])
    def online(self, request):
        """Players with a live socket or a bot that called lately: [{id, name, map, channel, level}]."""
        self._authorize(request)
        world = self.game.world
        rows = []
        for pid in self._online_ids():
            p = world.players.get(pid)
            if p is None:
                continue
            rows.append({"id": p.id, "name": p.name, "map": p.map_id, "channel": p.channel, "level": p.level,
                         "sockets": len(self.sessions.of(pid)), "bot": self._bot_active(p)})
        rows.sort(key=lambda r: (r["name"].lower(), r["id"]))
        return json_response(request, {"ok": True, "players": rows})

    def _bot_active(self, p) -> bool:
        return p.bot_seen_at is not None and self.game.now_ms() - p.bot_seen_at <= BOT_ONLINE_MS

    def _online_ids(self) -> list[str]:
        world = self.game.world
        ids = set(self.sessions.by_player)
        ids.update(p.id for p in world.players.values() if self._bot_active(p))
        return sorted(ids)
