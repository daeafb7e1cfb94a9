"""The bot REST API under /api/bot/ (Bearer bot token): the original server's contract, kept.

Reads come from the in-memory world; writes are queued as commands and answered after the
tick that applied them is committed. Every route is rate-limited per token (429 with
`retryInMs`), counts as "seen" or "action" for the H-Mode hand-off, and only ever reads or acts
on the token's own player. Mutating routes accept an optional `requestId` for safe retries.
"""

from __future__ import annotations

import math
from urllib.parse import parse_qs

from klein import Klein
from twisted.internet.defer import ensureDeferred

from ..engine.bots import AccessError
from ..engine.game import Busy
from ..engine.images import RenderBusy
from ..engine.ratelimit import Rule
from ..sim import commands as c
from ..sim.hat import JOBS
from ..sim.text import clean_name, clean_text
from ..wire.bot_views import bot_player, iso, status_view, world_snapshot
from .baseurl import ws_url
from .jsonapi import (
    ApiError,
    client_address,
    install_error_handlers,
    json_response,
    read_json,
)
from .requestlog import request_id_of, tag_player

RULES = {
    "me": Rule(250, 10), "status": Rule(250, 6), "world": Rule(250, 6), "minimap": Rule(1800, 1),
    "map": Rule(2400, 1), "mode": Rule(700, 2), "goal": Rule(220, 6), "intent": Rule(500, 3),
    "chat": Rule(1200, 2), "thought": Rule(2500, 2), "events": Rule(700, 3), "cast": Rule(220, 6),
    "interrupt": Rule(500, 4), "hat": Rule(1000, 3), "party": Rule(500, 4),
}
"""Per-token rate limits: one token every `interval_ms`, at most `burst` at once (original values)."""
ADDRESS_RULES = {"link": Rule(2000, 10), "spawn": Rule(20_000, 3)}
"""Per client address limits of the routes that need no token (guessing codes, minting players)."""


#: While the game tick runs this late, the reactor is saturated: bot calls are refused (503).
SHED_TICK_LAG_S = 0.2
SHED_RETRY_MS = 1000


def bearer(request) -> str | None:
    header = (request.getHeader(b"authorization") or "")
    if isinstance(header, bytes):
        header = header.decode("latin-1")
    parts = header.strip().split(None, 1)
    if len(parts) == 2 and parts[0].lower() == "bearer":
        return parts[1].strip()
    return None


def finite(body: dict, key: str) -> float | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ApiError(400, "invalid coords")
    return float(value)


def request_id(body: dict) -> str | None:
    rid = body.get("requestId")
    if rid is None:
        return None
    if not isinstance(rid, str) or not 1 <= len(rid) <= 128:
        raise ApiError(400, "requestId must be a string of 1-128 characters")
    return rid


def query(request) -> dict:
    raw = request.uri.split(b"?", 1)[1] if b"?" in request.uri else b""
    return {k: v[-1] for k, v in parse_qs(raw.decode("latin-1")).items()}


class BotApi:
    app = Klein()
    install_error_handlers(app)

    def __init__(self, game, access, limiter, chatlog, mint, clock, base_url, images=None, sync=None,
                 overloaded=None) -> None:
        self.base_url = base_url
        self.game = game
        self.access = access
        self.limiter = limiter
        self.chatlog = chatlog
        self.mint = mint
        self.clock = clock
        self.images = images
        self.sync = sync
        self.overloaded = overloaded or (lambda: False)
        self.shed = 0

    # ---- plumbing ------------------------------------------------------------------------
    async def _caller(self, request, route: str, action: bool):
        """Shed load, authenticate, rate-limit, mark seen/action; returns the caller's player (in the world).

        While the game falls behind its tick rate, bot calls are refused with 503 and a `retryInMs`
        before any work is done: queueing them would delay every answer by seconds and slow the
        world down for everyone (players in browsers included).
        """
        if self.overloaded():
            self.shed += 1
            raise ApiError(503, "server busy, try again", retryInMs=SHED_RETRY_MS)
        try:
            player_id = await self.access.player_for_bot_token(bearer(request))
        except (AccessError, Busy) as err:
            raise _refused(err) from None
        tag_player(request, player_id)
        wait = self.limiter.hit(("bot", player_id, route), RULES[route])
        if wait:
            raise ApiError(429, "rate limited", retryInMs=max(50, wait))
        try:
            p = await self.access.ensure_active(player_id)
        except (AccessError, Busy) as err:
            raise _refused(err) from None
        self.game.submit(c.BotSeen(player_id=player_id, action=action))
        return p

    async def _do(self, make_command) -> dict:
        """Apply the caller's command at once; answer its result once the caller's state is on disk."""
        command = make_command(None)
        result = self.game.apply_now(command)
        return await self._settled(lambda: result, (command.player_id,))

    async def _mutate(self, request, route: str, handler):
        """A mutating route: authenticate, parse, and run `handler(p, body)` once per requestId."""
        p = await self._caller(request, route, action=True)
        body = read_json(request, required=False)
        rid = request_id(body)
        key = (p.id, request.path, rid) if rid else None
        result = await self.access.once(key, lambda: ensureDeferred(handler(p, body)))
        status = result.pop("_status", 200) if isinstance(result, dict) else 200
        return json_response(request, result, status)

    async def _settled(self, render, player_ids=None):
        """`render()` of a state already on disk (answers never show what a crash could still undo)."""
        if self.sync is None:
            return render()
        return await self.sync.settled(render, player_ids)

    def _now_iso(self) -> str:
        return iso(self.game.now_ms())

    # ---- onboarding (no token) ----------------------------------------------------------
    @app.route("/link", methods=["POST"])
    async def link(self, request):
        """Trade a join code (or a `CT1|baseUrl|CODE` join token) for the player's bot token."""
        self._limit_address(request, "link")
        body = read_json(request, required=False)
        code = body.get("joinCode")
        code = code.strip() if isinstance(code, str) else ""
        token = body.get("joinToken")
        if not code and isinstance(token, str):
            parts = token.split("|")
            if len(parts) == 3:
                code = parts[2].strip()
        try:
            bot_token, player_id = await self.access.link(code, request_id=request_id_of(request))
        except (AccessError, Busy) as err:
            raise _refused(err) from None
        tag_player(request, player_id)
        base = self.base_url(request)
        return json_response(request, {"ok": True, "botToken": bot_token, "playerId": player_id,
                                       "apiBaseUrl": base, "wsUrl": ws_url(base)})

    @app.route("/spawn", methods=["POST"])
    async def spawn(self, request):
        """Create a brand-new character driven by a bot; answers its bot token."""
        body = read_json(request, required=False)
        name = body.get("name")
        name = "" if name is None or isinstance(name, (dict, list)) else str(name)
        if not clean_name(name):
            raise ApiError(400, "name required")
        job = body.get("job")
        job = "novice" if job in (None, "") else str(job).strip().lower()
        if job not in JOBS:
            raise ApiError(400, f"invalid job (must be one of: {', '.join(JOBS)})")
        self._limit_address(request, "spawn")
        meta = {k: clean_text(body[k], 64) for k in ("twitterHandle", "preferredAnimal") if body.get(k) is not None}
        try:
            bot_token, player_id = await self.access.spawn(name, job, meta, request_id=request_id_of(request))
        except (AccessError, Busy) as err:
            raise _refused(err) from None
        tag_player(request, player_id)
        p = self.game.world.players.get(player_id)
        base = self.base_url(request)
        character = {"name": p.name, "job": p.job, "level": p.level, "hp": p.hp, "maxHp": p.max_hp, "xp": p.xp,
                     "x": round(p.x), "y": round(p.y)} if p else None
        return json_response(request, {"ok": True, "botToken": bot_token, "playerId": player_id,
                                       "character": character, "apiBaseUrl": base, "wsUrl": ws_url(base)})

    def _limit_address(self, request, route: str) -> None:
        wait = self.limiter.hit((route, client_address(request)), ADDRESS_RULES[route])
        if wait:
            raise ApiError(429, "rate limited", retryInMs=max(50, wait))

    # ---- reads -------------------------------------------------------------------------
    @app.route("/me", methods=["GET"])
    async def me(self, request):
        p = await self._caller(request, "me", action=False)
        body = await self._settled(lambda: {"ok": True, "player": bot_player(p, p.id)}, (p.id,))
        return json_response(request, body)

    @app.route("/status", methods=["GET"])
    async def status(self, request):
        p = await self._caller(request, "status", action=False)
        body = await self._settled(lambda: status_view(self.game.world.instance_of(p), p, self._now_iso()), (p.id,))
        return json_response(request, body)

    @app.route("/world", methods=["GET"])
    async def world(self, request):
        p = await self._caller(request, "world", action=False)

        if self.sync is None:
            world = self.game.world
            inst = world.instance_of(p)
            return json_response(request, world_snapshot(world, inst, p, self.chatlog.visible_to(p, inst.key, world)))

        def answer(shared, inst):
            lines = self.chatlog.visible_to(p, inst.key, self.game.world)
            return shared.answer(p, self.sync.snapshots.chat_chunks(lines))

        return json_response(request, await self.sync.world_read(p, answer))

    @app.route("/events", methods=["GET"])
    async def events(self, request):
        p = await self._caller(request, "events", action=False)
        q = query(request)
        cursor = _int_param(q.get("cursor"), 0, 0, 2**62)
        limit = _int_param(q.get("limit"), 20, 1, 60)
        player_id = p.id

        def read(store):
            rows = store.list_events(player_id, after_seq=cursor, limit=limit + 1)
            return rows, store.oldest_event_seq(player_id), store.newest_event_seq(player_id)

        await self._settled(lambda: None, (player_id,))  # its newest events are on disk before they are read
        rows, oldest, newest = await self.access.runner.run(read)
        page = rows[:limit]
        events = [{"id": r["id"], "at": r["at"], "kind": r["kind"], "text": r["text"],
                   "important": bool(r.get("important")), "data": r.get("data")} for r in page]
        body = {"ok": True, "events": events, "nextCursor": events[-1]["id"] if events else cursor,
                "hasMore": len(rows) > limit}
        if oldest is not None and cursor < oldest - 1:
            body["cursorExpired"] = True
            body["gap"] = {"from": cursor + 1, "to": oldest - 1}
        if cursor > max(newest or 0, p.event_seq):
            body["cursorAhead"] = True
            body["nextCursor"] = newest or 0
        return json_response(request, body)

    # ---- actions -----------------------------------------------------------------------
    @app.route("/mode", methods=["POST"])
    async def mode(self, request):
        async def handler(p, body):
            mode = body.get("mode")
            if not isinstance(mode, str) or mode.strip().lower() not in ("manual", "agent"):
                raise ApiError(400, "invalid mode")
            await self._do(lambda ref: c.SetMode(player_id=p.id, mode=mode.strip().lower(), source="bot", ref=ref))
            return await self._settled(lambda: self._player_body(p), (p.id,))

        return await self._mutate(request, "mode", handler)

    @app.route("/goal", methods=["POST"])
    async def goal(self, request):
        async def handler(p, body):
            x, y = finite(body, "x"), finite(body, "y")
            if x is None or y is None:
                raise ApiError(400, "invalid coords")
            result = await self._do(lambda ref: c.SetGoal(player_id=p.id, x=x, y=y, source="bot", ref=ref))
            return _ok_or_error(result, {"ok": True, "goal": result.get("goal")})

        return await self._mutate(request, "goal", handler)

    @app.route("/cast", methods=["POST"])
    async def cast(self, request):
        async def handler(p, body):
            spell = body.get("spell", "signature")
            if spell is not None and not isinstance(spell, str):
                raise ApiError(400, "invalid spell")
            x, y = finite(body, "x"), finite(body, "y")
            result = await self._do(lambda ref: c.Cast(player_id=p.id, spell=spell or "signature", x=x, y=y,
                                                       source="bot", ref=ref))
            result.pop("status", None)
            return {"ok": True, "result": result}

        return await self._mutate(request, "cast", handler)

    @app.route("/intent", methods=["POST"])
    async def intent(self, request):
        async def handler(p, body):
            text = _text(body, "text")
            await self._do(lambda ref: c.SetIntent(player_id=p.id, text=text, ref=ref))
            return {"ok": True}

        return await self._mutate(request, "intent", handler)

    @app.route("/chat", methods=["POST"])
    async def chat(self, request):
        async def handler(p, body):
            text = _text(body, "text")
            if not text.strip():
                return {"ok": True}
            result = await self._do(lambda ref: c.Chat(player_id=p.id, text=text, source="bot", ref=ref))
            return _ok_or_error(result, {"ok": True})

        return await self._mutate(request, "chat", handler)

    @app.route("/thought", methods=["POST"])
    async def thought(self, request):
        async def handler(p, body):
            text = _text(body, "text")
            if not text.strip():
                raise ApiError(400, "missing text")
            result = await self._do(lambda ref: c.Thought(player_id=p.id, text=text, ref=ref))
            return _ok_or_error(result, {"ok": True, "thoughtAt": result.get("thoughtAt")})

        return await self._mutate(request, "thought", handler)

    @app.route("/interrupt", methods=["POST"])
    async def interrupt(self, request):
        async def handler(p, body):
            level = body.get("level")
            if not isinstance(level, str) or level.strip().lower() not in ("off", "mentions", "nearby", "all"):
                raise ApiError(400, "invalid level")
            await self._do(lambda ref: c.SetInterrupt(player_id=p.id, level=level.strip().lower(), ref=ref))
            return await self._settled(lambda: self._player_body(p), (p.id,))

        return await self._mutate(request, "interrupt", handler)

    @app.route("/hat-result", methods=["POST"])
    async def hat_result(self, request):
        async def handler(p, body):
            job = body.get("job") or p.job
            if not isinstance(job, str) or job.strip().lower() not in JOBS:
                raise ApiError(400, "invalid job")
            reasons = body.get("reasons") or []
            if not isinstance(reasons, list):
                raise ApiError(400, "reasons must be a list of strings")
            reasons = tuple(str(r)[:120] for r in reasons[:4])
            signature = body.get("signature") or {}
            if not isinstance(signature, dict):
                raise ApiError(400, "signature must be an object")
            sig = {k: str(signature[k]) for k in ("name", "tagline", "effect") if signature.get(k) is not None}
            result = await self._do(lambda ref: c.ApplyHat(player_id=p.id, job=job.strip().lower(), signature=sig,
                                                           reasons=reasons, source="bot", ref=ref))
            return _ok_or_error(result, {"ok": True})

        return await self._mutate(request, "hat", handler)

    # ---- party -------------------------------------------------------------------------
    @app.route("/party/create", methods=["POST"])
    async def party_create(self, request):
        async def handler(p, body):
            result = await self._do(lambda ref: c.PartyCreate(player_id=p.id, party_id=self.mint.party_id(), ref=ref))
            return _ok_or_error(result, {"ok": True, "partyId": result.get("partyId")})

        return await self._mutate(request, "party", handler)

    @app.route("/party/code", methods=["POST"])
    async def party_code(self, request):
        async def handler(p, body):
            result = await self._do(lambda ref: c.PartyCode(player_id=p.id, code=self.mint.party_code(), ref=ref))
            return _ok_or_error(result, {"ok": True, "joinCode": result.get("joinCode"),
                                         "expiresAt": result.get("expiresAt")})

        return await self._mutate(request, "party", handler)

    @app.route("/party/join", methods=["POST"])
    async def party_join(self, request):
        async def handler(p, body):
            code = body.get("joinCode") or body.get("code")
            if not isinstance(code, str) or not code.strip():
                raise ApiError(400, "invalid code")
            result = await self._do(lambda ref: c.PartyJoin(player_id=p.id, code=code, teleport=False, ref=ref))
            return _ok_or_error(result, {"ok": True, "partyId": result.get("partyId")})

        return await self._mutate(request, "party", handler)

    @app.route("/party/leave", methods=["POST"])
    async def party_leave(self, request):
        async def handler(p, body):
            await self._do(lambda ref: c.PartyLeave(player_id=p.id, ref=ref))
            return {"ok": True}

        return await self._mutate(request, "party", handler)

    # ---- images ------------------------------------------------------------------------
    @app.route("/map.png", methods=["GET"])
    async def map_png(self, request):
        return await self._image(request, "map")

    @app.route("/minimap.png", methods=["GET"])
    async def minimap_png(self, request):
        return await self._image(request, "minimap")

    async def _image(self, request, kind: str):
        p = await self._caller(request, kind, action=False)
        if self.images is None:
            raise ApiError(503, "map rendering unavailable")
        q = query(request)
        try:
            png = await self.images.render(kind, p, q.get("w"), q.get("h"), q.get("names") in ("1", "true", "yes"))
        except RenderBusy as err:
            raise ApiError(503, str(err), retryInMs=500) from None
        request.setHeader(b"content-type", b"image/png")
        request.setHeader(b"cache-control", b"no-store")
        return png

    def _player_body(self, p) -> dict:
        return {"ok": True, "player": bot_player(p, p.id)}


def _refused(err: Exception) -> ApiError:
    """An access refusal as its HTTP error; a full inbox is 503 (busy), not a crash."""
    if isinstance(err, Busy):
        return ApiError(503, "server busy, try again", retryInMs=200)
    return ApiError(err.status, err.message)


def _int_param(raw: str | None, default: int, lo: int, hi: int) -> int:
    try:
        value = math.floor(float(raw)) if raw not in (None, "") else default
    except (TypeError, ValueError, OverflowError):
        value = default
    return max(lo, min(hi, value))


def _text(body: dict, key: str) -> str:
    value = body.get(key, "")
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        raise ApiError(400, f"{key} must be a string")
    text = str(value)
    if len(text) > 4000:
        raise ApiError(400, f"{key} too long")
    return text


def _ok_or_error(result: dict, success: dict) -> dict:
    """The command's refusal as an HTTP error (status and retryInMs kept), else `success`."""
    if result.get("ok"):
        return success
    extra = {"retryInMs": result["retryInMs"]} if "retryInMs" in result else {}
    raise ApiError(result.get("status", 400), result.get("error", "refused"), **extra)
