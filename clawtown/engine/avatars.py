"""Avatar files: <data-dir>/avatars/<playerId>.png, processed and read off the reactor thread.

`save` checks, crops and resizes an upload with Pillow and writes it atomically (temp file +
rename) in a worker thread; `load` reads one back (also in a thread) through a small byte-bounded
cache. At most MAX_IN_FLIGHT uploads are processed at once; more raise AvatarBusy.
"""

from __future__ import annotations

import os
import re
import secrets
from collections import OrderedDict

from twisted.internet.threads import deferToThread

from ..render.avatar import normalize_avatar

MAX_IN_FLIGHT = 2
CACHE_BYTES = 8 * 1024 * 1024
SAFE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class AvatarBusy(Exception):
    """Too many uploads being processed."""


def valid_player_id(player_id: str) -> bool:
    return bool(SAFE_ID.match(player_id or ""))


class AvatarFiles:
    def __init__(self, data_dir: str, run_in_thread=deferToThread) -> None:
        self.dir = os.path.join(data_dir, "avatars")
        self.run_in_thread = run_in_thread  # tests pass a synchronous runner
        self.in_flight = 0
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._cached_bytes = 0

    def path_of(self, player_id: str) -> str:
        if not valid_player_id(player_id):
            raise ValueError("bad player id")
        return os.path.join(self.dir, f"{player_id}.png")

    async def save(self, player_id: str, raw: bytes) -> bytes:
        """Normalize and store an upload; returns the stored PNG. Raises AvatarError or AvatarBusy."""
        path = self.path_of(player_id)
        if self.in_flight >= MAX_IN_FLIGHT:
            raise AvatarBusy("avatar processing busy, try again")
        self.in_flight += 1
        try:
            png = await self.run_in_thread(self._process_and_write, raw, path)
        finally:
            self.in_flight -= 1
        self._remember(player_id, png)
        return png

    async def delete(self, player_id: str) -> None:
        path = self.path_of(player_id)
        self._forget(player_id)
        await self.run_in_thread(_remove, path)

    async def load(self, player_id: str) -> bytes | None:
        """The stored PNG, or None when this player has none."""
        if not valid_player_id(player_id):
            return None
        hit = self._cache.get(player_id)
        if hit is not None:
            self._cache.move_to_end(player_id)
            return hit
        png = await self.run_in_thread(_read, self.path_of(player_id))
        if png is not None:
            self._remember(player_id, png)
        return png

    # ---- worker-thread helpers ------------------------------------------------------------
    def _process_and_write(self, raw: bytes, path: str) -> bytes:
        png = normalize_avatar(raw)
        os.makedirs(self.dir, exist_ok=True)
        tmp = f"{path}.tmp.{os.getpid()}.{secrets.token_hex(4)}"
        try:
            with open(tmp, "wb") as f:
                f.write(png)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return png

    # ---- cache (reactor thread only) ------------------------------------------------------
    def _remember(self, player_id: str, png: bytes) -> None:
        self._forget(player_id)
        self._cache[player_id] = png
        self._cached_bytes += len(png)
        while self._cached_bytes > CACHE_BYTES and len(self._cache) > 1:
            _, old = self._cache.popitem(last=False)
            self._cached_bytes -= len(old)

    def _forget(self, player_id: str) -> None:
        old = self._cache.pop(player_id, None)
        if old is not None:
            self._cached_bytes -= len(old)


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return None


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
