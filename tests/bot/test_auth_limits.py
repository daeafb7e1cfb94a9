"""Bot tokens (401), rate limits (429 with retryInMs), revocation and a full inbox (503), for every route."""

from __future__ import annotations

import pytest
from twisted.internet.defer import Deferred

from clawtown.web.bot_api import ADDRESS_RULES, RULES
from clawtown.web.limits import REST_RULES

from .conftest import ROUTE_IDS, ROUTES, fired

UNAUTHORIZED = {"ok": False, "error": "unauthorized"}


@pytest.mark.parametrize("method, path, body, rule", ROUTES, ids=ROUTE_IDS)
def test_no_token_is_401(town, ann, method, path, body, rule):
    reply = town.request(method, "/api/bot/" + path, body)
    assert (reply.code, reply.json) == (401, UNAUTHORIZED)


@pytest.mark.parametrize("method, path, body, rule", ROUTES, ids=ROUTE_IDS)
def test_a_wrong_token_is_401_and_changes_nothing(town, ann, method, path, body, rule):
    before = ann.player.to_record()
    for token in ("ctbot_" + "x" * 32, ann.token[:-1], ann.token + "x", ann.session, "", "x" * 500):
        reply = town.request(method, "/api/bot/" + path, body, token=token)
        assert (reply.code, reply.json) == (401, UNAUTHORIZED), token
    town.advance(4)
    assert ann.player.to_record() == before
    assert ann.player.bot_action_at is None or ann.player.bot_action_at < town.now_ms() - 150


@pytest.mark.parametrize("header", ["Basic {t}", "{t}", "Bearer", "Token {t}", "Bearer: {t}"])
def test_only_a_bearer_header_authenticates(town, ann, header):
    reply = town.get("/api/bot/me", headers={"authorization": header.format(t=ann.token)})
    assert (reply.code, reply.json) == (401, UNAUTHORIZED)


@pytest.mark.parametrize("header", ["Bearer {t}", "bearer {t}", "BEARER   {t}", "  Bearer {t}  "])
def test_the_bearer_scheme_is_case_insensitive(town, ann, header):
    reply = town.get("/api/bot/me", headers={"authorization": header.format(t=ann.token)})
    assert reply.code == 200 and reply.json["player"]["id"] == ann.id


@pytest.mark.parametrize("method, path, body, rule", ROUTES, ids=ROUTE_IDS)
def test_a_burst_is_answered_429_with_retry_in_ms(town, ann, method, path, body, rule):
    burst = RULES[rule].burst
    replies = town.burst(method, "/api/bot/" + path, burst + 1, body, token=ann.token)
    assert all(r.code != 429 or r.json.get("error") == "rate limited" for r in replies[:burst])
    limited = replies[-1]
    assert limited.code == 429
    assert limited.header(b"content-type") == "application/json; charset=utf-8"
    assert set(limited.json) == {"ok", "error", "retryInMs"}
    assert limited.json["ok"] is False and limited.json["error"] == "rate limited"
    wait = limited.json["retryInMs"]
    assert isinstance(wait, int) and 50 <= wait <= RULES[rule].interval_ms
    # After waiting what it said (and the chat gap), the route answers again.
    town.run_for(max(wait, 1250) / 1000 + 0.1)
    again = town.request(method, "/api/bot/" + path, body, token=ann.token)
    assert again.code != 429, again


def test_rate_limits_are_per_token(town, ann, bob):
    replies = town.burst("GET", "/api/bot/status", RULES["status"].burst + 1, token=ann.token)
    assert replies[-1].code == 429
    assert bob.get("status").code == 200


def test_the_limits_of_the_original_server_are_kept():
    original = {"status": (250, 6), "world": (250, 6), "minimap": (1800, 1), "map": (2400, 1), "mode": (700, 2),
                "goal": (220, 6), "intent": (500, 3), "chat": (1200, 2), "thought": (2500, 2), "events": (700, 3),
                "cast": (220, 6)}
    for rule, (interval, burst) in original.items():
        assert (RULES[rule].interval_ms, RULES[rule].burst) == (interval, burst), rule


def test_link_is_rate_limited_per_address(town):
    code = town.mint_code(town.create_player("Ann")["sessionToken"])["joinCode"]
    burst = ADDRESS_RULES["link"].burst
    replies = town.burst("POST", "/api/bot/link", burst + 1, {"joinCode": "ZZZZZZ"})
    assert [r.code for r in replies[:burst]] == [404] * burst
    assert replies[-1].code == 429 and replies[-1].json["error"] == "rate limited"
    assert replies[-1].json["retryInMs"] >= 50
    # even a good code waits
    assert town.link({"joinCode": code}).code == 429
    town.run_for(ADDRESS_RULES["link"].interval_ms / 1000 + 0.1)
    assert town.link({"joinCode": code}).code == 200


def test_spawn_is_rate_limited_per_address(town):
    burst = ADDRESS_RULES["spawn"].burst
    replies = town.burst("POST", "/api/bot/spawn", burst + 1, {"name": "Mochi"})
    assert [r.code for r in replies[:burst]] == [200] * burst
    assert replies[-1].code == 429 and replies[-1].json["retryInMs"] >= 50
    assert len({r.json["playerId"] for r in replies[:burst]}) == burst


def test_spawn_checks_the_body_before_spending_the_address_budget(town):
    for _ in range(ADDRESS_RULES["spawn"].burst + 2):
        assert town.post("/api/bot/spawn", {}).json == {"ok": False, "error": "name required"}
    assert town.post("/api/bot/spawn", {"name": "Mochi"}).code == 200


def test_join_codes_are_rate_limited_per_player(town):
    created = town.create_player("Ann")
    burst = REST_RULES["join_codes"].burst
    replies = town.burst("POST", "/api/join-codes", burst + 1, {}, token=created["sessionToken"])
    assert [r.code for r in replies[:burst]] == [200] * burst
    assert replies[-1].code == 429 and replies[-1].json["error"] == "rate limited" and replies[-1].json["retryInMs"] > 0


# ---- revocation ------------------------------------------------------------------------
def test_a_revoked_token_stops_at_once_and_a_relink_gives_a_new_one(town, ann):
    assert ann.get("me").code == 200  # cached in BotAccess now
    fired(town.access.revoke(ann.id))
    for method, path, body, _ in ROUTES:
        reply = town.request(method, "/api/bot/" + path, body, token=ann.token)
        assert (reply.code, reply.json) == (401, UNAUTHORIZED), path
    relinked = town.link({"joinCode": ann.code})
    assert relinked.code == 200 and relinked.json["playerId"] == ann.id
    new = relinked.json["botToken"]
    assert new != ann.token and new.startswith("ctbot_")
    assert town.get("/api/bot/me", token=new).json["player"]["id"] == ann.id
    assert town.get("/api/bot/me", token=ann.token).code == 401
    # re-linking again returns the new token, not a third one
    assert town.link({"joinCode": ann.code}).json["botToken"] == new


def test_revoking_one_player_leaves_the_others_alone(town, ann, bob):
    fired(town.access.revoke(ann.id))
    assert ann.get("me").code == 401
    assert bob.get("me").code == 200


# ---- a full inbox ------------------------------------------------------------------------
def test_a_full_inbox_is_503_busy_not_a_crash(town, ann):
    code = ann.code
    town.game.inbox.limit = 0
    reply = ann.post("mode", {"mode": "agent"})  # bot commands apply at once, they never queue
    assert (reply.code, reply.json["player"]["mode"]) == (200, "agent")
    reply = town.link({"joinCode": code})
    assert (reply.code, reply.json) == (503, {"ok": False, "error": "server busy, try again", "retryInMs": 200})
    reply = town.post("/api/bot/spawn", {"name": "Mochi"})
    assert (reply.code, reply.json) == (503, {"ok": False, "error": "server busy, try again", "retryInMs": 200})
    town.game.inbox.limit = 4096
    assert ann.post("mode", {"mode": "manual"}).code == 200


# ---- load shedding -----------------------------------------------------------------------
BOT_READS = ("me", "status", "world", "events")
BOT_WRITES = (("mode", {"mode": "agent"}), ("goal", {"x": 100, "y": 100}), ("cast", {}), ("thought", {"text": "hm"}))


def test_while_the_game_falls_behind_every_bot_call_is_shed_with_503_and_no_effect(town, ann):
    behind = [True]
    town.bots.overloaded = lambda: behind[0]
    busy = {"ok": False, "error": "server busy, try again", "retryInMs": 1000}
    for route in BOT_READS:
        reply = ann.get(route)
        assert (reply.code, reply.json) == (503, busy), route
    for route, body in BOT_WRITES:
        reply = ann.post(route, body)
        assert (reply.code, reply.json) == (503, busy), route
    assert town.bots.shed == len(BOT_READS) + len(BOT_WRITES)
    me = town.world.players[ann.id]
    assert (me.mode, me.goal, me.thought) == ("manual", None, "")
    behind[0] = False
    assert ann.get("world").code == 200
    assert ann.post("mode", {"mode": "agent"}).json["player"]["mode"] == "agent"


# ---- the token cache -----------------------------------------------------------------------
class SlowLookups:
    """Holds every bot-token lookup until the test lets the store answer."""

    def __init__(self, town) -> None:
        self.held: list = []
        run = town.runner.run

        def gated(fn, *args, **kwargs):
            d = Deferred()
            self.held.append((run, fn, args, kwargs, d))
            return d

        town.access.runner = type("GatedRunner", (), {"run": staticmethod(gated)})()

    def answer_all(self) -> int:
        held, self.held = self.held, []
        for run, fn, args, kwargs, d in held:
            run(fn, *args, **kwargs).chainDeferred(d)
        return len(held)


def test_a_bot_calling_regularly_never_waits_for_a_token_lookup(town, ann):
    from clawtown.engine.bots import TOKEN_CACHE_MS

    assert ann.get("me").code == 200
    slow = SlowLookups(town)
    lookups = 0
    for _ in range(6 * TOKEN_CACHE_MS // 1000):  # two calls a second for three cache lifetimes
        town.run_for(0.5)
        box = town.send("GET", "/api/bot/me", token=ann.token)
        town.stub.flush()
        assert box and box[0].code == 200, "answered from the cache while the lookup is still running"
        lookups += slow.answer_all()
    assert 2 <= lookups <= 4  # about one background refresh per cache lifetime


def test_tokens_due_for_a_refresh_are_looked_up_together(town, monkeypatch):
    from clawtown.engine.bots import TOKEN_CACHE_MS, TOKEN_REFRESH_AHEAD_MS

    bots = [town.linked_player(name) for name in ("Ann", "Bob", "Cy", "Dee", "Eve")]
    calls = []
    for method in ("find_bot_link", "find_bot_links"):
        real = getattr(town.store, method)
        monkeypatch.setattr(town.store, method,
                            lambda arg, real=real, method=method: calls.append((method, arg)) or real(arg))
    for bot in bots:
        assert bot.get("me").code == 200  # first use: one lookup each, then cached
    assert [method for method, _ in calls] == ["find_bot_link"] * 5
    calls.clear()
    town.run_for((TOKEN_CACHE_MS - TOKEN_REFRESH_AHEAD_MS + 500) / 1000)  # into the refresh window
    for bot in bots:
        assert bot.get("me").code == 200
    town.run_for(1.0)
    assert [(method, len(arg)) for method, arg in calls] == [("find_bot_links", 5)]
    town.run_for(1.0)  # past the old expiry: the refreshed entries answer, nothing waits for the store
    for bot in bots:
        assert bot.get("me").code == 200
    assert len(calls) == 1


def test_a_token_revoked_by_another_process_stops_within_the_cache_time(town, ann):
    from clawtown.engine.bots import TOKEN_CACHE_MS

    assert ann.get("me").code == 200
    town.store.revoke_bot_tokens(ann.id, town.now_ms())  # the CLI's way: straight into the database
    codes = []
    for _ in range(TOKEN_CACHE_MS // 500 + 2):
        town.run_for(0.5)
        codes.append(ann.get("me").code)
    assert codes[-1] == 401 and set(codes) <= {200, 401}
    assert codes.index(401) * 500 <= TOKEN_CACHE_MS
    assert all(code == 401 for code in codes[codes.index(401):])
