"""An in-process town for the bot REST API: engine on a Clock, MemoryStore, StubTreq over /api.

Nothing opens a socket or sleeps. Requests go through treq's StubTreq into TownApi's Klein
resource (so /api/bot/* is reached through TownApi's branch route, as in production); while an
answer is pending the helper advances the Clock one tick at a time, so TickService and
SyncService run and the command behind the request is applied and committed.
"""

from __future__ import annotations

import orjson
import pytest
from treq.testing import StubTreq
from twisted.internet.defer import ensureDeferred
from twisted.internet.task import Clock
from twisted.python.failure import Failure
from twisted.web.resource import Resource

from clawtown.engine.bots import BotAccess
from clawtown.engine.chatlog import ChatLog
from clawtown.engine.game import Game
from clawtown.engine.ids import Mint
from clawtown.engine.images import MapImages
from clawtown.engine.inbox import Inbox
from clawtown.engine.ratelimit import RateLimiter
from clawtown.engine.sessions import SessionRegistry
from clawtown.engine.sync import SyncService
from clawtown.engine.ticker import TickService
from clawtown.sim import commands as c
from clawtown.sim.world import World
from clawtown.store.memory import MemoryStore
from clawtown.store.runner import SyncRunner
from clawtown.web.api import TownApi
from clawtown.web.baseurl import BaseUrl
from clawtown.web.bot_api import BotApi
from clawtown.web.debug import DebugActions

BASE = "http://127.0.0.1:8080"
START_S = 1_700_000_000.0
"""The Clock starts at a realistic epoch (ISO times, expiry arithmetic far from zero)."""
TICK_S = 0.05 + 1e-9
"""A hair over one tick, so float sums on the Clock never stop just short of a loop's due time."""
SERVER_KEY = b"k" * 32

ROUTES = [
    # (method, path under /api/bot/, a valid body, rate-limit rule)
    ("GET", "me", None, "me"),
    ("GET", "status", None, "status"),
    ("GET", "world", None, "world"),
    ("GET", "events", None, "events"),
    ("GET", "map.png", None, "map"),
    ("GET", "minimap.png", None, "minimap"),
    ("POST", "mode", {"mode": "agent"}, "mode"),
    ("POST", "goal", {"x": 300, "y": 300}, "goal"),
    ("POST", "cast", {"spell": "signature"}, "cast"),
    ("POST", "intent", {"text": "hunting porings"}, "intent"),
    ("POST", "chat", {"text": "hello town"}, "chat"),
    ("POST", "thought", {"text": "thinking"}, "thought"),
    ("POST", "interrupt", {"level": "mentions"}, "interrupt"),
    ("POST", "hat-result", {"job": "mage", "reasons": ["r"], "signature": {"name": "Star", "effect": "blink"}}, "hat"),
    ("POST", "party/create", {}, "party"),
    ("POST", "party/code", {}, "party"),
    ("POST", "party/join", {"code": "ABCDEF"}, "party"),
    ("POST", "party/leave", {}, "party"),
]
"""Every route that needs a bot token."""
ROUTE_IDS = [f"{m} {p}" for m, p, _, _ in ROUTES]


def fired(d):
    """The result of a Deferred (or coroutine) that must have finished already (raises its failure)."""
    d = ensureDeferred(d)
    got = []
    d.addBoth(got.append)
    assert got, "the Deferred has not fired"
    if isinstance(got[0], Failure):
        got[0].raiseException()
    return got[0]


class CountingMint(Mint):
    """Player and party ids in creation order, so a run is the same every time (secrets stay random)."""

    def __init__(self) -> None:
        self.players = 0
        self.parties = 0

    def player_id(self) -> str:
        self.players += 1
        return f"p_player{self.players:04d}"

    def party_id(self) -> str:
        self.parties += 1
        return f"party_{self.parties:04d}"


class InlineThreads:
    """Stands in for MapImages' thread pool and reactor: the render runs inline, on the test's thread."""

    def callInThreadWithCallback(self, on_result, func, *args, **kwargs):
        try:
            result, ok = func(*args, **kwargs), True
        except Exception:  # noqa: BLE001 - like a thread pool, hand any failure to the caller
            result, ok = Failure(), False
        on_result(ok, result)

    def callFromThread(self, func, *args, **kwargs):
        func(*args, **kwargs)

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass


def inline_images(game) -> MapImages:
    """The server's real MapImages (cache, in-flight cap, sizes), rendering inline."""
    images = MapImages(game, InlineThreads())
    images.pool = InlineThreads()
    return images


class Reply:
    """One HTTP answer: status, parsed JSON (or None), raw bytes, headers."""

    def __init__(self, code: int, raw: bytes, headers) -> None:
        self.code = code
        self.raw = raw
        self.headers = headers
        ctype = (headers.getRawHeaders(b"content-type") or [b""])[0]
        self.json = orjson.loads(raw) if ctype.startswith(b"application/json") and raw else None

    def header(self, name: bytes) -> str | None:
        values = self.headers.getRawHeaders(name)
        return values[0].decode() if values else None

    def __iter__(self):  # status, body = reply
        return iter((self.code, self.json))

    def __repr__(self) -> str:
        return f"Reply({self.code}, {self.json if self.json is not None else self.raw[:60]!r})"


class Town:
    """The whole server minus the sockets: engine, store, bot access, TownApi + BotApi on one Clock."""

    def __init__(self, seed: object = 7, images: bool = True, debug: bool = True, public_base_url=None) -> None:
        self.clock = Clock()
        self.clock.advance(START_S)
        self.world = World(seed=seed, now=self.now_ms())
        self.game = Game(self.world, Inbox(), self.clock)
        self.store = MemoryStore(clock=self.clock.seconds)
        self.runner = SyncRunner(lambda: self.store)
        fired(self.runner.start())
        self.sessions = SessionRegistry()
        self.limiter = RateLimiter(self.clock)
        self.mint = CountingMint()
        self.access = BotAccess(self.game, self.runner, self.mint)
        self.access.server_key = SERVER_KEY
        self.chatlog = ChatLog()
        self.game.listeners.append(lambda events: self.chatlog.add(events, self.world))
        self.sync = SyncService(self.game, self.sessions, self.runner, self.clock)
        self.ticker = TickService(self.game, self.clock)
        self.base_url = BaseUrl(public_base_url)
        self.images = inline_images(self.game) if images else None
        self.bots = BotApi(self.game, self.access, self.limiter, self.chatlog, self.mint, self.clock, self.base_url,
                           images=self.images, sync=self.sync)
        self.debug = DebugActions(self.game, self.sync) if debug else None
        self.api = TownApi(self.game, self.mint, self.limiter, self.clock, self.debug, bots=self.bots,
                           access=self.access, base_url=self.base_url)
        root = Resource()
        root.putChild(b"api", self.api.app.resource())
        self.stub = StubTreq(root)
        self.ticker.startService()
        self.sync.startService()

    def stop(self) -> None:
        self.ticker.stopService()
        self.sync.stopService()

    # ---- time --------------------------------------------------------------------------
    def now_ms(self) -> int:
        return int(self.clock.seconds() * 1000)

    def advance(self, ticks: int = 1) -> None:
        """Let game time run `ticks` ticks (TickService every tick, SyncService every second)."""
        for _ in range(ticks):
            self.clock.advance(TICK_S)
            self.stub.flush()

    def run_for(self, seconds: float) -> None:
        self.advance(round(seconds / TICK_S))

    # ---- HTTP --------------------------------------------------------------------------
    def send(self, method: str, path: str, body=None, token: str | None = None, raw: bytes | None = None,
             headers: dict | None = None):
        """Start a request; returns a list that will hold the Reply (see `wait`)."""
        hdrs = {b"content-type": [b"application/json"]}
        if token is not None:
            hdrs[b"authorization"] = [f"Bearer {token}".encode()]
        for k, v in (headers or {}).items():
            hdrs[k.encode() if isinstance(k, str) else k] = [v.encode() if isinstance(v, str) else v]
        data = raw if raw is not None else (orjson.dumps(body) if body is not None else None)
        d = self.stub.request(method, BASE + path, data=data, headers=hdrs)
        box: list = []

        def got(response):
            content = self.stub.content(response)
            content.addCallback(lambda raw_body: Reply(response.code, raw_body, response.headers))
            return content

        d.addCallback(got)
        d.addBoth(box.append)
        return box

    def wait(self, box: list, max_ticks: int = 40) -> Reply:
        """Pump the game until the request in `box` is answered."""
        for _ in range(max_ticks):
            self.stub.flush()
            if box:
                break
            self.advance(1)
        self.stub.flush()
        assert box, "no answer"
        if isinstance(box[0], Failure):
            box[0].raiseException()
        return box[0]

    def request(self, method: str, path: str, body=None, token: str | None = None, **kw) -> Reply:
        return self.wait(self.send(method, path, body, token, **kw))

    def get(self, path: str, token: str | None = None, **kw) -> Reply:
        return self.request("GET", path, token=token, **kw)

    def post(self, path: str, body=None, token: str | None = None, **kw) -> Reply:
        return self.request("POST", path, body, token=token, **kw)

    def burst(self, method: str, path: str, n: int, body=None, token: str | None = None) -> list[Reply]:
        """`n` requests sent at the same Clock instant (all rate-limited together), then answered."""
        boxes = [self.send(method, path, body, token) for _ in range(n)]
        self.stub.flush()
        return [self.wait(box) for box in boxes]

    # ---- engine shortcuts --------------------------------------------------------------
    def do(self, make_command) -> dict:
        """Run one command through the game like a transport does; returns its result."""
        d = self.game.request(make_command)
        box: list = []
        d.addBoth(box.append)
        for _ in range(40):
            if box:
                break
            self.advance(1)
        assert box, "command not answered"
        if isinstance(box[0], Failure):
            box[0].raiseException()
        return box[0]

    def teleport(self, pid: str, x: float, y: float, map_id: str | None = None) -> dict:
        return self.do(lambda ref: c.Teleport(player_id=pid, x=x, y=y, map_id=map_id, ref=ref))

    def spawn_monster(self, pid: str, mid: str, x: float, y: float, hp: int = 1, max_hp: int = 1, name="Poring",
                      **kw) -> dict:
        return self.do(lambda ref: c.SpawnMonster(player_id=pid, monster_id=mid, kind="slime", name=name, x=x, y=y,
                                                  max_hp=max_hp, hp=hp, color=None, ref=ref, **kw))

    def clear_monsters_near(self, pid: str, radius: float = 600) -> None:
        """Remove the map's monsters around a player (a quiet corner for exact assertions)."""
        p = self.world.players[pid]
        inst = self.world.instance_of(p)
        for m in list(inst.monsters.values()):
            if (m.x - p.x) ** 2 + (m.y - p.y) ** 2 <= radius * radius:
                inst.remove_monster(m.id)

    def events(self, pid: str) -> list[dict]:
        return self.store.list_events(pid, after_seq=0, limit=10_000)

    # ---- people ------------------------------------------------------------------------
    def create_player(self, name: str = "Ann", job: str = "novice") -> dict:
        reply = self.post("/api/players", {"name": name, "job": job})
        assert reply.code == 200, reply
        return reply.json

    def mint_code(self, session_token: str) -> dict:
        reply = self.post("/api/join-codes", {}, token=session_token)
        assert reply.code == 200, reply
        return reply.json

    def link(self, body: dict) -> Reply:
        return self.post("/api/bot/link", body)

    def linked_player(self, name: str = "Ann", job: str = "novice") -> Bot:
        """A browser player with a linked bot: POST /api/players, /api/join-codes, /api/bot/link."""
        created = self.create_player(name, job)
        minted = self.mint_code(created["sessionToken"])
        linked = self.link({"joinToken": minted["joinToken"]})
        assert linked.code == 200, linked
        return Bot(self, created["playerId"], name, created["sessionToken"], linked.json["botToken"],
                   minted["joinCode"])


class Bot:
    """One linked player as a bot sees it."""

    def __init__(self, town: Town, pid: str, name: str, session: str, token: str, code: str) -> None:
        self.town = town
        self.id = pid
        self.name = name
        self.session = session
        self.token = token
        self.code = code

    def get(self, path: str, **kw) -> Reply:
        return self.town.get("/api/bot/" + path, token=self.token, **kw)

    def post(self, path: str, body=None, **kw) -> Reply:
        return self.town.post("/api/bot/" + path, {} if body is None else body, token=self.token, **kw)

    @property
    def player(self):
        return self.town.world.players[self.id]


@pytest.fixture
def town():
    t = Town()
    yield t
    t.stop()


@pytest.fixture
def ann(town) -> Bot:
    return town.linked_player("Ann")


@pytest.fixture
def bob(town) -> Bot:
    return town.linked_player("Bob")


