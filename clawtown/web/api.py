"""The public REST routes of the town: health and character creation (bots: see issue 3 routes).

Routes are mounted under /api. They read the in-memory world and queue commands like any
client; answers that depend on a command are sent after the tick that applied it is committed.
"""

from __future__ import annotations

from datetime import datetime, timezone

from klein import Klein

from ..engine.bots import AccessError
from ..engine.game import Busy
from ..engine.ids import hash_secret
from ..sim import commands as c
from ..sim.constants import TEXT_NAME
from ..sim.hat import HAT_QUESTIONS, JOBS
from ..sim.text import clean_name
from ..wire.views import public_player
from . import avatars as avatar_routes
from .baseurl import join_token, sandbox_base
from .bot_api import bearer
from .jsonapi import (
    ApiError,
    client_address,
    install_error_handlers,
    json_response,
    read_json,
)
from .limits import REST_RULES
from .requestlog import request_id_of, tag_player
from .openapi import OPENAPI


BOT_OFFLINE_MS = 12_000
"""A linked bot that has not called for this long shows as offline in the browser."""
BOT_IDLE_MS = 12_000
"""A linked bot that has not acted (only read) for this long shows as idle."""


def bot_presence(p, now: int) -> dict:
    """The browser's "link your bot" status of a character (original thresholds)."""
    seen, acted = p.bot_seen_at, p.bot_action_at
    if seen is None or now - seen > BOT_OFFLINE_MS:
        status = "offline"
    elif acted is None or now - acted > BOT_IDLE_MS:
        status = "idle"
    else:
        status = "online"
    return {"linked": bool(p.linked_bot), "lastSeenAt": seen, "lastActionAt": acted, "thought": p.thought,
            "thoughtAt": p.thought_at, "status": status}


def iso_now(clock) -> str:
    return datetime.fromtimestamp(clock.seconds(), tz=timezone.utc).isoformat().replace("+00:00", "Z")


class TownApi:
    app = Klein()
    install_error_handlers(app)

    def __init__(self, game, mint, limiter, clock, debug=None, bots=None, access=None, base_url=None,
                 admin=None, avatars=None) -> None:
        self.game = game
        self.mint = mint
        self.limiter = limiter
        self.clock = clock
        self.debug = debug
        self.bots = bots
        self.admin = admin
        self.avatars = avatars
        self.access = access
        self.base_url = base_url

    @app.route("/bot/", branch=True)
    def bot(self, request):
        """Everything under /api/bot/ is the bot API."""
        if self.bots is None:
            raise ApiError(404, "not found")
        return self.bots.app.resource()

    @app.route("/admin/", branch=True)
    def admin_api(self, request):
        """Everything under /api/admin/ is the admin API (Bearer admin token)."""
        if self.admin is None:
            raise ApiError(404, "not found")
        return self.admin.app.resource()

    @app.route("/join-codes", methods=["POST"])
    async def join_codes(self, request):
        """Mint a join code for the calling browser player (Bearer session token)."""
        try:
            record = await self.access.player_for_session(bearer(request))
        except AccessError as err:
            raise ApiError(err.status, err.message) from None
        tag_player(request, record["id"])
        wait = self.limiter.hit(("join-codes", record["id"]), REST_RULES["join_codes"])
        if wait:
            raise ApiError(429, "rate limited", retryInMs=max(50, wait))
        code = await self.access.mint_join_code(record["id"], request_id=request_id_of(request))
        base = self.base_url(request)
        sandbox = sandbox_base(base)
        return json_response(request, {
            "ok": True, "joinCode": code["code"], "expiresAt": code["expiresAt"], "baseUrl": base,
            "joinToken": join_token(base, code["code"]), "sandboxBaseUrl": sandbox,
            "sandboxJoinToken": join_token(sandbox, code["code"]) if sandbox else None,
        })

    @app.route("/me/avatar", methods=["POST"])
    async def upload_avatar(self, request):
        """Set your avatar picture (Bearer session token): PNG/JPEG bytes, a data URL, or {"reset": true}."""
        if self.avatars is None:
            raise ApiError(404, "not found")
        return await avatar_routes.upload(self, request)

    @app.route("/avatars/<string:name>", methods=["GET"])
    async def avatar(self, request, name):
        """A player's avatar as a 128×128 PNG (`<playerId>.png`; add `?v=<avatarVersion>` to cache it)."""
        if self.avatars is None:
            raise ApiError(404, "not found")
        return await avatar_routes.serve(self, request, name)

    @app.route("/me/bot", methods=["GET"])
    async def my_bot(self, request):
        """The linked bot of the calling browser player: presence and latest thought (Bearer session)."""
        try:
            record = await self.access.player_for_session(bearer(request))
        except AccessError as err:
            raise ApiError(err.status, err.message) from None
        wait = self.limiter.hit(("me-bot", record["id"]), REST_RULES["me_bot"])
        if wait:
            raise ApiError(429, "rate limited", retryInMs=max(50, wait))
        p = self.game.world.players.get(record["id"])
        if p is None:
            body = {"linked": bool(record.get("linkedBot")), "lastSeenAt": None, "lastActionAt": None,
                    "thought": record.get("thought") or "", "thoughtAt": record.get("thoughtAt"), "status": "offline"}
        else:
            body = bot_presence(p, self.game.now_ms())
        return json_response(request, {"ok": True, **body})

    @app.route("/hat/questions", methods=["GET"])
    def hat_questions(self, request):
        """The sorting-hat quiz (English and Traditional Chinese labels)."""
        return json_response(request, {"ok": True, "questions": HAT_QUESTIONS})

    @app.route("/debug/<string:action>", methods=["POST"])
    async def debug_action(self, request, action):
        """Test-mode helpers; absent (404) unless the server runs with --test-mode."""
        if self.debug is None:
            raise ApiError(404, "not found")
        return json_response(request, await self.debug.run(action, request))

    @app.route("/health", methods=["GET"])
    def health(self, request):
        return json_response(request, {"ok": True, "time": iso_now(self.clock)})

    @app.route("/openapi.json", methods=["GET"])
    def openapi(self, request):
        """This server's OpenAPI 3.0.3 document."""
        return json_response(request, OPENAPI)

    @app.route("/players", methods=["POST"])
    async def create_player(self, request):
        """Create a character; the answer carries the secret session token for /ws?token=."""
        wait = self.limiter.hit(("create_player", client_address(request)), REST_RULES["create_player"])
        if wait:
            raise ApiError(429, "rate limited", retryInMs=max(50, wait))
        body = read_json(request)
        name = body.get("name")
        if not isinstance(name, str) or not clean_name(name):
            raise ApiError(400, "name required")
        if len(name) > 200 or len(clean_name(name, 200)) > TEXT_NAME:
            raise ApiError(400, f"name too long (at most {TEXT_NAME} characters)")
        job = body.get("job", "novice")
        if not isinstance(job, str) or job.strip().lower() not in JOBS:
            raise ApiError(400, f"invalid job (must be one of: {', '.join(JOBS)})")
        player_id, token = self.mint.player_id(), self.mint.session_token()
        try:
            result = await self.game.request(
                lambda ref: c.CreatePlayer(player_id=player_id, name=name, job=job.strip().lower(),
                                           session_hash=hash_secret(token), online=False, ref=ref)
            )
        except Busy:
            raise ApiError(503, "server busy, try again", retryInMs=200) from None
        if not result.get("ok"):
            raise ApiError(result.get("status", 400), result.get("error", "could not create player"))
        player = self.game.world.players.get(player_id)
        return json_response(request, {"ok": True, "playerId": player_id, "sessionToken": token,
                                       "player": public_player(player) if player else None})
