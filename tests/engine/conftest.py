"""Builders shared by the engine tests: a town on a Clock, fake connections and a client-side model.

Everything is synchronous: time is a `task.Clock`, the store a MemoryStore behind a SyncRunner
(or a GatedRunner whose commits the test fires by hand), and a connection is a FakeSender that
records what the sync service hands it.
"""

from __future__ import annotations

import dataclasses

import orjson
import pytest
from twisted.internet.defer import Deferred
from twisted.internet.task import Clock

from clawtown.engine.area import view_cells
from clawtown.engine.motion import TOLERANCE_PX
from clawtown.engine.game import Game
from clawtown.engine.inbox import Inbox
from clawtown.engine.sessions import SessionRegistry
from clawtown.engine.sync import SyncService
from clawtown.engine.ticker import TickService
from clawtown.sim import commands as c
from clawtown.sim.world import World
from clawtown.store.base import StoreError
from clawtown.store.memory import MemoryStore
from clawtown.store.runner import SyncRunner
from clawtown.wire.viewmodel import ViewModel
from clawtown.wire.views import entity_view

TICK_S = 0.05


# ---- what the sync service talks to ----------------------------------------------------
class Prepared:
    """What RecordingPrepare returns: one object per encoded frame, so identity can be checked."""

    def __init__(self, payload: bytes) -> None:
        self.payload = payload


class RecordingPrepare:
    """A `prepare` function for SessionRegistry that remembers every payload it encoded."""

    def __init__(self) -> None:
        self.calls: list[bytes] = []

    def __call__(self, payload: bytes) -> Prepared:
        self.calls.append(payload)
        return Prepared(payload)


def decode(sent) -> dict:
    return orjson.loads(sent.payload if isinstance(sent, Prepared) else sent)


class FakeSender:
    """Stands in for a WebSocket: records each payload (bytes or prepared object) in order."""

    def __init__(self) -> None:
        self.sent: list = []

    def send_bytes(self, payload: bytes) -> None:
        self.sent.append(payload)

    def send_prepared(self, prepared) -> None:
        self.sent.append(prepared)


class ClientModel(ViewModel):
    """What a browser keeps (the protocol's reference ViewModel), strict about partial updates."""


class Client:
    """One fake connection of a player: its sender, the decoded frames and its model."""

    def __init__(self, town: "Town", player_id: str, sender=None) -> None:
        self.sender = sender or FakeSender()
        self.conn = town.sessions.open(player_id, self.sender)
        self.player_id = player_id
        self.model = ClientModel()
        self.frames: list[dict] = []
        self._seen = 0

    def pump(self) -> list[dict]:
        """Decode what arrived since the last pump and apply it to the model."""
        new = [decode(s) for s in self.sender.sent[self._seen:]]
        self._seen = len(self.sender.sent)
        for msg in new:
            self.model.apply(msg)
        self.frames.extend(new)
        return new

    def of_type(self, t: str) -> list[dict]:
        return [f for f in self.frames if f["t"] == t]

    def chat_texts(self) -> list[str]:
        return [line["text"] for f in self.of_type("chat") for line in f["lines"]]

    def seen_ids(self) -> set[str]:
        """Every entity id that ever came in an `up` list (whole or partial)."""
        return {up["id"] for f in self.frames if f["t"] in ("hello", "enter", "sync")
                for chunk in f["a"] for up in chunk.get("up", [])}


class GatedRunner:
    """A store runner whose `run` returns an unfired Deferred; the test commits or fails it."""

    def __init__(self, store) -> None:
        self.store = store
        self.pending: list[tuple] = []
        self.batches: list[dict] = []

    def run(self, fn, *args, **kwargs) -> Deferred:
        d = Deferred()
        self.pending.append((fn, args, kwargs, d))
        return d

    def _take(self):
        assert self.pending, "no store call is waiting"
        return self.pending.pop(0)

    def commit(self):
        fn, args, kwargs, d = self._take()
        recorder = _BatchRecorder(self.store, self.batches)
        d.callback(fn(recorder, *args, **kwargs))

    def fail(self, message: str = "disk full"):
        _fn, _args, _kwargs, d = self._take()
        d.errback(StoreError(message))


class _BatchRecorder:
    """Passes store calls through, keeping a copy of every batch saved."""

    def __init__(self, store, batches: list) -> None:
        self._store = store
        self._batches = batches

    def save_batch(self, **kwargs):
        self._batches.append(kwargs)
        return self._store.save_batch(**kwargs)

    def __getattr__(self, name):
        return getattr(self._store, name)


# ---- the town --------------------------------------------------------------------------
class Town:
    """A world, its game, sessions, store and services, driven tick by tick on a Clock."""

    def __init__(self, seed: object = 11, prepare=None, gated: bool = False, instance_cap: int | None = None) -> None:
        self.clock = Clock()
        kwargs = {} if instance_cap is None else {"instance_cap": instance_cap}
        self.world = World(seed=seed, now=0, **kwargs)
        self.game = Game(self.world, Inbox(), self.clock)
        self.store = MemoryStore(clock=self.clock.seconds)
        self.auto_commit = True  # a gated runner commits at once unless a test turns this off
        if gated:
            self.runner = GatedRunner(self.store)
        else:
            self.runner = SyncRunner(lambda: self.store)
            self.runner.start()
        self.sessions = SessionRegistry(prepare)
        self.sync = SyncService(self.game, self.sessions, self.runner, self.clock)
        self.ticker = TickService(self.game, self.clock)
        self.clients: list[Client] = []

    # time
    def tick(self, n: int = 1) -> None:
        for _ in range(n):
            self.clock.advance(TICK_S)
            self.game.tick()

    def round(self):
        d = self.sync.round()
        if isinstance(self.runner, GatedRunner) and self.auto_commit:
            while self.runner.pending:
                self.runner.commit()
        self.pump()
        return d

    def step(self, ticks: int = 2):
        """The engine's rhythm: two ticks, then one sync round."""
        self.tick(ticks)
        return self.round()

    def pump(self) -> None:
        for client in self.clients:
            client.pump()

    # commands
    def submit(self, command) -> None:
        assert self.game.submit(command), "inbox refused the command"

    def request(self, command) -> Deferred:
        return self.game.request(lambda ref: dataclasses.replace(command, ref=ref))

    def do(self, command, max_steps: int = 10) -> dict:
        """Queue `command` and run the engine until its result is committed and answered."""
        d = self.request(command)
        got: list = []
        d.addBoth(got.append)
        for _ in range(max_steps):
            if got:
                break
            self.step()
        assert got, f"no answer to {command!r}"
        return got[0]

    def add_player(self, pid: str, name: str | None = None, map_id: str | None = None,
                   x: float | None = None, y: float | None = None) -> str:
        result = self.do(c.CreatePlayer(player_id=pid, name=name or pid.capitalize()))
        assert result["ok"], result
        if map_id is not None or x is not None:
            self.teleport(pid, x, y, map_id)
        return pid

    def teleport(self, pid: str, x: float | None, y: float | None, map_id: str | None = None) -> dict:
        p = self.world.players[pid]
        result = self.do(c.Teleport(player_id=pid, x=p.x if x is None else x, y=p.y if y is None else y,
                                    map_id=map_id))
        assert result["ok"], result
        return result

    def connect(self, pid: str, sender=None) -> Client:
        client = Client(self, pid, sender)
        self.clients.append(client)
        return client

    def disconnect(self, client: Client) -> None:
        self.sessions.close(client.conn)
        self.clients.remove(client)

    # the server's truth
    def visible(self, pid: str) -> dict[str, dict]:
        """Every entity in the view cells of `pid`, as it is (x, y rounded, as clients see positions)."""
        p = self.world.players[pid]
        inst = self.world.instance_of(p)
        cells = view_cells(inst.map, inst.grid.where[pid])
        handles = self.sync.area.instances[inst.key].handles
        return {eid: {**entity_view(inst.entity(eid)), "h": handles[eid]}
                for cell in cells for eid in inst.grid.cells.get(cell, ())}

    def assert_view(self, client: "Client") -> None:
        """The client holds exactly the entities in its view, every field exact but the position,
        which its dead reckoning puts within TOLERANCE_PX of the truth at the current tick; and
        each motion state is the one the server believes every client holds."""
        truth = self.visible(client.player_id)
        seen = client.model.view_at(self.world.tick)
        assert seen.keys() == truth.keys(), (sorted(seen.keys() ^ truth.keys()), client.player_id)
        p = self.world.players[client.player_id]
        shared = self.sync.area.instances[self.world.instance_of(p).key].sent
        for eid, want in truth.items():
            got = seen[eid]
            assert {k: v for k, v in got.items() if k not in ("x", "y")} == \
                {k: v for k, v in want.items() if k not in ("x", "y")}, eid
            assert abs(got["x"] - want["x"]) <= TOLERANCE_PX and abs(got["y"] - want["y"]) <= TOLERANCE_PX, \
                (eid, got["x"], got["y"], want["x"], want["y"])
            assert client.model.entities[eid] == shared[eid], eid


@pytest.fixture
def town() -> Town:
    return Town()


@pytest.fixture
def make_town():
    return Town


@pytest.fixture
def gated_town() -> Town:
    """A town whose store commits only when the test says so (town.runner.commit()/fail())."""
    return Town(gated=True)


class Helpers:
    """The helper classes, handed to tests that build their own variations."""

    Town = Town
    ClientModel = ClientModel
    FakeSender = FakeSender
    GatedRunner = GatedRunner
    RecordingPrepare = RecordingPrepare
    Prepared = Prepared
    decode = staticmethod(decode)


@pytest.fixture
def helpers() -> type[Helpers]:
    return Helpers
