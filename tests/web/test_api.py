"""The REST API (TownApi, DebugActions, HealthApi) through StubTreq, with the engine on a Clock."""

from __future__ import annotations

import pytest
from twisted.web.resource import Resource

from clawtown.engine.ids import hash_secret
from clawtown.engine.inbox import Inbox
from clawtown.sim import commands as c
from clawtown.sim.hat import JOBS
from clawtown.web.api import TownApi
from clawtown.web.debug import DebugActions, is_loopback
from clawtown.web.health import MAX_TICK_LAG_S, HealthApi
from clawtown.web.jsonapi import MAX_BODY_BYTES, ApiError
from clawtown.web.limits import REST_RULES

PUBLIC_PLAYER_FIELDS = {
    "id", "name", "avatarVersion", "x", "y", "facing", "mode", "intent", "interrupt", "hp", "maxHp", "level",
    "xp", "xpToNext", "statPoints", "baseStats", "zenny", "stats", "meta", "partyId", "job", "equipment",
    "inventory", "jobSkill", "signatureSpell", "linkedBot", "bot", "map", "channel", "online", "achievements",
    "knockedOut",
}


def create(http, name="Ann", **extra):
    return http.post("/api/players", {"name": name, **extra})


# ---- POST /api/players -----------------------------------------------------------------
def test_creating_a_player_returns_id_token_and_public_player(http):
    status, body, headers = create(http, "Ann", job="mage")
    assert status == 200, body
    assert headers.getRawHeaders(b"content-type") == [b"application/json; charset=utf-8"]
    assert set(body) == {"ok", "playerId", "sessionToken", "player"} and body["ok"] is True
    assert body["playerId"].startswith("p_") and body["sessionToken"].startswith("cts_")
    player = body["player"]
    assert set(player) == PUBLIC_PLAYER_FIELDS
    assert player["id"] == body["playerId"] and player["name"] == "Ann" and player["job"] == "mage"
    assert player["map"] == "town" and player["level"] == 1 and player["online"] is False


def test_the_answer_comes_after_the_record_is_stored(http):
    _, body, _ = create(http, "Bo")
    stored = http.town.store.get_player(body["playerId"])
    assert stored is not None and stored["name"] == "Bo"


def test_the_session_token_is_stored_only_as_a_hash(http):
    _, body, _ = create(http, "Cy")
    token = body["sessionToken"]
    store = http.town.store
    assert store.get_player(body["playerId"])["sessionHash"] == hash_secret(token)
    assert store.find_player_by_session_hash(hash_secret(token))["id"] == body["playerId"]
    everything = repr(vars(store))
    assert token not in everything and token[4:] not in everything
    assert token not in repr(http.town.world.players[body["playerId"]])


def test_each_player_gets_its_own_id_and_token(http):
    a, b = create(http, "Ann")[1], create(http, "Ann")[1]
    assert a["playerId"] != b["playerId"] and a["sessionToken"] != b["sessionToken"]


def test_job_is_optional_and_case_insensitive(http):
    assert create(http, "Dee")[1]["player"]["job"] == "novice"
    assert create(http, "Eve", job=" Archer ")[1]["player"]["job"] == "archer"


@pytest.mark.parametrize("body, error", [
    ({}, "name required"),
    ({"name": ""}, "name required"),
    ({"name": "   "}, "name required"),
    ({"name": 42}, "name required"),
    ({"name": None}, "name required"),
    ({"name": "x" * 201}, "name too long (at most 24 characters)"),
    ({"name": "Ann", "job": "wizard"}, f"invalid job (must be one of: {', '.join(JOBS)})"),
    ({"name": "Ann", "job": 3}, f"invalid job (must be one of: {', '.join(JOBS)})"),
])
def test_bad_player_fields_are_400_with_a_clear_error(http, body, error):
    status, answer, _ = http.post("/api/players", body)
    assert (status, answer) == (400, {"ok": False, "error": error})
    assert http.town.world.players == {}


@pytest.mark.parametrize("raw, error", [
    (b"", "missing JSON body"),
    (b"{name: Ann}", "invalid JSON body"),
    (b'{"name": "Ann"', "invalid JSON body"),
    (b'["Ann"]', "JSON body must be an object"),
    (b'"Ann"', "JSON body must be an object"),
    (b"null", "JSON body must be an object"),
])
def test_bad_json_bodies_are_400(http, raw, error):
    status, answer, _ = http.post("/api/players", raw=raw)
    assert (status, answer) == (400, {"ok": False, "error": error})


def test_a_body_over_256_kib_is_413(http):
    raw = b'{"name": "Ann", "pad": "' + b"x" * MAX_BODY_BYTES + b'"}'
    status, answer, _ = http.post("/api/players", raw=raw)
    assert (status, answer) == (413, {"ok": False, "error": "request body too large"})


def test_creating_players_is_rate_limited_per_address(http):
    rule = REST_RULES["create_player"]
    for i in range(rule.burst):
        assert create(http, f"Bot{i}")[0] == 200
    status, answer, _ = create(http, "OneTooMany")
    assert status == 429 and answer["ok"] is False and answer["error"] == "rate limited"
    assert 0 < answer["retryInMs"] <= rule.interval_ms
    assert len(http.town.world.players) == rule.burst


def test_another_address_has_its_own_budget(town, make_http, from_host):
    town.start()
    rule = REST_RULES["create_player"]
    api = TownApi(town.game, town.mint, town.limiter, town.clock)
    local, remote = Resource(), from_host(api, "203.0.113.7")
    local.putChild(b"api", api.app.resource())
    for i in range(rule.burst):
        assert make_http(local).post("/api/players", {"name": f"L{i}"})[0] == 200
    assert make_http(local).post("/api/players", {"name": "L"})[0] == 429
    assert make_http(remote).post("/api/players", {"name": "R"})[0] == 200
    town.stop()


def test_a_full_inbox_is_503_with_retry(town, make_http):
    town.game.inbox = Inbox(limit=0)
    town.start()
    api = TownApi(town.game, town.mint, town.limiter, town.clock)
    root = Resource()
    root.putChild(b"api", api.app.resource())
    status, answer, _ = make_http(root).post("/api/players", {"name": "Ann"})
    assert (status, answer) == (503, {"ok": False, "error": "server busy, try again", "retryInMs": 200})
    town.stop()


# ---- routing ---------------------------------------------------------------------------
def test_health_answers_ok_with_the_clock_time(http):
    http.town.clock.advance(90061.5)
    status, answer, headers = http.get("/api/health")
    assert status == 200 and answer["ok"] is True
    assert answer["time"].startswith("1970-01-02T01:01:01") and answer["time"].endswith("Z")
    assert headers.getRawHeaders(b"cache-control") == [b"no-store"]


def test_an_unknown_route_is_a_json_404(http):
    assert http.get("/api/nowhere")[:2] == (404, {"ok": False, "error": "not found"})
    assert http.post("/api/players/extra", {"name": "x"})[:2] == (404, {"ok": False, "error": "not found"})


def test_a_wrong_method_is_a_json_405(http):
    assert http.get("/api/players")[:2] == (405, {"ok": False, "error": "method not allowed"})
    assert http.request("DELETE", "/api/health")[:2] == (405, {"ok": False, "error": "method not allowed"})


def test_debug_routes_do_not_exist_without_test_mode(http):
    _, body, _ = create(http, "Ann")
    status, answer, _ = http.post("/api/debug/teleport", {"playerId": body["playerId"], "x": 1, "y": 1})
    assert (status, answer) == (404, {"ok": False, "error": "not found"})


def test_an_unexpected_crash_is_a_json_500(town, make_http, monkeypatch):
    town.start()
    api = TownApi(town.game, town.mint, town.limiter, town.clock)
    root = Resource()
    root.putChild(b"api", api.app.resource())

    def broken(*_a, **_k):
        raise KeyError("boom")

    monkeypatch.setattr(town.mint, "player_id", broken)
    status, answer, _ = make_http(root).post("/api/players", {"name": "Ann"})
    assert (status, answer) == (500, {"ok": False, "error": "internal error"})
    town.stop()


# ---- debug actions (test mode) -----------------------------------------------------------
@pytest.fixture
def ann(debug_http):
    return create(debug_http, "Ann")[1]["playerId"]


def test_debug_teleport_moves_a_player_across_maps(debug_http, ann):
    status, answer, _ = debug_http.post("/api/debug/teleport", {"playerId": ann, "x": 300, "y": 700, "map": "meadow"})
    assert (status, answer) == (200, {"ok": True, "x": 300, "y": 700, "map": "meadow"})
    p = debug_http.town.world.players[ann]
    assert (p.map_id, p.x, p.y) == ("meadow", 300, 700)


def test_debug_grant_item_fills_the_inventory(debug_http, ann):
    assert debug_http.post("/api/debug/grant-item", {"playerId": ann, "itemId": "jelly", "qty": 3})[:2] == \
        (200, {"ok": True})
    assert debug_http.town.world.players[ann].count("jelly") == 3
    assert [r["itemId"] for r in debug_http.town.store.get_player(ann)["inventory"]] == ["jelly"]


def test_debug_spawn_monster_places_it_in_town(debug_http):
    status, answer, _ = debug_http.post("/api/debug/spawn-monster", {"id": "m_test", "x": 500, "y": 300, "maxHp": 40})
    assert (status, answer) == (200, {"ok": True, "id": "m_test"})
    m = debug_http.town.world.instances["town#1"].monsters["m_test"]
    assert (m.x, m.y, m.max_hp, m.hp) == (500, 300, 40, 40)


def test_debug_persist_flush_commits_everything(debug_http, ann):
    debug_http.town.game.submit(c.Move(player_id=ann, dx=1, dy=0))
    debug_http.town.advance(1)
    assert debug_http.post("/api/debug/persist-flush")[:2] == (200, {"ok": True})
    p = debug_http.town.world.players[ann]
    assert debug_http.town.store.get_player(ann)["x"] == round(p.x, 1)


@pytest.mark.parametrize("path, body, status, error", [
    ("teleport", {"playerId": "p_nobody", "x": 1, "y": 1}, 404, "unknown playerId"),
    ("teleport", {"x": 1, "y": 1}, 400, "missing playerId"),
    ("teleport", {"playerId": "  ", "x": 1, "y": 1}, 400, "missing playerId"),
    ("teleport", {"playerId": "ANN", "x": "1", "y": 1}, 400, "invalid coords"),
    ("teleport", {"playerId": "ANN", "x": 1}, 400, "invalid coords"),
    ("teleport", {"playerId": "ANN", "x": True, "y": 1}, 400, "invalid coords"),
    ("teleport", {"playerId": "ANN", "x": 1e9, "y": 1}, 400, "invalid coords"),
    ("teleport", {"playerId": "ANN", "x": 1, "y": 1, "map": "moon"}, 400, "unknown map"),
    ("grant-item", {"playerId": "ANN", "itemId": "excalibur"}, 400, "unknown itemId"),
    ("grant-item", {"playerId": "ANN", "itemId": 7}, 400, "unknown itemId"),
    ("grant-item", {"playerId": "ANN", "itemId": "jelly", "qty": 0}, 400, "qty must be an integer from 1 to 9999"),
    ("grant-item", {"playerId": "p_nobody", "itemId": "jelly"}, 404, "unknown playerId"),
    ("spawn-monster", {"x": "a", "y": 1}, 400, "invalid coords"),
    ("spawn-monster", {"x": 1, "y": 1, "maxHp": 0}, 400, "maxHp must be an integer from 1 to 100000"),
    ("spawn-monster", {"x": 1, "y": 1, "hp": "full"}, 400, "hp must be an integer"),
    ("spawn-monster", {"playerId": "p_nobody", "x": 1, "y": 1}, 404, "unknown playerId"),
    ("self-destruct", {}, 404, "not found"),
])
def test_debug_errors_are_clear(debug_http, ann, path, body, status, error):
    body = {k: (ann if v == "ANN" else v) for k, v in body.items()}
    assert debug_http.post(f"/api/debug/{path}", body)[:2] == (status, {"ok": False, "error": error})


def test_debug_routes_refuse_non_loopback_clients(town, make_http, from_host):
    town.start()
    api = TownApi(town.game, town.mint, town.limiter, town.clock, DebugActions(town.game, town.sync))
    town.game.submit(c.CreatePlayer(player_id="p_ann", name="Ann"))
    town.advance(2)
    remote = make_http(from_host(api, "198.51.100.4"))
    status, answer, _ = remote.post("/api/debug/teleport", {"playerId": "p_ann", "x": 1, "y": 1})
    assert (status, answer) == (403, {"ok": False, "error": "debug routes are only served to loopback clients"})
    assert make_http(from_host(api, "::1")).post("/api/debug/persist-flush")[0] == 200
    town.stop()


def test_debug_check_looks_at_the_client_address():
    class Req:
        def __init__(self, host):
            self.host = host

        def getClientAddress(self):
            return type("Addr", (), {"host": self.host})()

    actions = DebugActions(game=None, sync=None)
    actions.check(Req("127.0.0.1"))
    actions.check(Req("::1"))
    for host in ("10.0.0.1", "203.0.113.9", "unix-socket", ""):
        with pytest.raises(ApiError) as err:
            actions.check(Req(host))
        assert err.value.status == 403
    assert is_loopback("127.8.9.10") and not is_loopback("localhost")


# ---- /health/live and /health/ready ------------------------------------------------------
def health_http(make_http, status):
    root = Resource()
    root.putChild(b"health", HealthApi(status).app.resource())
    return make_http(root)


def test_live_is_always_ok(make_http):
    assert health_http(make_http, lambda: {}).get("/health/live")[:2] == (200, {"ok": True})


@pytest.mark.parametrize("started, lag, store_ok, code", [
    (True, 0.0, True, 200),
    (True, MAX_TICK_LAG_S, True, 200),
    (False, 0.0, True, 503),
    (True, MAX_TICK_LAG_S + 0.01, True, 503),
    (True, 0.0, False, 503),
])
def test_ready_needs_started_ticking_and_a_healthy_store(make_http, started, lag, store_ok, code):
    status = {"started": started, "tickLagS": lag, "storeOk": store_ok, "players": 2}
    got, answer, _ = health_http(make_http, lambda: dict(status)).get("/health/ready")
    assert got == code and answer == {"ok": code == 200, **status}


def test_ready_follows_a_real_tick_service(town, make_http):
    def status():
        return {"started": town.started, "tickLagS": round(town.ticker.lag_seconds(), 4), "storeOk": True}

    http = health_http(make_http, status)
    assert http.get("/health/ready")[0] == 503
    town.start()
    town.advance(2)
    assert http.get("/health/ready")[0] == 200
    town.clock.rightNow += 1.0  # the reactor is stuck: ticks are late
    code, answer, _ = http.get("/health/ready")
    assert code == 503 and answer["tickLagS"] > MAX_TICK_LAG_S
    town.stop()
