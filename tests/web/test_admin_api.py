"""The admin API under /api/admin/ (AdminApi through TownApi's branch), through StubTreq on a Clock."""

from __future__ import annotations

import orjson
import pytest
from twisted.web.resource import Resource

from clawtown.engine.bots import BotAccess
from clawtown.ops.admin_token import derive_admin_token
from clawtown.sim.events import ChatLine
from clawtown.web.admin_api import (
    BOT_ONLINE_MS,
    CLOSE_KICKED,
    FAILURE_RULE,
    AdminApi,
    percentile,
)
from clawtown.web.api import TownApi

TOKEN = "cts_" + "k" * 43  # the session token of conftest.Town.store_player
KEY = bytes(range(32))
ADMIN = derive_admin_token(KEY)


class Ready:
    ready = True


class Admin:
    """A town with the admin API mounted, WebSocket peers, and helpers to call it."""

    def __init__(self, ws, make_http, from_host) -> None:
        self.ws = ws
        self.make_http = make_http
        self.from_host = from_host
        self.town = town = ws.town
        self.access = BotAccess(town.game, town.runner, town.mint)
        self.access.server_key = KEY
        self.server = Ready()
        self.api = AdminApi(town.game, town.sessions, self.access, town.sync, town.limiter, town.clock,
                            server=self.server, tick=town.ticker)
        self.town_api = TownApi(town.game, town.mint, town.limiter, town.clock, admin=self.api)
        root = Resource()
        root.putChild(b"api", self.town_api.app.resource())
        self.root = root
        self.http = make_http(root)

    def call(self, method: str, path: str, body=None, token: str | None = ADMIN, host: str | None = None):
        headers = {b"content-type": [b"application/json"]}
        if token is not None:
            headers[b"authorization"] = [f"Bearer {token}".encode()]
        http = self.http if host is None else self.make_http(self.from_host(self.town_api, host))
        data = orjson.dumps(body) if body is not None else None
        status, answer, _ = http.request(method, "/api/admin/" + path, data=data, headers=headers)
        return status, answer

    def connect(self, pid: str = "p_ann", name: str = "Ann", token: str = TOKEN, port: int = 40000):
        self.town.store_player(pid=pid, name=name, token=token)
        peer = self.ws.connect(token, port=port)
        self.step()
        assert peer.of_type("hello"), peer.messages
        return peer

    def step(self, ticks: int = 2) -> None:
        self.town.advance(ticks)
        for peer in self.ws.peers:
            peer.flush()


@pytest.fixture
def admin(ws, make_http, from_host):
    ws.town.start()
    yield Admin(ws, make_http, from_host)
    ws.town.stop()


# ---- authentication ----------------------------------------------------------------------
@pytest.mark.parametrize("token", [None, "", "ctadm_wrong", ADMIN + "x", derive_admin_token(b"\x01" * 32), "é" * 10])
def test_a_missing_or_wrong_admin_token_is_401(admin, token):
    for method, path in (("GET", "status"), ("GET", "online"), ("POST", "announce"), ("POST", "kick"),
                         ("POST", "forget-tokens")):
        body = {"text": "x", "player": "Ann", "playerId": "p_ann"} if method == "POST" else None
        assert admin.call(method, path, body, token=token, host=f"198.51.100.{len(path)}") == \
            (401, {"ok": False, "error": "bad admin token"})
    assert admin.town.game.inbox.accepted == 0


def test_other_bearer_tokens_are_not_admin_tokens(admin):
    assert admin.call("GET", "status", token=TOKEN)[0] == 401
    assert admin.call("GET", "status", token=f"{ADMIN}")[0] == 200


def test_the_token_follows_the_server_key(admin):
    admin.access.server_key = b"\x02" * 32
    assert admin.call("GET", "status")[0] == 401
    assert admin.call("GET", "status", token=derive_admin_token(b"\x02" * 32))[0] == 200


def test_before_the_key_is_loaded_the_api_answers_503(admin):
    admin.access.server_key = None
    status, answer = admin.call("GET", "status")
    assert status == 503 and answer["error"] == "server is starting, try again" and answer["retryInMs"] > 0


def test_failures_are_rate_limited_per_address(admin):
    for _ in range(FAILURE_RULE.burst):
        assert admin.call("GET", "status", token="nope", host="203.0.113.9")[0] == 401
    status, answer = admin.call("GET", "status", token="nope", host="203.0.113.9")
    assert status == 429 and answer["retryInMs"] >= 50
    # While blocked, even the right token is refused from that address (no guessing under the limit) ...
    assert admin.call("GET", "status", host="203.0.113.9")[0] == 429
    # ... but other addresses are not affected, and successes never count.
    assert admin.call("GET", "status", host="203.0.113.10")[0] == 200
    for _ in range(30):
        assert admin.call("GET", "status")[0] == 200
    admin.town.clock.advance(answer["retryInMs"] / 1000 + 0.01)
    assert admin.call("GET", "status", host="203.0.113.9")[0] == 200


def test_admin_routes_404_when_no_admin_api_is_mounted(town, make_http):
    town.start()
    root = Resource()
    root.putChild(b"api", TownApi(town.game, town.mint, town.limiter, town.clock).app.resource())
    status, answer, _ = make_http(root).get("/api/admin/status")
    assert (status, answer) == (404, {"ok": False, "error": "not found"})
    town.stop()


def test_unknown_admin_routes_and_methods_are_json_errors(admin):
    assert admin.call("GET", "nowhere") == (404, {"ok": False, "error": "not found"})
    assert admin.call("GET", "announce") == (405, {"ok": False, "error": "method not allowed"})


# ---- announce ----------------------------------------------------------------------------
def test_announce_reaches_every_socket_as_a_global_system_line(admin):
    ann = admin.connect()
    bo = admin.connect(pid="p_bo", name="Bo", token="cts_" + "b" * 43, port=40001)
    for peer in (ann, bo):
        peer.messages.clear()
    status, answer = admin.call("POST", "announce", {"text": "  Maintenance\nat noon  "})
    assert status == 200 and answer == {"ok": True, "text": "Maintenance at noon", "connections": 2}
    admin.step()
    for peer in (ann, bo):
        lines = [line for m in peer.of_type("chat") for line in m["lines"]]
        assert [(line["scope"], line["kind"], line["from"]["name"], line["text"]) for line in lines] == \
            [("global", "system", "Town", "Maintenance at noon")]


def test_announce_is_kept_for_bots_reading_chat(admin):
    seen = []
    admin.town.game.listeners.append(seen.extend)
    assert admin.call("POST", "announce", {"text": "hello bots"})[0] == 200
    lines = [e for e in seen if isinstance(e, ChatLine)]
    assert [(e.scope, e.text) for e in lines] == [("global", "hello bots")]


@pytest.mark.parametrize("body, error", [
    ({}, "text required"),
    ({"text": "   "}, "text required"),
    ({"text": 5}, "text required"),
    ({"text": "x" * 281}, "text too long (at most 280 characters)"),
])
def test_announce_refuses_bad_text_and_changes_nothing(admin, body, error):
    assert admin.call("POST", "announce", body) == (400, {"ok": False, "error": error})
    assert admin.town.game.inbox.accepted == 0


def test_announce_needs_a_json_body(admin):
    assert admin.call("POST", "announce") == (400, {"ok": False, "error": "missing JSON body"})


# ---- kick --------------------------------------------------------------------------------
def test_kick_by_id_closes_every_socket_of_the_player_with_4003(admin):
    first = admin.connect()
    second = admin.ws.connect(TOKEN, port=40002)
    other = admin.connect(pid="p_bo", name="Bo", token="cts_" + "b" * 43, port=40001)
    admin.step()
    status, answer = admin.call("POST", "kick", {"player": "p_ann"})
    assert (status, answer) == (200, {"ok": True, "playerId": "p_ann", "name": "Ann", "closed": 2})
    admin.step()
    assert first.closed == (CLOSE_KICKED, "kicked") and second.closed == (CLOSE_KICKED, "kicked")
    assert other.closed is None
    assert not admin.town.sessions.online("p_ann") and admin.town.sessions.online("p_bo")


def test_kick_by_name_is_case_insensitive(admin):
    peer = admin.connect()
    assert admin.call("POST", "kick", {"player": " aNN "})[1]["playerId"] == "p_ann"
    admin.step()
    assert peer.closed[0] == CLOSE_KICKED


def test_kicking_a_name_two_online_players_share_asks_for_the_id(admin):
    admin.connect()
    admin.connect(pid="p_ann2", name="Ann", token="cts_" + "c" * 43, port=40001)
    status, answer = admin.call("POST", "kick", {"player": "Ann"})
    assert status == 409 and answer["playerIds"] == ["p_ann", "p_ann2"]
    assert len(admin.town.sessions) == 2


@pytest.mark.parametrize("who", ["p_nobody", "Nobody"])
def test_kicking_an_unknown_player_is_404(admin, who):
    admin.connect()
    assert admin.call("POST", "kick", {"player": who}) == (404, {"ok": False, "error": "player not online"})
    assert len(admin.town.sessions) == 1


def test_kicking_a_player_without_a_socket_is_404(admin):
    peer = admin.connect()
    peer.close()
    admin.step()
    assert "p_ann" in admin.town.world.players  # still in the world, but offline
    assert admin.call("POST", "kick", {"player": "Ann"}) == (404, {"ok": False, "error": "player not online"})


@pytest.mark.parametrize("body", [{}, {"player": ""}, {"player": 3}, {"player": "x" * 201}])
def test_kick_needs_a_player(admin, body):
    assert admin.call("POST", "kick", body) == (400, {"ok": False, "error": "player required (id or name)"})


# ---- forget-tokens -----------------------------------------------------------------------
def test_forget_tokens_drops_the_cached_bot_tokens_of_that_player_only(admin):
    admin.access._remember(admin.access._tokens, "h1", ("p_ann", 10**12), 100)
    admin.access._remember(admin.access._tokens, "h2", ("p_bo", 10**12), 100)
    assert admin.call("POST", "forget-tokens", {"playerId": "p_ann"}) == (200, {"ok": True, "playerId": "p_ann"})
    assert list(admin.access._tokens) == ["h2"]


def test_forget_tokens_needs_a_player_id(admin):
    assert admin.call("POST", "forget-tokens", {}) == (400, {"ok": False, "error": "playerId required"})


# ---- status and online -------------------------------------------------------------------
def test_status_reports_health_players_per_map_and_lags(admin):
    admin.connect()
    admin.step(10)
    status, s = admin.call("GET", "status")
    assert status == 200 and s["ok"] is True and s["ready"] is True
    assert s["time"].endswith("Z")
    assert s["tickLagS"] >= 0 and s["ticks"] > 0
    assert set(s["tickMs"]) == {"p50", "p99"} and 0 <= s["tickMs"]["p50"] <= s["tickMs"]["p99"]
    assert s["storeLagMs"] == 0 and s["storeOk"] is True and s["commitFailures"] == 0
    assert s["connections"] == 1 and s["playersOnline"] == 1 and s["playersInWorld"] == 1
    town = [row for row in s["instances"] if row["instance"] == "town#1"]
    assert town == [{"instance": "town#1", "map": "town", "channel": 1, "online": 1, "population": 1}]
    assert s["inbox"] == {"length": 0, "drops": 0}


def test_status_shows_not_ready_and_a_growing_store_lag(admin, monkeypatch):
    from twisted.internet.defer import Deferred

    admin.connect()
    admin.server.ready = False
    stuck = Deferred()
    monkeypatch.setattr(admin.town.runner, "run", lambda fn: stuck)
    admin.town.world.progressed(admin.town.world.players["p_ann"])
    admin.step(2)
    admin.town.clock.advance(0.25)
    s = admin.call("GET", "status")[1]
    assert s["ready"] is False and s["storeLagMs"] >= 250
    stuck.callback(None)
    assert admin.town.sync.store_lag_ms() == 0


def test_status_counts_inbox_drops(admin):
    admin.town.game.inbox.dropped = 7
    assert admin.call("GET", "status")[1]["inbox"]["drops"] == 7


def test_online_lists_sockets_and_recently_active_bots(admin):
    admin.connect()
    world = admin.town.world
    admin.town.store_player(pid="p_bot", name="Botty", token="cts_" + "d" * 43)
    from clawtown.sim import commands as c
    record = admin.town.store.get_player("p_bot")
    admin.town.game.submit(c.Activate(player_id="p_bot", record=record, online=False))
    admin.town.game.submit(c.BotSeen(player_id="p_bot"))
    admin.step()
    status, answer = admin.call("GET", "online")
    assert status == 200
    assert answer["players"] == [
        {"id": "p_ann", "name": "Ann", "map": "town", "channel": 1, "level": 1, "sockets": 1, "bot": False},
        {"id": "p_bot", "name": "Botty", "map": "town", "channel": 1, "level": 1, "sockets": 0, "bot": True},
    ]
    admin.town.clock.advance(BOT_ONLINE_MS / 1000 + 1)
    assert [p["id"] for p in admin.call("GET", "online")[1]["players"]] == ["p_ann"]
    assert "p_bot" in world.players


def test_percentile():
    assert percentile([], 0.5) == 0.0
    assert percentile([3.0, 1.0, 2.0], 0.5) == 2.0
    assert percentile([float(i) for i in range(101)], 0.99) == 99.0


# ---- audit trail -------------------------------------------------------------------------
def audit_trail(admin) -> list[tuple]:
    return [(e["actor"], e["action"], e["subject"], e["detail"]) for e in admin.town.store.list_audit()]


def test_each_admin_action_is_one_audit_entry(admin):
    admin.connect()
    assert admin.call("POST", "announce", {"text": "Maintenance at noon"})[0] == 200
    assert admin.call("POST", "kick", {"player": "ann"})[0] == 200
    admin.step()
    assert admin.call("POST", "forget-tokens", {"playerId": " p_ann "})[0] == 200
    assert audit_trail(admin) == [
        ("admin-api", "admin.announce", None, {"text": "Maintenance at noon"}),
        ("admin-api", "admin.kick", "p_ann", {"name": "Ann", "closed": 1}),
        ("admin-api", "admin.forget-tokens", "p_ann", None),
    ]
    trail = orjson.dumps(admin.town.store.list_audit()).decode()
    assert ADMIN not in trail and TOKEN not in trail


def test_refused_admin_calls_and_reads_are_not_audited(admin):
    assert admin.call("POST", "announce", {"text": "hi"}, token="ctadm_wrong")[0] == 401
    assert admin.call("POST", "kick", {"player": "Nobody"})[0] == 404
    assert admin.call("POST", "announce", {"text": ""})[0] == 400
    assert admin.call("GET", "status")[0] == 200
    assert admin.call("GET", "online")[0] == 200
    assert audit_trail(admin) == []
