"""make_service(settings, reactor): the ONE place that wires the whole server together.

Start order: open the store (on its thread) and migrate, restore parties, the board and the
characters that play on in H-Mode, then start ticking, syncing and listening. Stop order is
the reverse: stop listening, stop ticking, flush everything to disk, close the store.
"""

from __future__ import annotations

import gc
import secrets
import sys

from twisted.application import strports
from twisted.application.service import MultiService
from twisted.internet.defer import inlineCallbacks
from twisted.python import log

from .engine.avatars import AvatarFiles
from .engine.backups import BackupService
from .engine.bots import BotAccess
from .engine.chatlog import ChatLog
from .engine.game import Game
from .engine.ids import Mint
from .engine.images import MapImages
from .engine.inbox import Inbox
from .engine.metrics import Metrics, register_engine_metrics, register_process_metrics
from .engine.ratelimit import RateLimiter
from .engine.sessions import SessionRegistry
from .engine.sync import SyncService
from .engine.ticker import TickService
from .engine.upkeep import UpkeepService
from .keys import load_or_create_server_key
from .ops.datadir import ServerLock
from .sim import commands as c
from .sim.world import World
from .store import StoreRunner, open_store
from .web.admin_api import AdminApi
from .web.api import TownApi
from .web.baseurl import BaseUrl
from .web.bot_api import SHED_TICK_LAG_S, BotApi
from .web.debug import DebugActions
from .web.docs import SkillDoc
from .web.health import HealthApi
from .web.metrics import register_web_metrics
from .web.site import build_root, build_site
from .web.ws import make_ws_factory


#: How long a thread may hold the GIL while another waits for it (CPython's default: 5 ms).
GIL_SWITCH_INTERVAL_S = 0.0005


def close_socket(conn, code: int, reason: str) -> None:
    """Close a WebSocket with a server close code (1001, 1012: autobahn's sendClose refuses them)."""
    conn.sender.sendCloseFrame(code=code, reasonUtf8=reason.encode("utf-8"), isReply=False)


class ClawtownService(MultiService):
    """Starts its children only after the store is open and the world restored."""

    def __init__(self, runner, game, ws_factory, access, images, chatlog, data_dir) -> None:
        super().__init__()
        self.chatlog = chatlog
        self.lock = ServerLock(data_dir)
        self.access = access
        self.images = images
        self.data_dir = data_dir
        self.runner = runner
        self.game = game
        self.ws_factory = ws_factory
        self.ready = False

    @inlineCallbacks
    def _boot(self):
        self.lock.acquire()
        yield self.runner.start()
        self.access.server_key = yield self.runner.run(lambda store: load_or_create_server_key(self.data_dir))
        resumed, parties = yield self.load_world()
        self.ws_factory.startFactory()
        self.images.start()
        MultiService.startService(self)
        self.ready = True
        # Everything loaded so far lives as long as the process: keep it out of the collector's
        # full passes, which otherwise walk it again and again under load.
        gc.collect()
        gc.freeze()
        # The store thread needs the GIL back after every SQLite call; behind a busy reactor thread
        # each time cost up to a whole switch interval, so a commit of 0.1 ms took 5-40 ms under load.
        sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
        log.msg(f"clawtown ready: {resumed} H-Mode characters resumed, {parties} parties")

    @inlineCallbacks
    def load_world(self):
        """Restore parties and the board into the (fresh) world; H-Mode characters play on."""
        parties, board, agents = yield self.runner.run(
            lambda store: (store.load_parties(), store.load_board(50), store.load_players_in_mode("agent"))
        )
        world = self.game.world
        world.load_parties(parties)
        world.load_board(board)
        for rec in agents:
            self.game.submit(c.Activate(player_id=rec["id"], record=rec, online=False))
        return len(agents), len(parties)

    # ---- test-mode helpers -------------------------------------------------------------
    @inlineCallbacks
    def restart_sim(self):
        """Save everything, drop the in-memory world and load it again from the store."""
        yield self.sync.flush(everything=True)
        self._fresh_world()
        yield self.load_world()
        for player_id in list(self.sessions.by_player):
            record = yield self.runner.run(lambda store, pid=player_id: store.get_player(pid))
            if record is not None:
                self.game.submit(c.Activate(player_id=player_id, record=record, online=True))
            for conn in self.sessions.of(player_id):
                conn.needs_enter = True

    @inlineCallbacks
    def reset(self):
        """Forget every character, code and token (test mode): close sockets, wipe the store."""
        yield self.sync.flush()
        for conn in list(self.sessions.by_id.values()):
            close_socket(conn, 1012, "world reset")
        yield self.runner.run(lambda store: store.wipe())
        self._fresh_world()

    def _fresh_world(self) -> None:
        game = self.game
        game.fail_all_waiters("the world was reset")
        game.world = World(seed=game.world.seed, instance_cap=game.world.instance_cap, now=game.now_ms())
        game.inbox.queues.clear()
        game.outbox.clear()
        self.sync.forget_world()
        self.chatlog.clear()
        self.access.forget_all()

    def startService(self):
        from twisted.internet import reactor

        def fatal(failure):
            log.err(failure, "clawtown could not start")
            if reactor.running:
                reactor.stop()
            else:  # it failed before the reactor ran (e.g. the data dir is locked): stop as soon as it runs
                reactor.callWhenRunning(reactor.stop)

        self._boot().addErrback(fatal)

    @inlineCallbacks
    def stopService(self):
        self.ready = False
        if self.running:
            yield MultiService.stopService(self)
            yield self._close_sockets()
        self.ws_factory.stopFactory()
        self.images.stop()
        yield self.runner.stop()
        self.lock.release()

    @inlineCallbacks
    def _close_sockets(self, wait_s: float = 1.0):
        """Close every WebSocket with 1001 (all they were told is on disk now); wait a little for them."""
        from twisted.internet import reactor
        from twisted.internet.task import deferLater

        for conn in list(self.sessions.by_id.values()):
            close_socket(conn, 1001, "server going away")
        deadline = reactor.seconds() + wait_s
        while len(self.sessions) and reactor.seconds() < deadline:
            yield deferLater(reactor, 0.02, lambda: None)


def make_service(settings, reactor) -> MultiService:
    seed = settings.seed if settings.seed is not None else secrets.randbits(32)
    world = World(seed=seed, instance_cap=settings.instance_cap, now=int(reactor.seconds() * 1000))
    game = Game(world, Inbox(), reactor)
    runner = StoreRunner(reactor, lambda: open_store(settings.data_dir))
    sessions = SessionRegistry()
    limiter = RateLimiter(reactor)
    mint = Mint()
    ws_factory = make_ws_factory(game, sessions, runner, limiter, mint, allowed_origins=settings.allowed_origins)
    access = BotAccess(game, runner, mint)
    chatlog = ChatLog()
    game.listeners.append(lambda events: chatlog.add(events, game.world))
    images = MapImages(game, reactor)
    top = ClawtownService(runner, game, ws_factory, access, images, chatlog, settings.data_dir)
    sync = SyncService(game, sessions, runner, reactor, hz=settings.sync_hz, tick_hz=settings.tick_hz, express=True)
    tick = TickService(game, reactor, hz=settings.tick_hz)

    def status() -> dict:
        return {
            "started": top.ready,
            "tickLagS": round(tick.lag_seconds(), 4),
            "storeOk": sync.failing_since is None,
            "players": len(game.world.players),
            "connections": len(sessions),
            "ticks": game.ticks,
        }

    debug = DebugActions(game, sync, top) if settings.test_mode else None
    base_url = BaseUrl(settings.public_base_url, settings.trusted_proxies)
    bots = BotApi(game, access, limiter, chatlog, mint, reactor, base_url, images=images, sync=sync,
                  overloaded=lambda: tick.lag_seconds() > SHED_TICK_LAG_S)
    admin = AdminApi(game, sessions, access, sync, limiter, reactor, server=top, tick=tick)
    api = TownApi(game, mint, limiter, reactor, debug, bots=bots, access=access, base_url=base_url, admin=admin,
                  avatars=AvatarFiles(settings.data_dir))
    health = HealthApi(status)
    metrics = Metrics()
    register_engine_metrics(metrics, game, sync, sessions)
    register_web_metrics(metrics, limiter, ws_factory, bots)
    register_process_metrics(metrics)
    site = build_site(build_root(api, health, ws_factory, SkillDoc(base_url), metrics=metrics),
                      trusted_proxies=settings.trusted_proxies)
    sync.setServiceParent(top)
    tick.setServiceParent(top)
    UpkeepService(runner, reactor, game.now_ms).setServiceParent(top)
    if settings.backup_every_s:
        BackupService(runner, reactor, settings.data_dir, settings.backup_every_s, settings.backup_keep).setServiceParent(top)
    strports.service(settings.listen, site).setServiceParent(top)
    top.sync, top.tick, top.sessions, top.status, top.metrics = sync, tick, sessions, status, metrics
    return top
