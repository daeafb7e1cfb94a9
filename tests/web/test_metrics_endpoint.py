"""GET /metrics on the real root (build_root), REST counters by route template, WebSocket refusals.

HTTP goes through StubTreq into the same resources the server mounts; the engine runs on the
test's Clock (tests/web/conftest.py).
"""

from __future__ import annotations

import orjson
import pytest
from treq.testing import StubTreq
from twisted.internet.error import ConnectionDone
from twisted.python.failure import Failure
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET
from twisted.web.test.requesthelper import DummyRequest

from clawtown.engine.bots import BotAccess
from clawtown.engine.chatlog import ChatLog
from clawtown.engine.metrics import (
    CONTENT_TYPE,
    Metrics,
    parse,
    register_engine_metrics,
    register_process_metrics,
)
from clawtown.web.api import TownApi
from clawtown.web.baseurl import BaseUrl
from clawtown.web.bot_api import RULES as BOT_RULES
from clawtown.web.bot_api import BotApi
from clawtown.web.health import HealthApi
from clawtown.web.metrics import HttpMetrics, TimedResource, register_web_metrics
from clawtown.web.site import build_root
from clawtown.web.ws import make_ws_factory

START_S = 1_700_000_000.0


def value(samples: dict, name: str, **labels) -> float:
    return samples[name].get(tuple(sorted(labels.items())), 0)


class Server:
    """The town behind the server's own root: /api (with the bot API), /health, /ws and /metrics."""

    def __init__(self, town) -> None:
        self.town = town
        self.metrics = Metrics()
        access = BotAccess(town.game, town.runner, town.mint)
        access.server_key = b"k" * 32
        base_url = BaseUrl(None)
        bots = BotApi(town.game, access, town.limiter, ChatLog(), town.mint, town.clock, base_url, sync=town.sync)
        api = TownApi(town.game, town.mint, town.limiter, town.clock, bots=bots, access=access, base_url=base_url)
        health = HealthApi(lambda: {"started": True, "tickLagS": 0.0, "storeOk": True})
        self.ws_factory = make_ws_factory(town.game, town.sessions, town.runner, town.limiter, town.mint)
        register_engine_metrics(self.metrics, town.game, town.sync, town.sessions)
        register_web_metrics(self.metrics, town.limiter, self.ws_factory, bots)
        self.bots = bots
        register_process_metrics(self.metrics)
        self.stub = StubTreq(build_root(api, health, self.ws_factory, metrics=self.metrics))

    def fetch(self, method: str, path: str, body=None, token: str | None = None, max_ticks: int = 40):
        """(status, headers, raw body), running the engine until the answer is complete."""
        headers = {b"content-type": [b"application/json"]}
        if token:
            headers[b"authorization"] = [f"Bearer {token}".encode()]
        data = orjson.dumps(body) if body is not None else None
        d = self.stub.request(method, "http://127.0.0.1:8080" + path, data=data, headers=headers)
        got: list = []
        d.addCallback(lambda response: self.stub.content(response).addCallback(lambda raw: (response, raw)))
        d.addBoth(got.append)
        for _ in range(max_ticks):
            self.stub.flush()
            if got:
                break
            self.town.advance(1)
        assert got, f"no answer to {method} {path}"
        if isinstance(got[0], Failure):
            got[0].raiseException()
        response, raw = got[0]
        return response.code, response.headers, raw

    def json(self, method: str, path: str, body=None, token: str | None = None):
        code, _, raw = self.fetch(method, path, body, token)
        return code, orjson.loads(raw)

    def scrape(self) -> dict:
        code, _headers, raw = self.fetch("GET", "/metrics")
        assert code == 200
        return parse(raw.decode("utf-8"))

    def linked_bot(self, name: str = "Ann") -> tuple[str, str]:
        """(session token, bot token) of a new character with a linked bot."""
        code, created = self.json("POST", "/api/players", {"name": name})
        assert code == 200, created
        code, minted = self.json("POST", "/api/join-codes", {}, token=created["sessionToken"])
        assert code == 200, minted
        code, linked = self.json("POST", "/api/bot/link", {"joinToken": minted["joinToken"]})
        assert code == 200, linked
        return created["sessionToken"], linked["botToken"]


@pytest.fixture
def server(town):
    town.clock.advance(START_S)
    town.start()
    yield Server(town)
    town.stop()


# ---- the page --------------------------------------------------------------------------
def test_metrics_is_served_as_prometheus_text(server):
    server.town.advance(2)
    code, headers, raw = server.fetch("GET", "/metrics")
    assert code == 200
    assert headers.getRawHeaders(b"content-type") == [CONTENT_TYPE]
    assert CONTENT_TYPE == b"text/plain; version=0.0.4; charset=utf-8"
    assert headers.getRawHeaders(b"cache-control") == [b"no-store"]
    text = raw.decode("utf-8")
    assert "# TYPE clawtown_tick_duration_seconds histogram" in text
    assert "# TYPE clawtown_http_requests_total counter" in text
    samples = parse(text)
    assert samples["clawtown_ticks_total"][()] == server.town.game.ticks > 0
    assert samples["process_resident_memory_bytes"][()] > 0


def test_metrics_answers_only_get_and_head(server):
    assert server.fetch("HEAD", "/metrics")[0] == 200
    code, headers, raw = server.fetch("POST", "/metrics")
    assert (code, orjson.loads(raw)) == (405, {"ok": False, "error": "method not allowed"})
    assert headers.getRawHeaders(b"allow") == [b"GET, HEAD"]


def test_metrics_carries_no_names_or_secrets(server):
    session, bot = server.linked_bot("Zelda")
    raw = server.fetch("GET", "/metrics")[2]
    text = raw.decode()
    [player_id] = server.town.world.players
    for secret in ("Zelda", session, bot, player_id):
        assert secret not in text


# ---- REST ------------------------------------------------------------------------------
def test_rest_requests_are_counted_by_route_template_method_and_status(server):
    _session, bot = server.linked_bot()
    assert server.fetch("GET", "/api/bot/world", token=bot)[0] == 200
    assert server.fetch("GET", "/api/bot/world", token="ctb_wrong")[0] == 401
    assert server.fetch("GET", "/api/avatars/p_someone.png")[0] == 404
    assert server.fetch("GET", "/api/no-such-route")[0] == 404
    assert server.fetch("GET", "/api/bot/no-such-route", token=bot)[0] == 404
    assert server.fetch("GET", "/health/live")[0] == 200
    assert server.fetch("DELETE", "/api/players")[0] == 405
    samples = server.scrape()
    total = "clawtown_http_requests_total"
    assert value(samples, total, route="/api/players", method="POST", status="200") == 1
    assert value(samples, total, route="/api/join-codes", method="POST", status="200") == 1
    assert value(samples, total, route="/api/bot/link", method="POST", status="200") == 1
    assert value(samples, total, route="/api/bot/world", method="GET", status="200") == 1
    assert value(samples, total, route="/api/bot/world", method="GET", status="401") == 1
    assert value(samples, total, route="/api/avatars/<string:name>", method="GET", status="404") == 1
    assert value(samples, total, route="other", method="GET", status="404") == 2
    assert value(samples, total, route="/health/live", method="GET", status="200") == 1
    assert value(samples, total, route="other", method="DELETE", status="405") == 1
    routes = {dict(labels)["route"] for labels in samples[total]}
    assert routes == {"/api/players", "/api/join-codes", "/api/bot/link", "/api/bot/world",
                      "/api/avatars/<string:name>", "/health/live", "other"}  # never a raw path
    count = "clawtown_http_request_duration_seconds_count"
    assert value(samples, count, route="/api/bot/world") == 2
    assert value(samples, "clawtown_http_request_duration_seconds_bucket", route="/api/bot/world", le="+Inf") == 2
    assert value(samples, count, route="other") == 3
    assert "/metrics" not in routes  # the scrape itself is not a REST request


def test_a_strange_method_is_labelled_other(server):
    assert server.fetch("BREW", "/api/players")[0] == 405
    samples = server.scrape()
    assert value(samples, "clawtown_http_requests_total", route="other", method="other", status="405") == 1


def test_rest_rate_limit_refusals_are_counted_in_the_rest_scope(server):
    _session, bot = server.linked_bot()
    codes = [server.fetch("GET", "/api/bot/me", token=bot)[0] for _ in range(BOT_RULES["me"].burst + 1)]
    assert codes[-1] == 429
    samples = server.scrape()
    limited = codes.count(429)
    assert value(samples, "clawtown_rate_limited_total", scope="rest") == limited == server.town.limiter.denied
    assert value(samples, "clawtown_rate_limited_total", scope="ws") == 0
    assert value(samples, "clawtown_http_requests_total", route="/api/bot/me", method="GET", status="429") == limited


def test_the_duration_is_arrival_to_answer():
    registry = Metrics()
    now = [10.0]
    http = HttpMetrics(registry, timer=lambda: now[0])

    class Slow(Resource):
        isLeaf = True

        def render_GET(self, request):
            now[0] += 0.3  # the answer takes 300 ms
            request.write(b"ok")
            request.finish()
            return NOT_DONE_YET

    root = Resource()
    root.putChild(b"x", http.wrap(Slow()))
    stub = StubTreq(root)
    got = []
    stub.get("http://127.0.0.1/x").addCallback(stub.content).addCallback(got.append)
    stub.flush()
    assert got == [b"ok"]
    samples = parse(registry.render().decode())
    assert samples["clawtown_http_request_duration_seconds_sum"] == {(("route", "other"),): pytest.approx(0.3)}
    assert value(samples, "clawtown_http_request_duration_seconds_bucket", route="other", le="0.25") == 0
    assert value(samples, "clawtown_http_request_duration_seconds_bucket", route="other", le="0.5") == 1
    assert value(samples, "clawtown_http_requests_total", route="other", method="GET", status="200") == 1


def test_a_client_that_goes_away_is_counted_as_499():
    registry = Metrics()
    http = HttpMetrics(registry)

    class Pending(Resource):
        isLeaf = True

        def render_GET(self, request):
            return NOT_DONE_YET

    request = DummyRequest([b"x"])
    assert TimedResource(Pending(), http).render(request) == NOT_DONE_YET
    request.processingFailed(Failure(ConnectionDone()))
    samples = parse(registry.render().decode())
    assert value(samples, "clawtown_http_requests_total", route="other", method="GET", status="499") == 1


def test_a_wrapped_non_leaf_resource_still_routes_to_its_children():
    registry = Metrics()
    inner = Resource()

    class Leaf(Resource):
        isLeaf = True

        def render_GET(self, request):
            return b"leaf"

    inner.putChild(b"leaf", Leaf())
    root = Resource()
    root.putChild(b"x", HttpMetrics(registry).wrap(inner))
    stub = StubTreq(root)
    d = stub.get("http://127.0.0.1/x/leaf").addCallback(stub.content)
    stub.flush()
    got = []
    d.addCallback(got.append)
    assert got == [b"leaf"]
    assert value(parse(registry.render().decode()), "clawtown_http_requests_total",
                 route="other", method="GET", status="200") == 1


# ---- WebSocket -------------------------------------------------------------------------
@pytest.fixture
def metered_ws(ws):
    registry = Metrics()
    register_engine_metrics(registry, ws.town.game, ws.town.sync, ws.town.sessions)
    register_web_metrics(registry, ws.town.limiter, ws.factory)
    ws.metrics = registry
    return ws


def test_refused_and_rate_limited_frames_are_counted(metered_ws):
    ws = metered_ws
    ws.town.store_player()
    peer = ws.connect()
    ws.step()
    samples = parse(ws.metrics.render().decode())
    assert samples["clawtown_connections"][()] == 1
    assert value(samples, "clawtown_players_online", instance="town#1", map="town") == 1
    assert samples["clawtown_ws_frames_refused_total"][()] == 0
    peer.send(raw=b"{not json")
    for _ in range(4):  # chat allows 3 at once
        peer.send(t="chat", text="hi")
    assert [code for code, _ in peer.errors()] == ["bad_json", "rate_limited"]
    samples = parse(ws.metrics.render().decode())
    assert samples["clawtown_ws_frames_refused_total"][()] == 2
    assert value(samples, "clawtown_rate_limited_total", scope="ws") == 1
    assert value(samples, "clawtown_rate_limited_total", scope="rest") == 0
    peer.close()
    assert parse(ws.metrics.render().decode())["clawtown_connections"][()] == 0


def test_shed_bot_calls_are_counted(server):
    server.bots.overloaded = lambda: True
    for _ in range(3):
        code, _headers, _raw = server.fetch("GET", "/api/bot/world")
        assert code == 503
    assert value(server.scrape(), "clawtown_bot_calls_shed_total") == 3 == server.bots.shed
