"""SyncService: every 1/sync_hz seconds, commit what changed, then tell each client what it sees.

One round: take the tick events and change sets, build the store batch and every outgoing
frame from the same state, commit the batch on the store thread, and only then send the frames
and answer waiting REST calls ("what any client has seen, the disk already has"). A round that
finds the previous commit still running is skipped; a failed commit is retried with the next.

With `express` on, a REST caller that has to wait for a commit does not wait for the next
round: an express round commits at once and answers the waiting callers, and leaves the frames
of what it committed to the next regular round (clients keep their 10 Hz rhythm).
"""

from __future__ import annotations

import time

import orjson
from twisted.application.service import Service
from twisted.internet.defer import Deferred, maybeDeferred, succeed
from twisted.internet.task import LoopingCall
from twisted.python import log

from ..sim.events import ChatLine, Fx, Note, Relocated, Reply, Result
from ..wire.views import chat_view, party_view, self_view
from .area import AreaSync, view_cells
from .chatlog import chat_recipients
from .metrics import SLOW_TIME_BUCKETS, TIME_BUCKETS, Histogram
from .persist import Batch, BatchBuilder
from .snapshots import WorldSnapshots

PROTOCOL_VERSION = 2


class SyncService(Service):
    name = "sync"

    def __init__(self, game, sessions, runner, clock, hz: int = 10, tick_hz: int = 20, express: bool = False) -> None:
        self.game = game
        self.sessions = sessions
        self.runner = runner
        self.clock = clock
        self.interval = 1.0 / hz
        self.tick_hz = tick_hz
        self.area = AreaSync()
        self.builder = BatchBuilder(game.now_ms)
        self.held_batch = Batch()
        self.held_sends: list = []
        self.held_waiters: list = []
        self.in_flight = False
        self.commit_failures = 0
        self.failing_since: float | None = None
        self.rounds = 0
        self.skipped_rounds = 0
        self.bytes_sent = 0
        self.messages_sent = 0
        self.last_commit_ms = 0.0
        self.round_seconds = Histogram(TIME_BUCKETS)
        self.commit_seconds = Histogram(SLOW_TIME_BUCKETS)
        self._build_s = 0.0
        self.held_since: float | None = None
        self._map_cache: dict[str, bytes] = {}
        self._idle_waiters: list[Deferred] = []
        self._views: list = []
        self.snapshots = WorldSnapshots(clock)
        self.express = express
        self.express_rounds = 0
        self._express_call = None
        self._express_after_commit = False
        self._express_in_flight = False
        self._round_after_commit = False
        self._carried = Carried()
        self._loop: LoopingCall | None = None

    # ---- lifecycle ---------------------------------------------------------------------
    def startService(self) -> None:
        super().startService()
        self._loop = LoopingCall(self.round)
        self._loop.clock = self.clock
        self._loop.start(self.interval, now=False).addErrback(log.err, "sync loop stopped")

    def stopService(self):
        """Stop syncing and commit everything (positions included) one last time."""
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        super().stopService()
        return self.flush(everything=True)

    def flush(self, everything: bool = False):
        """Commit now (with `everything`: every player, positions included), then release what it covers.

        A flush is a round that is never skipped: it waits for a commit in flight, then builds the
        batch and the frames together, so it neither drops what the ticks produced (frames, acks,
        REST answers) nor sends anything before its commit. If the commit fails, the Deferred fails
        and the batch stays held for the next round.
        """
        if self.in_flight:
            waiter = Deferred()
            self._idle_waiters.append(waiter)
            return waiter.addCallback(lambda _: self.flush(everything))
        return self._round(everything)

    def forget_world(self) -> None:
        """The world was replaced (test-mode reset): drop what was said about the old one."""
        self.area = AreaSync()
        self.builder = BatchBuilder(self.game.now_ms)
        self.held_batch, self.held_sends, self.held_waiters = Batch(), [], []
        self.held_since = None
        self.snapshots.forget()
        self._carried = Carried()

    def settled(self, render, player_ids=None) -> Deferred:
        """`render()` of a world state that is on disk, for readers that show it (REST reads).

        At once when none of `player_ids` (None: nothing at all) has a change waiting for the
        store; else `render` runs when the next round builds its batch, and its result is answered
        after that batch is committed, like every frame ("what any client has seen, the disk
        already has").
        """
        if not self._pending(player_ids):
            return maybeDeferred(render)
        d = Deferred()
        self._views.append((d, render))
        self._hurry()
        return d

    def world_read(self, p, answer) -> Deferred:
        """`answer(shared, inst)` for a bot's world read: the shared parts of its instance, as committed.

        At once, from the parts the last committed round rendered, when the caller has no change
        waiting for the store; else (and before its instance was first rendered) from this round's
        parts, answered after this round's commit. See snapshots.py.
        """
        inst = self.game.world.instance_of(p)
        shared = self.snapshots.committed(inst.key)
        if shared is not None and not self._pending((p.id,)):
            return maybeDeferred(answer, shared, inst)

        def render():
            world = self.game.world
            now_inst = world.instance_of(p)
            return answer(self.snapshots.fresh(world, now_inst), now_inst)

        d = Deferred()
        self._views.append((d, render))
        self._hurry()
        return d

    def _hurry(self) -> None:
        """A REST caller waits for a commit: with `express`, commit as soon as this reactor turn ends."""
        if self.express and self._express_call is None:
            self._express_call = self.clock.callLater(0, self._express)

    def _express(self) -> None:
        self._express_call = None
        if not self._views:
            return
        if self.in_flight:
            self._express_after_commit = True
            return
        self.express_rounds += 1
        self._round(express=True).addErrback(lambda _: None)  # logged in _round

    def _pending(self, player_ids) -> bool:
        world = self.game.world
        held = self.held_batch.players
        if player_ids is None:
            return bool(world.progress_dirty or world.parties_dirty or world.parties_deleted or world.board_new
                        or world.parked or not self.held_batch.empty())
        return any(pid in world.progress_dirty or pid in held or pid in world.parked for pid in player_ids)

    def _render_views(self) -> list:
        views, self._views = self._views, []
        ready = []
        for d, render in views:
            try:
                ready.append((d, render()))
            except Exception:  # noqa: BLE001 - one broken view fails its own answer, not the round
                d.errback()
        return ready

    def store_lag_ms(self) -> float:
        """How long the oldest change not yet on disk has waited (0 when everything is committed)."""
        if self.held_since is None:
            return 0.0
        return max(0.0, (self.clock.seconds() - self.held_since) * 1000.0)

    # ---- one round ---------------------------------------------------------------------
    def round(self):
        if self.in_flight:
            if self._express_in_flight:  # the express commit is short: this round runs right after it
                self._round_after_commit = True
                return None
            self.skipped_rounds += 1
            return None
        return self._round().addErrback(lambda _: None)  # logged in _round; the loop goes on

    def _round(self, everything: bool = False, express: bool = False):
        building = time.perf_counter()
        world = self.game.world
        events = self.game.take_outbox()
        batch, progressed = self.builder.build(world, events, everything=everything)
        if express:  # commit now, frame with the next regular round
            self._carried.keep(events, progressed, batch)
            sends, waiters = [], []
        else:
            self.rounds += 1
            events, progressed, framed = self._carried.take(events, progressed, batch)
            sends, waiters = self._frames(world, events, progressed, framed)
            self.snapshots.render_round(world)
        waiters.extend(self._render_views())
        self.held_batch.merge(batch)
        self.held_sends.extend(sends)
        self.held_waiters.extend(waiters)
        self._build_s += time.perf_counter() - building
        if self.held_batch.empty():
            self._release()
            return succeed(None)
        if self.held_since is None:
            self.held_since = self.clock.seconds()
        self.in_flight = True
        self._express_in_flight = express
        started = self.clock.seconds()
        committing = self.held_batch
        kwargs = committing.kwargs()
        d = self.runner.run(lambda store: store.save_batch(**kwargs))

        def committed(_):
            self.in_flight = False
            took = self.clock.seconds() - started
            self.last_commit_ms = took * 1000.0
            self.commit_seconds.observe(took)
            self.held_batch = Batch()
            self.held_since = None
            self.failing_since = None
            self._forget_parked(world, committing)
            self._release()
            self._idle()
            self._express_again()

        def failed(failure):
            self.in_flight = False
            self.commit_failures += 1
            if self.failing_since is None:
                self.failing_since = self.clock.seconds()
            log.err(failure, "commit failed; holding updates and retrying with the next round")
            self._idle()
            self._express_again()
            return failure

        d.addCallbacks(committed, failed)
        return d

    def _express_again(self) -> None:
        """After an express commit: the regular round it held up runs now; else waiting callers get theirs."""
        self._express_in_flight = False
        if self._round_after_commit:
            self._round_after_commit = self._express_after_commit = False
            self.round()
        elif self._express_after_commit:
            self._express_after_commit = False
            self._hurry()

    def _idle(self) -> None:
        """Let the flushes that waited for the commit in flight go on."""
        waiting, self._idle_waiters = self._idle_waiters, []
        for waiter in waiting:
            waiter.callback(None)

    @staticmethod
    def _forget_parked(world, committed: Batch) -> None:
        """Parked records stay in memory until they are on disk (a reconnect may need them)."""
        for pid, rec in list(world.parked.items()):
            if committed.players.get(pid) is rec:
                del world.parked[pid]

    def _release(self) -> None:
        """Send the held frames and answer the held waiters (their state is on disk now)."""
        sending = time.perf_counter()
        self.snapshots.promote()
        sends, waiters = self.held_sends, self.held_waiters
        self.held_sends, self.held_waiters = [], []
        for conn, payload in sends:
            if conn.id not in self.sessions.by_id:
                continue
            try:
                if isinstance(payload, (bytes, bytearray)):
                    conn.send(payload)
                    self.bytes_sent += len(payload)
                else:
                    conn.send_prepared(payload[0])
                    self.bytes_sent += payload[1]
                self.messages_sent += 1
            except Exception:
                log.err(None, "send failed")
        # one round, as the reactor spent it: building (maybe over rounds held by a failing store) + sending
        self.round_seconds.observe(self._build_s + time.perf_counter() - sending)
        self._build_s = 0.0
        for d, result in waiters:
            if not d.called:
                d.callback(result)

    # ---- frames ------------------------------------------------------------------------
    def _frames(self, world, events: list, progressed: set, batch: Batch) -> tuple[list, list]:
        sends: list = []
        waiters: list = []
        self.area.collect(world, [e for e in events if isinstance(e, Fx)], self.tick_hz)
        for e in events:
            if isinstance(e, Relocated):
                for conn in self.sessions.of(e.player_id):
                    conn.needs_enter = True
        prepared: dict[bytes, tuple] = {}
        for conn in list(self.sessions.by_id.values()):
            frame = self._view_frame(world, conn, progressed)
            if frame is None:
                continue
            if frame[0] == "shared":
                pm = prepared.get(frame[1])
                if pm is None:
                    pm = prepared[frame[1]] = (self.sessions.prepare(frame[1]), len(frame[1]))
                sends.append((conn, pm))
            else:
                sends.append((conn, frame[1]))
        for pid in progressed:
            conns = self.sessions.of(pid)
            p = world.players.get(pid)
            if conns and p is not None:
                you = orjson.dumps({"t": "you", "you": self_view(p)})
                sends.extend((c, you) for c in conns if c.greeted)
        self._social(world, events, sends)
        self._parties(world, progressed, batch, sends)
        if batch.board:
            posts = orjson.dumps({"t": "board", "posts": batch.board})
            pm = (self.sessions.prepare(posts), len(posts))
            sends.extend((c, pm) for c in self.sessions.by_id.values() if c.greeted)
        for e in events:
            if isinstance(e, Result):
                if isinstance(e.ref, tuple) and e.ref[0] == "ws":
                    conn = self.sessions.by_id.get(e.ref[1])
                    if conn is not None:
                        sends.append((conn, orjson.dumps({"t": "ack", "re": e.ref[2], **e.payload})))
                else:
                    d = self.game.waiters.pop(e.ref, None)
                    if d is not None:
                        waiters.append((d, e.payload))
        return sends, waiters

    def _view_frame(self, world, conn, progressed):
        p = world.players.get(conn.player_id)
        if p is None:
            return None
        inst = world.instance_of(p)
        cell = inst.grid.where.get(p.id)
        if conn.needs_enter or conn.inst_key != inst.key:
            cells = view_cells(inst.map, cell)
            frame = self._enter_frame(world, inst, p, cells, first=not conn.greeted)
            conn.inst_key, conn.center, conn.cells = inst.key, cell, cells
            conn.needs_enter, conn.greeted = False, True
            return ("own", frame)
        if cell != conn.center:
            cells = view_cells(inst.map, cell)
            frame = self.area.moved_frame(inst, conn.cells, cells)
            conn.center, conn.cells = cell, cells
            return ("own", frame)
        frame = self.area.area_frame(inst, cell, conn.cells)
        return ("shared", frame) if frame is not None else None

    def _enter_frame(self, world, inst, p, cells, first: bool) -> bytes:
        channels = sorted(i.channel for i in world.instances.values() if i.map.id == inst.map.id)
        head = {
            "t": "hello" if first else "enter",
            "v": PROTOCOL_VERSION,
            "tk": world.tick,
            "you": self_view(p),
            "instance": {"key": inst.key, "map": inst.map.id, "channel": inst.channel, "channels": channels,
                         "population": inst.population, "cap": world.instance_cap},
            "party": party_view(world, p.party_id),
            "view": {"cellPx": 256, "cells": 2},
        }
        if first:
            head["server"] = {"tickHz": self.tick_hz, "syncHz": round(1 / self.interval), "time": self.game.now_ms()}
            head["board"] = world.board[-20:]
        body = orjson.dumps(head)
        chunks = self.area.enter_chunks(inst, cells)
        return (body[:-1] + b',"map":' + self._map_json(inst.map) + b',"a":[' + b",".join(chunks) + b"]}")

    def _map_json(self, map_def) -> bytes:
        cached = self._map_cache.get(map_def.id)
        if cached is None:
            cached = self._map_cache[map_def.id] = orjson.dumps(map_def.describe())
        return cached

    def _social(self, world, events, sends) -> None:
        local: dict[str, list] = {}
        for e in events:
            if isinstance(e, ChatLine):
                view = chat_view(e)
                if e.scope == "local":
                    local.setdefault(e.instance, []).append(view)
                elif e.scope == "global":
                    payload = orjson.dumps({"t": "chat", "lines": [view]})
                    sends.extend((c, payload) for c in self.sessions.by_id.values())
                else:
                    targets = chat_recipients(e, world)
                    payload = orjson.dumps({"t": "chat", "lines": [view]})
                    for pid in targets:
                        sends.extend((c, payload) for c in self.sessions.of(pid))
            elif isinstance(e, Note):
                payload = orjson.dumps({"t": "note", "note": {"id": e.id, "at": e.at, "kind": e.kind, "text": e.text,
                                                              "important": e.important, "data": e.data}})
                sends.extend((c, payload) for c in self.sessions.of(e.player_id))
            elif isinstance(e, Reply):
                payload = orjson.dumps({"t": e.type, **e.payload})
                sends.extend((c, payload) for c in self.sessions.of(e.player_id))
        for inst_key, lines in local.items():
            raw = orjson.dumps({"t": "chat", "lines": lines})
            pm = (self.sessions.prepare(raw), len(raw))
            sends.extend((c, pm) for c in self.sessions.by_id.values() if c.inst_key == inst_key)

    def _parties(self, world, progressed: set, batch: Batch, sends: list) -> None:
        """Party members see each other's level and HP wherever they are."""
        touched = set(batch.parties)
        for pid in progressed:
            p = world.players.get(pid)
            if p is not None and p.party_id:
                touched.add(p.party_id)
        for party_id in touched:
            party = world.parties.get(party_id)
            if party is None:
                continue
            payload = orjson.dumps({"t": "party", "party": party_view(world, party_id)})
            for mid in party.members:
                sends.extend((c, payload) for c in self.sessions.of(mid) if c.greeted)


class Carried:
    """What express rounds committed but did not frame: the next regular round frames it.

    Frames use a batch's parties and board posts only, so only those are carried.
    """

    def __init__(self) -> None:
        self.events: list = []
        self.progressed: set = set()
        self.batch = Batch()

    def keep(self, events: list, progressed: set, batch: Batch) -> None:
        self.events.extend(events)
        self.progressed |= progressed
        self.batch.merge(_framed_part(batch))

    def take(self, events: list, progressed: set, batch: Batch) -> tuple[list, set, Batch]:
        """This round's events, progressed players and batch, with the carried ones before them."""
        if not self.events and not self.progressed and self.batch.empty():
            return events, progressed, batch
        out = (self.events + events, self.progressed | progressed, self.batch.merge(_framed_part(batch)))
        self.events, self.progressed, self.batch = [], set(), Batch()
        return out


def _framed_part(batch: Batch) -> Batch:
    return Batch(parties=dict(batch.parties), board=list(batch.board))
