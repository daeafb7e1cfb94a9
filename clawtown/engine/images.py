"""map.png / minimap.png for bots: snapshot on the reactor thread, render on worker threads.

At most MAX_IN_FLIGHT renders run at once (more answer 503); a finished render of the same
instance, kind, size and caller is reused for REUSE_MS.
"""

from __future__ import annotations

from collections import OrderedDict

from twisted.internet.threads import deferToThreadPool
from twisted.python.threadpool import ThreadPool

from ..render import clamp_size, render_map_png, render_minimap_png, snapshot_instance

MAX_IN_FLIGHT = 2
REUSE_MS = 1000
CACHE_SIZE = 256


class RenderBusy(Exception):
    """Too many renders in flight."""


class MapImages:
    def __init__(self, game, reactor) -> None:
        self.game = game
        self.reactor = reactor
        self.pool = ThreadPool(minthreads=0, maxthreads=MAX_IN_FLIGHT, name="clawtown-render")
        self.in_flight = 0
        self.renders = 0
        self._cache: OrderedDict = OrderedDict()

    def start(self) -> None:
        self.pool.start()

    def stop(self) -> None:
        self.pool.stop()

    async def render(self, kind: str, p, w, h, names: bool = False) -> bytes:
        width, height = clamp_size(kind, w, h)
        inst = self.game.world.instance_of(p)
        now = self.game.now_ms()
        key = (inst.key, kind, width, height, names, p.id)
        hit = self._cache.get(key)
        if hit is not None and now - hit[0] < REUSE_MS:
            return hit[1]
        if self.in_flight >= MAX_IN_FLIGHT:
            raise RenderBusy("map renderer busy, try again")
        snap = snapshot_instance(inst, p.id)
        self.in_flight += 1
        try:
            if kind == "map":
                png = await deferToThreadPool(self.reactor, self.pool, render_map_png, snap, width, height, names)
            else:
                png = await deferToThreadPool(self.reactor, self.pool, render_minimap_png, snap, width, height)
        finally:
            self.in_flight -= 1
        self.renders += 1
        self._cache[key] = (now, png)
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return png
