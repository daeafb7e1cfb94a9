"""Builders shared by the transport tests: a town on a Clock, in-memory WebSocket and HTTP clients.

Nothing here opens a socket or sleeps. WebSocket peers are an autobahn client protocol and the
real GameProtocol joined by twisted.test.iosim transports and pumped by hand; autobahn's timers
(txaio) run on the test's Clock. HTTP goes through treq's StubTreq into the Klein resources.
"""

from __future__ import annotations

import orjson
import pytest
import txaio
from autobahn.twisted.websocket import WebSocketClientFactory, WebSocketClientProtocol
from treq.testing import StubTreq
from twisted.internet.address import IPv4Address
from twisted.internet.task import Clock
from twisted.python.failure import Failure
from twisted.test import iosim
from twisted.web.resource import Resource

from clawtown.engine.game import Game
from clawtown.engine.ids import Mint, hash_secret
from clawtown.engine.inbox import Inbox
from clawtown.engine.ratelimit import RateLimiter
from clawtown.engine.sessions import SessionRegistry
from clawtown.engine.sync import SyncService
from clawtown.engine.ticker import TickService
from clawtown.sim.model import Player
from clawtown.sim.world import World
from clawtown.store.memory import MemoryStore
from clawtown.store.runner import SyncRunner
from clawtown.web.api import TownApi
from clawtown.web.debug import DebugActions
from clawtown.web.ws import make_ws_factory

TOKEN = "cts_" + "k" * 43
# A hair over one tick: float sums on the Clock never stop just short of the loops' due times.
TICK_S = 0.05 + 1e-9
SERVER_ADDRESS = IPv4Address("TCP", "127.0.0.1", 8080)


def fired(d):
    """The result of a Deferred that must have fired already (raises its failure)."""
    got = []
    d.addBoth(got.append)
    assert got, "the Deferred has not fired"
    if isinstance(got[0], Failure):
        got[0].raiseException()
    return got[0]


class Town:
    """The engine on one Clock: world, game, store, sessions, limiter, tick and sync services."""

    def __init__(self, seed: object = 4, inbox: Inbox | None = None) -> None:
        self.clock = Clock()
        self.world = World(seed=seed, now=0)
        self.game = Game(self.world, inbox or Inbox(), self.clock)
        self.store = MemoryStore(clock=self.clock.seconds)
        self.runner = SyncRunner(lambda: self.store)
        self.runner.start()
        self.sessions = SessionRegistry()
        self.limiter = RateLimiter(self.clock)
        self.mint = Mint()
        self.sync = SyncService(self.game, self.sessions, self.runner, self.clock)
        self.ticker = TickService(self.game, self.clock)
        self.started = False

    def start(self) -> None:
        self.ticker.startService()
        self.sync.startService()
        self.started = True

    def stop(self) -> None:
        if self.started:
            self.ticker.stopService()
            self.sync.stopService()
            self.started = False

    def advance(self, ticks: int = 2) -> None:
        """Let the clock run `ticks` ticks (the sync loop runs every second tick)."""
        assert self.started, "start() the services first"
        for _ in range(ticks):
            self.clock.advance(TICK_S)

    def store_player(self, pid: str = "p_ann", name: str = "Ann", token: str = TOKEN, **fields) -> dict:
        """A character saved earlier, whose session token is `token` (only its hash is kept)."""
        record = Player(id=pid, name=name, session_hash=hash_secret(token), **fields).to_record()
        self.store.save_batch(players=[record])
        return record


# ---- WebSocket -------------------------------------------------------------------------
class _ClientProtocol(WebSocketClientProtocol):
    def onOpen(self):
        self.factory.peer.opened = True

    def onMessage(self, payload, isBinary):
        self.factory.peer.messages.append(orjson.loads(payload))

    def onClose(self, wasClean, code, reason):
        self.factory.peer.closed = (code, reason)


class WsPeer:
    """A browser tab: an autobahn client joined to one server GameProtocol in memory."""

    def __init__(self, ws: "WsTown", token: str | None, client_host: str = "127.0.0.1", port: int = 40000) -> None:
        query = "" if token is None else f"?token={token}"
        factory = WebSocketClientFactory(f"ws://127.0.0.1:8080/ws{query}", reactor=ws.town.clock)
        factory.protocol = _ClientProtocol
        factory.peer = self
        self.messages: list[dict] = []
        self.opened = False
        self.closed: tuple | None = None
        client_address = IPv4Address("TCP", client_host, port)
        self.server = ws.factory.buildProtocol(client_address)
        self.client = factory.buildProtocol(SERVER_ADDRESS)
        self.pump = iosim.connect(
            self.server, iosim.FakeTransport(self.server, True, SERVER_ADDRESS, client_address),
            self.client, iosim.FakeTransport(self.client, False, client_address, SERVER_ADDRESS),
            clock=ws.town.clock,
        )

    def flush(self) -> None:
        self.pump.flush(advanceClock=False)

    def send(self, frame: dict | None = None, raw: bytes | None = None, binary: bool = False, **fields) -> None:
        payload = raw if raw is not None else orjson.dumps(frame if frame is not None else fields)
        self.client.sendMessage(payload, isBinary=binary)
        self.flush()

    def close(self, code: int = 1000) -> None:
        self.client.sendClose(code)
        self.flush()

    def of_type(self, t: str) -> list[dict]:
        return [m for m in self.messages if m["t"] == t]

    def errors(self) -> list[tuple]:
        return [(m["code"], m.get("re")) for m in self.of_type("error")]


class WsTown:
    """A Town plus the real WebSocket factory of the server."""

    def __init__(self, town: Town) -> None:
        self.town = town
        self.factory = make_ws_factory(town.game, town.sessions, town.runner, town.limiter, town.mint)
        self.peers: list[WsPeer] = []

    def connect(self, token: str | None = TOKEN, **kw) -> WsPeer:
        peer = WsPeer(self, token, **kw)
        self.peers.append(peer)
        return peer

    def step(self, ticks: int = 2) -> None:
        """Run the engine (ticks then sync rounds) and deliver what was sent."""
        for _ in range(ticks):
            self.town.clock.advance(TICK_S)
            self.town.game.tick()
        self.town.sync.round()
        for peer in self.peers:
            peer.flush()


@pytest.fixture
def town() -> Town:
    return Town()


@pytest.fixture
def ws(town, monkeypatch) -> WsTown:
    """autobahn's timers (handshake, ping, close) run on the town's Clock, not on the global reactor."""
    monkeypatch.setattr(txaio.config, "loop", town.clock)
    return WsTown(town)


# ---- HTTP ------------------------------------------------------------------------------
class FromHost(Resource):
    """A root that makes every request look as if it came from `host` (StubTreq's is fixed)."""

    def __init__(self, inner: Resource, host: str) -> None:
        super().__init__()
        self.inner = inner
        self.host = host

    def getChildWithDefault(self, path, request):
        request.client = IPv4Address("TCP", self.host, 51000)
        return self.inner.getChildWithDefault(path, request)


class Http:
    """StubTreq against /api (TownApi) and /health (HealthApi), with the engine driven between."""

    def __init__(self, town: Town, root: Resource) -> None:
        self.town = town
        self.stub = StubTreq(root)

    def request(self, method: str, path: str, max_ticks: int = 20, **kw):
        """(status, JSON body, headers); runs ticks and sync rounds until the answer is complete."""
        d = self.stub.request(method, "http://127.0.0.1:8080" + path, **kw)
        got: list = []
        d.addBoth(got.append)
        for _ in range(max_ticks):
            self.stub.flush()
            if got:
                break
            if self.town.started:
                self.town.advance(1)
        self.stub.flush()
        assert got, f"no answer to {method} {path}"
        if isinstance(got[0], Failure):
            got[0].raiseException()
        response = got[0]
        body = self.stub.content(response)
        self.stub.flush()
        raw = fired(body)
        return response.code, orjson.loads(raw), response.headers

    def get(self, path: str, **kw):
        return self.request("GET", path, **kw)

    def post(self, path: str, body=None, raw: bytes | None = None, **kw):
        data = raw if raw is not None else (orjson.dumps(body) if body is not None else None)
        headers = {b"content-type": [b"application/json"]}
        return self.request("POST", path, data=data, headers=headers, **kw)


def api_root(town: Town, debug: bool = False, health=None) -> Resource:
    api = TownApi(town.game, town.mint, town.limiter, town.clock, DebugActions(town.game, town.sync) if debug else None)
    root = Resource()
    root.putChild(b"api", api.app.resource())
    if health is not None:
        root.putChild(b"health", health.app.resource())
    return root


@pytest.fixture
def http(town):
    town.start()
    yield Http(town, api_root(town))
    town.stop()


@pytest.fixture
def debug_http(town):
    town.start()
    yield Http(town, api_root(town, debug=True))
    town.stop()


@pytest.fixture
def make_http(town):
    """Http over a custom root: make_http(root_resource)."""
    return lambda root: Http(town, root)


@pytest.fixture
def from_host():
    """from_host(api, host): a root serving `api` under /api as if every client were `host`."""

    def build(api, host: str) -> Resource:
        inner = Resource()
        inner.putChild(b"api", api.app.resource())
        return FromHost(inner, host)

    return build
