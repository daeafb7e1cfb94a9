"""Bot access: join codes, linking, spawning, bot-token authentication and idempotent retries.

Bot tokens are derived from the server key, the player id and a link generation (see
engine.ids.derive_bot_token); the store keeps only their SHA-256. Re-linking with a live join
code therefore returns the same token, and revocation (a new generation) kills all of them.
Every store call runs on the store thread through the runner.
"""

from __future__ import annotations

import hmac
from collections import OrderedDict

from twisted.internet.defer import Deferred, inlineCallbacks
from twisted.python import log
from twisted.python.failure import Failure

from ..sim import commands as c
from ..store.base import MAX_BOT_LINK_LOOKUP
from . import audit
from .ids import derive_bot_token, hash_secret

JOIN_CODE_TTL_MS = 24 * 3600 * 1000
MAX_LIVE_CODES = 5
TOKEN_CACHE_MS = 5000
TOKEN_REFRESH_AHEAD_MS = 1500
#: Tokens due for a refresh are gathered this long, then looked up together in one store call.
TOKEN_REFRESH_BATCH_MS = 250
TOKEN_CACHE_SIZE = 50_000
IDEMPOTENCY_MS = 10 * 60 * 1000
IDEMPOTENCY_SIZE = 20_000


class AccessError(Exception):
    """Refused: `status` and `message` go to the client as-is."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class BotAccess:
    def __init__(self, game, runner, mint) -> None:
        self.game = game
        self.runner = runner
        self.mint = mint
        self.audit = audit.AuditTrail(runner, game.now_ms)
        self.server_key: bytes | None = None
        self._tokens: OrderedDict[str, tuple[str, int]] = OrderedDict()
        self._refreshing: set[str] = set()
        self._due: dict[str, str] = {}
        self._refresh_call = None
        self._done: OrderedDict[tuple, tuple[int, object]] = OrderedDict()

    # ---- who is calling ----------------------------------------------------------------
    async def player_for_bot_token(self, token: str | None) -> str:
        """The player a bot token belongs to (AccessError 401 if none).

        Answers come from a cache kept for TOKEN_CACHE_MS, so a revocation made by another
        process (the CLI) takes effect within that time. A token used in the last
        TOKEN_REFRESH_AHEAD_MS of its cache entry is looked up again in the background, so a bot
        that calls regularly never waits for the store; those lookups are gathered for
        TOKEN_REFRESH_BATCH_MS and made in one store call (500 bots: ~4 calls a second, not 100).
        """
        if not token or len(token) > 200:
            raise AccessError(401, "unauthorized")
        token_hash = hash_secret(token)
        now = self.game.now_ms()
        cached = self._tokens.get(token_hash)
        if cached and cached[1] > now:
            if cached[1] - now < TOKEN_REFRESH_AHEAD_MS and token_hash not in self._refreshing:
                self._refresh_soon(token, token_hash)
            return cached[0]
        player_id = await self._lookup(token, token_hash)
        if player_id is None:
            raise AccessError(401, "unauthorized")
        return player_id

    @inlineCallbacks
    def _lookup(self, token: str, token_hash: str):
        """Look the token up in the store and cache the answer; None when it is unknown or revoked."""
        link = yield self.runner.run(lambda store: store.find_bot_link(token_hash))
        return self._cache_link(token, token_hash, link)

    def _refresh_soon(self, token: str, token_hash: str) -> None:
        self._refreshing.add(token_hash)
        self._due[token_hash] = token
        if self._refresh_call is None:
            self._refresh_call = self.game.clock.callLater(TOKEN_REFRESH_BATCH_MS / 1000, self._refresh_due)

    def _refresh_due(self) -> None:
        """Look up every token due for a refresh in one store call (a few, if there are very many)."""
        self._refresh_call = None
        due, self._due = self._due, {}
        hashes = list(due)
        for start in range(0, len(hashes), MAX_BOT_LINK_LOOKUP):
            chunk = hashes[start:start + MAX_BOT_LINK_LOOKUP]
            d = self.runner.run(lambda store, chunk=chunk: store.find_bot_links(chunk))
            d.addCallback(lambda links, chunk=chunk: [self._cache_link(due[h], h, links.get(h)) for h in chunk])
            d.addErrback(log.err, "refreshing bot tokens failed")
            d.addBoth(lambda _, chunk=chunk: self._refreshing.difference_update(chunk))

    def _cache_link(self, token: str, token_hash: str, link: dict | None) -> str | None:
        """Cache the player of a token's link for TOKEN_CACHE_MS; None (and forgotten) when it is gone."""
        key = self.server_key
        if link is not None and key is not None and not hmac.compare_digest(
                derive_bot_token(key, link["playerId"], link["generation"]), token):
            link = None  # derived from an older server key: rotating the key revokes it
        if link is None:
            self._tokens.pop(token_hash, None)
            return None
        expires = self.game.now_ms() + TOKEN_CACHE_MS
        self._remember(self._tokens, token_hash, (link["playerId"], expires), TOKEN_CACHE_SIZE)
        return link["playerId"]

    async def player_for_session(self, token: str | None) -> dict:
        if not token or len(token) > 200:
            raise AccessError(401, "unauthorized")
        record = await self.runner.run(lambda store: store.find_player_by_session_hash(hash_secret(token)))
        if record is None:
            raise AccessError(401, "unauthorized")
        return record

    def forget_all(self) -> None:
        self._tokens.clear()
        self._done.clear()

    def forget_tokens_of(self, player_id: str) -> None:
        for token_hash in [h for h, (pid, _) in self._tokens.items() if pid == player_id]:
            del self._tokens[token_hash]

    async def ensure_active(self, player_id: str):
        """The player, in the world (a stored character is brought in, offline, if needed)."""
        p = self.game.world.players.get(player_id)
        if p is not None:
            return p
        record = await self.runner.run(lambda store: store.get_player(player_id))
        if record is None:
            raise AccessError(404, "player missing")
        result = await self.game.request(lambda ref: c.Activate(player_id=player_id, record=record, online=False, ref=ref))
        p = self.game.world.players.get(player_id)
        if not result.get("ok") or p is None:
            raise AccessError(404, "player missing")
        return p

    # ---- join codes, links, spawns -----------------------------------------------------
    async def mint_join_code(self, player_id: str, request_id: str | None = None) -> dict:
        """A new join code for the player (the caller is that player's browser session)."""
        now = self.game.now_ms()
        for _ in range(8):
            code = self.mint.code()
            try:
                record = await self.runner.run(
                    lambda store: store.mint_join_code(code, player_id, now, now + JOIN_CODE_TTL_MS, MAX_LIVE_CODES)
                )
            except Exception as exc:
                if "collision" not in str(exc):
                    raise
                continue
            await self.audit.record(
                audit.player_actor(player_id), audit.CODE_MINT, player_id,
                {"code": audit.code_marker(record["code"]), "expiresAt": record["expiresAt"]}, request_id,
            )
            return record
        raise AccessError(503, "could not mint a join code, try again")

    async def link(self, code: str, request_id: str | None = None) -> tuple[str, str]:
        code = (code or "").strip().upper()
        if not code or len(code) > 32:
            raise AccessError(404, "invalid joinCode")
        now = self.game.now_ms()
        record = await self.runner.run(lambda store: store.get_join_code(code))
        if record is None or record.get("revokedAt") is not None:
            raise AccessError(404, "invalid joinCode")
        if record["expiresAt"] <= now:
            raise AccessError(410, "joinCode expired")
        player_id = record["playerId"]
        token = await self.bot_token_for(player_id)
        await self.ensure_active(player_id)
        await self.game.request(lambda ref: c.BotSeen(player_id=player_id, link=True, ref=ref))
        await self.audit.record(
            audit.bot_actor(player_id), audit.BOT_LINK, player_id, {"code": audit.code_marker(code)}, request_id
        )
        return token, player_id

    async def bot_token_for(self, player_id: str) -> str:
        """The player's current bot token (its link row is created on first use)."""
        now = self.game.now_ms()
        key = self.server_key

        def current(store):
            link = store.get_bot_link(player_id)
            generation = link["generation"] if link else 0
            token = derive_bot_token(key, player_id, generation)
            if link is None or link.get("tokenHash") != hash_secret(token):
                store.save_bot_link(player_id, generation, hash_secret(token), now)
            return token

        return await self.runner.run(current)

    async def spawn(self, name: str, job: str, meta: dict, request_id: str | None = None) -> tuple[str, str]:
        player_id = self.mint.player_id()
        result = await self.game.request(
            lambda ref: c.CreatePlayer(player_id=player_id, name=name, job=job, private_meta=meta, online=False, ref=ref)
        )
        if not result.get("ok"):
            raise AccessError(500, "failed to create character")
        token = await self.bot_token_for(player_id)
        await self.game.request(lambda ref: c.BotSeen(player_id=player_id, link=True, ref=ref))
        p = self.game.world.players.get(player_id)
        await self.audit.record(
            audit.bot_actor(player_id), audit.BOT_SPAWN, player_id,
            {"name": p.name if p is not None else name[:64], "job": job}, request_id,
        )
        return token, player_id

    async def revoke(self, player_id: str, actor: str = audit.ADMIN_API, request_id: str | None = None) -> int:
        """Invalidate every bot token of the player (a new link generation); the new generation."""
        at = self.game.now_ms()
        generation = await self.runner.run(lambda store: store.revoke_bot_tokens(player_id, at))
        self.forget_tokens_of(player_id)
        await self.audit.record(actor, audit.TOKENS_REVOKE, player_id, {"generation": generation}, request_id)
        return generation

    # ---- idempotent retries ------------------------------------------------------------
    def once(self, key: tuple | None, make_deferred) -> Deferred:
        """Run `make_deferred()` once per key for IDEMPOTENCY_MS; retries get the first result.

        A failed first attempt is forgotten, so a retry after a failure acts again.
        """
        if key is None:
            return make_deferred()
        now = self.game.now_ms()
        entry = self._done.get(key)
        if entry is not None and entry[0] > now:
            return entry[1].follow()
        outcome = _Outcome()
        self._remember(self._done, key, (now + IDEMPOTENCY_MS, outcome), IDEMPOTENCY_SIZE)

        def settle(result):
            if isinstance(result, Failure):
                self._done.pop(key, None)
            outcome.settle(result)

        make_deferred().addBoth(settle)
        return outcome.follow()

    @staticmethod
    def _remember(table: OrderedDict, key, value, limit: int) -> None:
        table[key] = value
        table.move_to_end(key)
        while len(table) > limit:
            table.popitem(last=False)


class _Outcome:
    """The result of a first attempt, handed to every caller that asks for it."""

    _PENDING = object()

    def __init__(self) -> None:
        self.result = self._PENDING
        self.waiters: list[Deferred] = []

    def settle(self, result) -> None:
        self.result = result
        waiters, self.waiters = self.waiters, []
        for d in waiters:
            self._fire(d)

    def follow(self) -> Deferred:
        d = Deferred()
        if self.result is self._PENDING:
            self.waiters.append(d)
        else:
            self._fire(d)
        return d

    def _fire(self, d: Deferred) -> None:
        if isinstance(self.result, Failure):
            d.errback(self.result)
        else:
            d.callback(self.result)
