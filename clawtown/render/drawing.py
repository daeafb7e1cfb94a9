"""Drawing primitives shared by the map renderers, and nothing about maps or entities.

`Sprite` is a pre-drawn RGBA image with an anchor pixel and `blit` composites one onto a canvas,
clipped to its edges; `BoundedCache` is the thread-safe LRU behind every cache of drawn images;
`load_font` hands out per-thread fonts; `circle`, `shade` and `mix` are the small geometry and
colour helpers that the terrain, the sprites and the map composition all draw with.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import NamedTuple

from PIL import Image, ImageFont


def shade(c, k: float) -> tuple[int, int, int]:
    return tuple(int(min(255, max(0, round(v * k)))) for v in c[:3])


def mix(a, b, t: float) -> tuple[int, int, int]:
    return tuple(int(round(a[i] + (b[i] - a[i]) * t)) for i in range(3))


_fonts = threading.local()  # FreeType faces are not shared between threads


def load_font(size: int) -> ImageFont.FreeTypeFont:
    cache = getattr(_fonts, "cache", None)
    if cache is None:
        cache = _fonts.cache = {}
    font = cache.get(size)
    if font is None:
        font = cache[size] = ImageFont.load_default(size=size)
    return font


class BoundedCache:
    """A small thread-safe LRU for drawn images, bounded by entry count and total pixels."""

    def __init__(self, max_entries: int, max_pixels: int) -> None:
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self._max_entries = max_entries
        self._max_pixels = max_pixels
        self._pixels = 0

    def get(self, key):
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key, value, pixels: int) -> None:
        with self._lock:
            if key in self._items:
                return
            self._items[key] = (value, pixels)
            self._pixels += pixels
            while len(self._items) > 1 and (len(self._items) > self._max_entries or self._pixels > self._max_pixels):
                _, (_, old_pixels) = self._items.popitem(last=False)
                self._pixels -= old_pixels


class Sprite(NamedTuple):
    img: Image.Image
    ax: int  # the sprite pixel that sits on the entity position
    ay: int


def blit(canvas: Image.Image, sprite: Sprite, cx: int, cy: int) -> None:
    """Alpha-composite a sprite so that its anchor lands on pixel (cx, cy), clipped to the canvas."""
    x0, y0 = cx - sprite.ax, cy - sprite.ay
    sw, sh = sprite.img.size
    left, top = max(0, -x0), max(0, -y0)
    right, bottom = min(sw, canvas.width - x0), min(sh, canvas.height - y0)
    if right <= left or bottom <= top:
        return
    canvas.alpha_composite(sprite.img, dest=(x0 + left, y0 + top), source=(left, top, right, bottom))


def circle(cx: float, cy: float, r: float) -> tuple[float, float, float, float]:
    return (cx - r, cy - r, cx + r, cy + r)
