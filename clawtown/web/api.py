"""The public REST routes of the town: health and character creation (bots: see issue 3 routes).

Routes are mounted under /api. They read the in-memory world and queue commands like any
client; answers that depend on a command are sent after the tick that applied it is committed.
"""

from __future__ import annotations

from datetime import datetime, timezone

from klein import Klein

from ..engine.game import Busy
from ..engine.ids import hash_secret
from ..sim import commands as c
from ..sim.hat import JOBS
from ..sim.text import clean_name
from ..wire.views import public_player
from .jsonapi import ApiError, client_address, install_error_handlers, json_response, read_json
from .limits import REST_RULES


def iso_now(clock) -> str:
    return datetime.fromtimestamp(clock.seconds(), tz=timezone.utc).isoformat().replace("+00:00", "Z")


class TownApi:
    app = Klein()
    install_error_handlers(app)

    def __init__(self, game, mint, limiter, clock, debug=None) -> None:
        self.game = game
        self.mint = mint
        self.limiter = limiter
        self.clock = clock
        self.debug = debug

    @app.route("/debug/<string:action>", methods=["POST"])
    async def debug_action(self, request, action):
        """Test-mode helpers; absent (404) unless the server runs with --test-mode."""
        if self.debug is None:
            raise ApiError(404, "not found")
        return json_response(request, await self.debug.run(action, request))

    @app.route("/health", methods=["GET"])
    def health(self, request):
        return json_response(request, {"ok": True, "time": iso_now(self.clock)})

    @app.route("/players", methods=["POST"])
    async def create_player(self, request):
        """Create a character; the answer carries the secret session token for /ws?token=."""
        body = read_json(request)
        name = body.get("name")
        if not isinstance(name, str) or not clean_name(name):
            raise ApiError(400, "name required")
        if len(name) > 200:
            raise ApiError(400, "name too long (at most 24 characters)")
        job = body.get("job", "novice")
        if not isinstance(job, str) or job.strip().lower() not in JOBS:
            raise ApiError(400, f"invalid job (must be one of: {', '.join(JOBS)})")
        wait = self.limiter.hit(("create_player", client_address(request)), REST_RULES["create_player"])
        if wait:
            raise ApiError(429, "rate limited", retryInMs=wait)
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
