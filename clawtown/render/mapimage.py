"""map.png and minimap.png: a MapSnapshot drawn with Pillow.

Pure functions of the snapshot (call them in a worker thread, never on the reactor). The whole
map is scaled to the image, x and y independently. Layers, bottom to top: terrain (cached per
map and size), drops, monsters with HP bars, other players with HP bars, names, and last the
caller's own marker, so nothing is ever painted over it. Round things are pre-drawn sprites,
supersampled and reduced for anti-aliasing, and composited with `Image.alpha_composite`; the
result is an opaque RGB PNG.
"""

from __future__ import annotations

import io
import math
import re
import threading
from collections import OrderedDict
from functools import lru_cache
from typing import NamedTuple

from PIL import Image, ImageChops, ImageColor, ImageDraw, ImageFilter, ImageFont

from .snapshot import MapSnapshot

MAP_DEFAULT = (960, 576)
MAP_LIMITS = ((320, 2048), (240, 2048))
MINIMAP_DEFAULT = (480, 288)
MINIMAP_LIMITS = ((180, 1024), (120, 1024))
PNG_COMPRESS_LEVEL = 4

YOU_COLOR = (255, 132, 0)
YOU_OUTLINE = (48, 26, 8)
YOU_RING = (255, 255, 255)
PLAYER_COLOR = (46, 110, 235)
PLAYER_KO_COLOR = (150, 156, 170)
MONSTER_FALLBACK = (250, 200, 90, 235)
DROP_GOLD = (255, 206, 48)

GRASS = ((128, 201, 104), (120, 193, 97))
GRASS_TUFT = (98, 170, 80)
PATH = (229, 196, 140)
PATH_RIM = (196, 160, 106)
PATH_PEBBLE = (208, 172, 118)
PLAZA = (242, 232, 210)
PLAZA_GROUT = (218, 204, 176)
PLAZA_RIM = (184, 168, 138)
WATER = (86, 166, 226)
WATER_DEEP = (70, 146, 212)
WATER_SHORE = (240, 232, 196)
WAVE = (200, 232, 255)
PORTAL_FLOOR = (198, 186, 236)
PORTAL_RIM = (150, 132, 210)
FRAME = (58, 96, 52)
FLOWERS = ((255, 255, 255), (255, 190, 212), (255, 226, 106), (206, 186, 255))
FLOWER_EYE = (255, 200, 64)

RARITY_GLOW = {"uncommon": (120, 230, 120), "rare": (110, 180, 255), "epic": (200, 120, 255)}


# ---- sizes --------------------------------------------------------------------------------------

def _parse_dim(raw, default: int, lo: int, hi: int) -> int:
    if raw is None:
        return default
    if isinstance(raw, (bytes, bytearray)):
        try:
            raw = raw.decode("ascii")
        except UnicodeDecodeError:
            return default
    if isinstance(raw, bool):
        return default
    if isinstance(raw, str):
        raw = raw.strip()
        if not raw:
            return default
        try:
            value = float(raw)
        except ValueError:
            return default
    elif isinstance(raw, (int, float)):
        value = float(raw)
    else:
        return default
    if not math.isfinite(value):
        return default
    return min(max(int(value), lo), hi)


def clamp_size(kind: str, w, h) -> tuple[int, int]:
    """Image size for `kind` ("map" or "minimap") from raw query values (str, bytes, numbers or None).

    Numbers are truncated and clamped to the kind's limits; anything unparsable means the default.
    """
    if kind == "minimap":
        (dw, dh), (wl, hl) = MINIMAP_DEFAULT, MINIMAP_LIMITS
    elif kind == "map":
        (dw, dh), (wl, hl) = MAP_DEFAULT, MAP_LIMITS
    else:
        raise ValueError(f"unknown image kind {kind!r}")
    return _parse_dim(w, dw, *wl), _parse_dim(h, dh, *hl)


# ---- small helpers ------------------------------------------------------------------------------

_RGBA_RE = re.compile(r"^\s*rgba?\(\s*([^)]*)\)\s*$", re.IGNORECASE)


@lru_cache(maxsize=256)
def parse_color(text: str | None) -> tuple[int, int, int, int] | None:
    """A CSS-like colour ("rgba(r, g, b, a)", "rgb(...)", "#rgb", "#rrggbb", names) as RGBA, or None."""
    if not text or not isinstance(text, str):
        return None
    m = _RGBA_RE.match(text)
    try:
        if m:
            parts = [p.strip() for p in m.group(1).replace("/", ",").split(",") if p.strip()]
            if len(parts) not in (3, 4):
                return None
            rgb = []
            for p in parts[:3]:
                v = float(p[:-1]) * 2.55 if p.endswith("%") else float(p)
                rgb.append(int(round(min(max(v, 0.0), 255.0))))
            a = 1.0
            if len(parts) == 4:
                p = parts[3]
                a = float(p[:-1]) / 100 if p.endswith("%") else float(p)
            if not all(math.isfinite(v) for v in (*rgb, a)):
                return None
            return rgb[0], rgb[1], rgb[2], int(round(min(max(a, 0.0), 1.0) * 255))
        c = ImageColor.getcolor(text.strip(), "RGBA")
        return int(c[0]), int(c[1]), int(c[2]), int(c[3])
    except (ValueError, TypeError):
        return None


def _hash(*values: int) -> int:
    """A small deterministic integer hash (Python's hash() is salted per process for strings)."""
    h = 0x811C9DC5
    for v in values:
        h ^= v & 0xFFFFFFFF
        h = (h * 0x01000193) & 0xFFFFFFFF
        h ^= h >> 13
        h = (h * 0x5BD1E995) & 0xFFFFFFFF
        h ^= h >> 15
    return h


def _shade(c, k: float) -> tuple[int, int, int]:
    return tuple(int(min(255, max(0, round(v * k)))) for v in c[:3])


def _mix(a, b, t: float) -> tuple[int, int, int]:
    return tuple(int(round(a[i] + (b[i] - a[i]) * t)) for i in range(3))


_fonts = threading.local()  # FreeType faces are not shared between threads


def _font(size: int) -> ImageFont.FreeTypeFont:
    cache = getattr(_fonts, "cache", None)
    if cache is None:
        cache = _fonts.cache = {}
    font = cache.get(size)
    if font is None:
        font = cache[size] = ImageFont.load_default(size=size)
    return font


class _BoundedCache:
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


_backgrounds = _BoundedCache(max_entries=12, max_pixels=8_400_000)  # two 2048×2048, or many small
_sprites = _BoundedCache(max_entries=512, max_pixels=4_000_000)


class _Sprite(NamedTuple):
    img: Image.Image
    ax: int  # the sprite pixel that sits on the entity position
    ay: int


def _blit(canvas: Image.Image, sprite: _Sprite, cx: int, cy: int) -> None:
    """Alpha-composite a sprite so that its anchor lands on pixel (cx, cy), clipped to the canvas."""
    x0, y0 = cx - sprite.ax, cy - sprite.ay
    sw, sh = sprite.img.size
    left, top = max(0, -x0), max(0, -y0)
    right, bottom = min(sw, canvas.width - x0), min(sh, canvas.height - y0)
    if right <= left or bottom <= top:
        return
    canvas.alpha_composite(sprite.img, dest=(x0 + left, y0 + top), source=(left, top, right, bottom))


# ---- sprites (drawn at SS× and reduced, so edges are smooth) -------------------------------------

SS = 4


class _HiRes:
    """A transparent SS× canvas for one sprite, built from layers composited over each other."""

    def __init__(self, w: int, h: int) -> None:
        self.w, self.h = w, h
        self.img = Image.new("RGBA", (w * SS, h * SS), (0, 0, 0, 0))

    def layer(self, draw_fn) -> None:
        layer = Image.new("RGBA", self.img.size, (0, 0, 0, 0))
        draw_fn(ImageDraw.Draw(layer))
        self.img.alpha_composite(layer)

    def done(self, ax: int, ay: int) -> _Sprite:
        return _Sprite(self.img.reduce(SS), ax, ay)


def _circle(cx: float, cy: float, r: float) -> tuple[float, float, float, float]:
    return (cx - r, cy - r, cx + r, cy + r)


def _sprite(key, build) -> _Sprite:
    sprite = _sprites.get(key)
    if sprite is None:
        sprite = build()
        _sprites.put(key, sprite, sprite.img.width * sprite.img.height)
        return sprite
    return sprite[0]


def _you_sprite(r: float) -> _Sprite:
    """Orange dot, dark outline, white ring, thin dark edge: readable on grass, sand and stone."""
    def build() -> _Sprite:
        outer = r + 5.5
        half = int(math.ceil(outer + 2))
        size = 2 * half + 1
        hr = _HiRes(size, size + 2)
        c = (half + 0.5) * SS

        def shadow(d):
            d.ellipse(_circle(c, c + 2 * SS, outer * SS), fill=(0, 0, 0, 80))
        hr.layer(shadow)

        def body(d):
            d.ellipse(_circle(c, c, outer * SS), fill=YOU_OUTLINE + (255,))
            d.ellipse(_circle(c, c, (outer - 1.2) * SS), fill=YOU_RING + (255,))
            d.ellipse(_circle(c, c, (r + 1.4) * SS), fill=YOU_OUTLINE + (255,))
            d.ellipse(_circle(c, c, r * SS), fill=YOU_COLOR + (255,))
        hr.layer(body)
        return hr.done(half, half)
    return _sprite(("you", r), build)


def _player_sprite(r: float, knocked_out: bool) -> _Sprite:
    def build() -> _Sprite:
        half = int(math.ceil(r + 3))
        size = 2 * half + 1
        hr = _HiRes(size, size + 1)
        c = (half + 0.5) * SS
        color = PLAYER_KO_COLOR if knocked_out else PLAYER_COLOR

        def shadow(d):
            d.ellipse(_circle(c, c + 1.5 * SS, (r + 1.2) * SS), fill=(0, 0, 0, 70))
        hr.layer(shadow)

        def body(d):
            d.ellipse(_circle(c, c, (r + 1.3) * SS), fill=(255, 255, 255, 255))
            d.ellipse(_circle(c, c, r * SS), fill=color + (255,))
        hr.layer(body)
        if r >= 4:
            def shine(d):
                d.ellipse(_circle(c - 0.42 * r * SS, c - 0.42 * r * SS, 0.24 * r * SS), fill=(255, 255, 255, 120))
            hr.layer(shine)
        return hr.done(half, half)
    return _sprite(("player", r, knocked_out), build)


def _monster_sprite(r: float, rgba: tuple[int, int, int, int], elite: bool, detailed: bool) -> _Sprite:
    """A slime: squashed blob in its colour, darker outline, shine, eyes; elites get a crown."""
    def build() -> _Sprite:
        half_w = int(math.ceil(r + 2))
        top = int(math.ceil(r * 0.9 + (r * 0.8 if elite else 0) + 2))
        bottom = int(math.ceil(r * 0.9 + 3))
        w, h = 2 * half_w + 1, top + bottom + 1
        hr = _HiRes(w, h)
        cx, cy = (half_w + 0.5) * SS, (top + 0.5) * SS
        R = r * SS
        body = tuple(rgba[:3])
        alpha = max(rgba[3], 150)
        outline = _shade(body, 0.55)

        def shadow(d):
            d.ellipse((cx - 0.95 * R, cy + 0.55 * R, cx + 0.95 * R, cy + 0.95 * R), fill=(0, 0, 0, 70))
        hr.layer(shadow)

        edge = max(1.0, r * 0.13) * SS

        def blob(d):  # a translucent body shows the ground through it; the outline stays solid
            d.ellipse((cx - R, cy - 0.85 * R, cx + R, cy + 0.8 * R), fill=body + (alpha,), outline=outline + (255,),
                      width=int(round(edge)))
        hr.layer(blob)
        if detailed and r >= 5:
            def face(d):
                d.ellipse((cx - 0.62 * R, cy - 0.62 * R, cx - 0.18 * R, cy - 0.34 * R), fill=(255, 255, 255, 150))
                ew, eh = 0.11 * R, 0.17 * R
                for sx in (-0.3, 0.3):
                    ex = cx + sx * R
                    d.ellipse((ex - ew, cy - 0.12 * R - eh, ex + ew, cy - 0.12 * R + eh), fill=(40, 30, 40, 255))
                if r >= 8:
                    for sx in (-0.55, 0.55):
                        bx = cx + sx * R
                        d.ellipse((bx - 0.13 * R, cy + 0.12 * R, bx + 0.13 * R, cy + 0.26 * R),
                                  fill=(255, 120, 150, 120))
            hr.layer(face)
        if elite:
            def crown(d):
                base_y = cy - 0.78 * R
                cw = 0.62 * R
                ch = 0.62 * R
                pts = [
                    (cx - cw, base_y), (cx - cw, base_y - 0.55 * ch), (cx - 0.5 * cw, base_y - 0.25 * ch),
                    (cx, base_y - ch), (cx + 0.5 * cw, base_y - 0.25 * ch), (cx + cw, base_y - 0.55 * ch),
                    (cx + cw, base_y),
                ]
                d.polygon(pts, fill=(255, 210, 50, 255), outline=(140, 90, 10, 255), width=max(1, int(SS * 0.9)))
                d.ellipse(_circle(cx, base_y - 0.3 * ch, 0.12 * cw), fill=(230, 40, 80, 255))
            hr.layer(crown)
        return hr.done(half_w, top)
    return _sprite(("monster", r, rgba, elite, detailed), build)


def _drop_sprite(half: float, rarity: str) -> _Sprite:
    """A small gold diamond; better rarities get a coloured glow."""
    def build() -> _Sprite:
        ext = int(math.ceil(half * 1.8 + 2))
        size = 2 * ext + 1
        hr = _HiRes(size, size)
        c = (ext + 0.5) * SS
        H = half * SS
        glow = RARITY_GLOW.get(rarity)
        if glow:
            def halo(d):
                d.ellipse(_circle(c, c, half * 1.8 * SS), fill=glow + (150,))
            hr.layer(halo)

        def gem(d):
            o = 1.1 * SS
            d.polygon([(c, c - H - o), (c + H + o, c), (c, c + H + o), (c - H - o, c)], fill=(120, 80, 10, 255))
            d.polygon([(c, c - H), (c + H, c), (c, c + H), (c - H, c)], fill=DROP_GOLD + (255,))
            d.polygon([(c, c - H), (c + H * 0.42, c - H * 0.45), (c, c - H * 0.3), (c - H * 0.42, c - H * 0.45)],
                      fill=(255, 246, 190, 255))
        hr.layer(gem)
        return hr.done(ext, ext)
    return _sprite(("drop", half, rarity), build)


# ---- terrain ------------------------------------------------------------------------------------

def _tile_edges(n: int, length: int) -> list[int]:
    return [int(round(i * length / n)) for i in range(n + 1)]


def _letter(terrain, tx: int, ty: int) -> str:
    """The tile letter, with the map's edge tiles continuing outside it."""
    ty = min(max(ty, 0), len(terrain) - 1)
    row = terrain[ty]
    tx = min(max(tx, 0), len(row) - 1)
    return row[tx]


def _ramp(threshold: int, soft: int = 5) -> list[int]:
    lo = threshold - soft
    return [min(255, max(0, (v - lo) * 255 // (2 * soft))) for v in range(256)]


class _Shapes:
    """Smooth outlines of terrain classes: tiles → blur → threshold, so convex corners round off and
    concave ones fill in. The blur runs on a small field (a few pixels per tile) that is then scaled
    up smoothly to the image: the field is smooth, so nothing is lost and the blur stays cheap."""

    FIELD = 8  # field pixels per tile

    def __init__(self, snap: MapSnapshot, W: int, H: int) -> None:
        self.snap, self.W, self.H = snap, W, H
        self._fields: dict = {}

    def _field(self, letters: str, blur: float) -> Image.Image | None:
        key = (letters, blur)
        if key in self._fields:
            return self._fields[key]
        snap, F = self.snap, self.FIELD
        nx, ny = snap.width, snap.height
        field = None
        if any(ch in letters for row in snap.terrain for ch in row):
            m = Image.new("L", ((nx + 2) * F, (ny + 2) * F), 0)
            d = ImageDraw.Draw(m)
            for ty in range(-1, ny + 1):  # one tile of margin: the map's edge tiles continue outside
                for tx in range(-1, nx + 1):
                    if _letter(snap.terrain, tx, ty) in letters:
                        d.rectangle(((tx + 1) * F, (ty + 1) * F, (tx + 2) * F - 1, (ty + 2) * F - 1), fill=255)
            m = m.filter(ImageFilter.GaussianBlur(0.28 * F * blur))
            field = m.resize((self.W, self.H), Image.Resampling.BICUBIC, box=(F, F, (nx + 1) * F, (ny + 1) * F))
        self._fields[key] = field
        return field

    def mask(self, letters: str, threshold: int, blur: float = 1.0) -> Image.Image | None:
        field = self._field(letters, blur)
        return None if field is None else field.point(_ramp(threshold))


def _fill(img: Image.Image, mask: Image.Image | None, color) -> None:
    """Composite a flat colour through `mask` (only over the mask's bounding box)."""
    box = mask.getbbox() if mask is not None else None
    if box is None:
        return
    layer = Image.new("RGBA", (box[2] - box[0], box[3] - box[1]), tuple(color[:3]) + (255,))
    layer.putalpha(mask.crop(box))
    img.alpha_composite(layer, dest=box[:2])


def _compose_clipped(img: Image.Image, layer: Image.Image, mask: Image.Image) -> None:
    """Composite `layer` (same size as img) where `mask` allows it."""
    box = mask.getbbox()
    if box is None:
        return
    part = layer.crop(box)
    part.putalpha(ImageChops.multiply(part.getchannel("A"), mask.crop(box)))
    img.alpha_composite(part, dest=box[:2])


def _draw_terrain(snap: MapSnapshot, W: int, H: int, ss: int, decor: bool) -> Image.Image:
    """The ground of the map at (W×ss)×(H×ss); the caller reduces it to W×H."""
    terrain = snap.terrain
    nx, ny = snap.width, snap.height
    xs = [v * ss for v in _tile_edges(nx, W)]
    ys = [v * ss for v in _tile_edges(ny, H)]
    W, H = W * ss, H * ss
    tw, th = W / nx, H / ny
    t = min(tw, th)
    salt = _hash(*(ord(ch) for ch in snap.map_id))
    img = Image.new("RGBA", (W, H), GRASS[0] + (255,))
    d = ImageDraw.Draw(img)

    # grass with a subtle checker, in blocks of tiles when tiles are small (a fine grid looks busy)
    block = max(1, math.ceil(20 * ss / t))
    checker = GRASS[1] if block == 1 else _mix(GRASS[0], GRASS[1], 0.6)
    for by in range(0, ny, block):
        for bx in range(0, nx, block):
            if (bx // block + by // block) % 2:
                d.rectangle((xs[bx], ys[by], xs[min(nx, bx + block)] - 1, ys[min(ny, by + block)] - 1),
                            fill=checker + (255,))
    if decor and t >= 8 * ss:
        # about the same number of flowers per image area whatever the tile size
        per_mille = int(80 * min(1.0, (t / ss / 32) ** 2))
        for ty in range(ny):
            for tx in range(nx):
                ch = _letter(terrain, tx, ty)
                if ch not in "gf":
                    continue
                h = _hash(tx, ty, salt)
                if ch == "f" or h % 1000 < per_mille:
                    for k in range(3 if ch == "f" else 1):
                        hk = _hash(h, 11, k)
                        fx = xs[tx] + (0.2 + 0.6 * ((hk & 0xFF) / 255)) * tw
                        fy = ys[ty] + (0.2 + 0.6 * (((hk >> 8) & 0xFF) / 255)) * th
                        pr = t * 0.06
                        petal = FLOWERS[(hk >> 16) % len(FLOWERS)]
                        for ang in range(0, 360, 72):
                            a = math.radians(ang + (hk >> 20) % 72)
                            d.ellipse(_circle(fx + math.cos(a) * pr * 1.3, fy + math.sin(a) * pr * 1.3, pr),
                                      fill=petal + (255,))
                        d.ellipse(_circle(fx, fy, pr * 0.8), fill=FLOWER_EYE + (255,))

    def tiles(letter: str):
        for ty in range(ny):
            for tx in range(nx):
                if _letter(terrain, tx, ty) == letter:
                    yield tx, ty

    shapes = _Shapes(snap, W, H)
    # paths (plaza and portal tiles count as paved, so a path runs into them without a rim)
    _fill(img, shapes.mask("pPo", 128), PATH_RIM)
    path = shapes.mask("pPo", 168)
    _fill(img, path, PATH)
    if decor and path is not None and t >= 12 * ss:
        dots = Image.new("RGBA", (W, H), (0, 0, 0, 0))
        dd = ImageDraw.Draw(dots)
        for tx, ty in tiles("p"):
            h = _hash(tx, ty, salt, 3)
            for k in range(2):
                hk = _hash(h, k)
                px = xs[tx] + (0.2 + 0.6 * ((hk & 0xFF) / 255)) * tw
                py = ys[ty] + (0.2 + 0.6 * (((hk >> 8) & 0xFF) / 255)) * th
                dd.ellipse(_circle(px, py, t * (0.035 + 0.01 * ((hk >> 16) & 3))), fill=PATH_PEBBLE + (255,))
        _compose_clipped(img, dots, path)

    # plaza: a stone rim and cobbles
    _fill(img, shapes.mask("Po", 128), PLAZA_RIM)
    plaza = shapes.mask("Po", 170)
    _fill(img, plaza, PLAZA)
    if plaza is not None and t >= 10 * ss:
        grout = Image.new("RGBA", (W, H), (0, 0, 0, 0))
        gd = ImageDraw.Draw(grout)
        gw = max(1, int(round(t * 0.045)))
        for tx, ty in tiles("P"):
            x0, y0, x1, y1 = xs[tx], ys[ty], xs[tx + 1], ys[ty + 1]
            mid = (y0 + y1) // 2
            gd.rectangle((x0, mid, x1 - 1, mid + gw - 1), fill=PLAZA_GROUT + (255,))
            gd.rectangle((x0, y0, x0 + gw - 1, mid), fill=PLAZA_GROUT + (255,))
            gd.rectangle(((x0 + x1) // 2, mid, (x0 + x1) // 2 + gw - 1, y1 - 1), fill=PLAZA_GROUT + (255,))
        _compose_clipped(img, grout, plaza)

    # water: a light shore, the water, a deeper middle and a few ripples
    _fill(img, shapes.mask("w", 128, blur=1.7), WATER_SHORE)
    water = shapes.mask("w", 168, blur=1.7)
    _fill(img, water, WATER)
    if water is not None:
        _fill(img, shapes.mask("w", 225, blur=2.4), WATER_DEEP)
        if t >= 10 * ss:
            waves = Image.new("RGBA", (W, H), (0, 0, 0, 0))
            wd = ImageDraw.Draw(waves)
            for tx, ty in tiles("w"):
                h = _hash(tx, ty, salt, 5)
                if h % 3 == 0:
                    continue
                wx = xs[tx] + (0.3 + 0.4 * ((h >> 4) & 0xFF) / 255) * tw
                wy = ys[ty] + (0.3 + 0.4 * ((h >> 12) & 0xFF) / 255) * th
                s = t * 0.14
                w = max(1, int(round(t * 0.045)))
                wd.arc((wx - s, wy - s * 0.6, wx, wy + s * 0.6), 200, 340, fill=WAVE + (255,), width=w)
                wd.arc((wx, wy - s * 0.6, wx + s, wy + s * 0.6), 200, 340, fill=WAVE + (255,), width=w)
            _compose_clipped(img, waves, water)

    # portals: a violet floor, a soft glow and a swirl
    _fill(img, shapes.mask("o", 128), PORTAL_RIM)
    _fill(img, shapes.mask("o", 170), PORTAL_FLOOR)
    sx, sy = W / snap.px_width, H / snap.px_height
    for p in snap.portals:
        rr = max(p.radius * min(sx, sy), t * 0.45)
        half = int(math.ceil(rr * 3.5))
        px, py = p.x * sx, p.y * sy
        ox, oy = int(px) - half, int(py) - half  # a local layer around the portal
        lx, ly = px - ox, py - oy
        glow = Image.new("RGBA", (2 * half, 2 * half), (0, 0, 0, 0))
        gd = ImageDraw.Draw(glow)
        gd.ellipse(_circle(lx, ly, rr * 1.9), fill=(170, 140, 255, 150))
        gd.ellipse(_circle(lx, ly, rr * 1.2), fill=(150, 235, 255, 170))
        glow = glow.filter(ImageFilter.GaussianBlur(max(1.0, rr * 0.5)))
        sd = ImageDraw.Draw(swirl := Image.new("RGBA", glow.size, (0, 0, 0, 0)))
        w = max(1, int(round(rr * 0.16)))
        sd.ellipse(_circle(lx, ly, rr), fill=(236, 246, 255, 200), outline=(125, 95, 235, 255), width=w)
        sd.ellipse(_circle(lx, ly, rr * 0.62), outline=(160, 200, 255, 255), width=w)
        sd.ellipse(_circle(lx, ly, rr * 0.26), fill=(255, 255, 255, 255))
        glow.alpha_composite(swirl)
        _blit(img, _Sprite(glow, 0, 0), ox, oy)
    return img


def _tufts(img: Image.Image, snap: MapSnapshot) -> None:
    """Grass tufts drawn crisp at the final size (pixel-art style, and cheap to compress)."""
    W, H = img.size
    nx, ny = snap.width, snap.height
    xs, ys = _tile_edges(nx, W), _tile_edges(ny, H)
    tw, th = W / nx, H / ny
    t = min(tw, th)
    if t < 8:
        return
    d = ImageDraw.Draw(img)
    salt = _hash(*(ord(ch) for ch in snap.map_id), 9)
    s = max(1, int(round(t * 0.09)))
    skip = max(3, int(3 * (32 / t) ** 2))  # keep the density per image area
    for ty in range(ny):
        for tx in range(nx):
            if _letter(snap.terrain, tx, ty) not in "gf":
                continue
            for k in range(2):
                hk = _hash(tx, ty, salt, k)
                if hk % skip != 1:
                    continue
                gx = int(xs[tx] + (0.2 + 0.6 * ((hk & 0xFF) / 255)) * tw)
                gy = int(ys[ty] + (0.3 + 0.55 * (((hk >> 8) & 0xFF) / 255)) * th)
                col = GRASS_TUFT + (255,)
                d.line((gx - s, gy - s, gx, gy), fill=col)
                d.line((gx + s, gy - s, gx, gy), fill=col)


def _label_pill(canvas: Image.Image, x: int, y: int, text: str, size: int, fg, bg,
                anchor_right=False) -> tuple[int, int, int, int]:
    """Text on a rounded translucent pill whose top-left (or top-right) corner is (x, y); returns its box."""
    font = _font(size)
    probe = ImageDraw.Draw(canvas)
    l, t, r, b = probe.textbbox((0, 0), text, font=font)
    pad_x, pad_y = max(3, size // 2), max(2, size // 4)
    w, h = r - l + 2 * pad_x, b - t + 2 * pad_y
    if anchor_right:
        x -= w
    x = min(max(0, x), max(0, canvas.width - w))
    y = min(max(0, y), max(0, canvas.height - h))
    layer = Image.new("RGBA", (w + 1, h + 1), (0, 0, 0, 0))
    ld = ImageDraw.Draw(layer)
    ld.rounded_rectangle((0, 0, w, h), radius=h // 2, fill=bg)
    _blit(canvas, _Sprite(layer, 0, 0), x, y)
    ImageDraw.Draw(canvas).text((x + pad_x - l, y + pad_y - t), text, font=font, fill=fg)
    return x, y, x + w + 1, y + h + 1


def _background(snap: MapSnapshot, w: int, h: int, minimap: bool) -> tuple[Image.Image, tuple]:
    """The terrain image for this map and size (shared: callers copy it before drawing), and the
    boxes of the labels drawn on it (the map name, portal destinations), for name labels to avoid."""
    key = (snap.map_id, snap.map_name, snap.width, snap.height, snap.tile, snap.terrain, snap.portals, w, h, minimap)
    cached = _backgrounds.get(key)
    if cached is not None:
        return cached[0]
    ss = 2 if w * h <= 1_600_000 else 1
    img = _draw_terrain(snap, w, h, ss, decor=not minimap)
    if ss > 1:
        img = img.reduce(ss)
    if not minimap:
        _tufts(img, snap)
    d = ImageDraw.Draw(img)
    frame = 2 if minimap else 3
    for i in range(frame):
        d.rectangle((i, i, w - 1 - i, h - 1 - i), outline=_shade(FRAME, 1 + 0.25 * i) + (255,))
    boxes = []
    if not minimap:
        s = min(w / snap.px_width, h / snap.px_height)
        size = max(13, min(20, int(round(15 * s + 2))))
        boxes.append(_label_pill(img, frame + 6, frame + 6, snap.map_name, size, (255, 255, 255, 255), (24, 36, 48, 170)))
        sx, sy = w / snap.px_width, h / snap.px_height
        small = max(10, min(16, int(round(11 * s + 2))))
        for p in snap.portals:
            px, py = int(p.x * sx), int(p.y * sy)
            rr = max(p.radius * s, 6)
            text = f"to {p.label}" if p.label else "portal"
            right = px > w * 0.6
            boxes.append(_label_pill(img, px - int(rr * 2) if right else px + int(rr * 2),
                                     py - small - int(rr * 1.6), text, small, (255, 255, 255, 255),
                                     (70, 40, 140, 190), anchor_right=right))
    result = (img, tuple(boxes))
    _backgrounds.put(key, result, w * h)
    return result


# ---- entities -----------------------------------------------------------------------------------

def _hp_color(frac: float) -> tuple[int, int, int]:
    if frac > 0.5:
        return _mix((250, 204, 21), (74, 210, 92), (frac - 0.5) * 2)
    return _mix((239, 68, 68), (250, 204, 21), frac * 2)


def _hp_bar(d: ImageDraw.ImageDraw, cx: int, top: int, width: int, height: int, hp: int, max_hp: int) -> None:
    x0 = cx - width // 2
    d.rectangle((x0 - 1, top - 1, x0 + width, top + height), fill=(28, 32, 38, 255))
    frac = min(max(hp / max_hp, 0.0), 1.0) if max_hp > 0 else 0.0
    filled = int(round((width - 1) * frac))
    if filled > 0:
        d.rectangle((x0, top, x0 + filled - 1, top + height - 1), fill=_hp_color(frac) + (255,))


_labels = _BoundedCache(max_entries=2048, max_pixels=4_000_000)


def _label_sprite(text: str, size: int, fill: tuple[int, int, int]) -> _Sprite:
    """A name in `fill` with a dark outline, anchored at its top centre (cached: names rarely change)."""
    key = (text, size, fill)
    cached = _labels.get(key)
    if cached is not None:
        return cached[0]
    font = _font(size)
    probe = ImageDraw.Draw(Image.new("L", (1, 1)))
    l, t, r, b = probe.textbbox((0, 0), text, font=font, stroke_width=2)
    w, h = max(1, r - l), max(1, b - t)
    outline = Image.new("L", (w, h), 0)
    ImageDraw.Draw(outline).text((-l, -t), text, font=font, fill=255, stroke_width=2, stroke_fill=255)
    inner = Image.new("L", (w, h), 0)
    ImageDraw.Draw(inner).text((-l, -t), text, font=font, fill=255, stroke_width=2, stroke_fill=0)
    img = Image.new("RGBA", (w, h), (24, 28, 36, 0))
    img.putalpha(outline)
    top = Image.new("RGBA", (w, h), tuple(fill) + (0,))
    top.putalpha(inner)
    img.alpha_composite(top)
    sprite = _Sprite(img, w // 2, 0)
    _labels.put(key, sprite, w * h)
    return sprite


class _Labels:
    """Name labels placed greedily: a label that would overlap an earlier one is skipped."""

    def __init__(self, canvas: Image.Image, size: int) -> None:
        self.canvas = canvas
        self.size = size
        self.taken: list[tuple[int, int, int, int]] = []

    def add(self, cx: int, top: int, text: str, fill: tuple[int, int, int]) -> None:
        text = " ".join(text.split())
        if not text:
            return
        if len(text) > 18:
            text = text[:17] + "…"
        sprite = _label_sprite(text, self.size, fill)
        w, h = sprite.img.size
        l = min(max(0, cx - sprite.ax), self.canvas.width - w)
        t, r, b = top, l + w, top + h
        if t < 0 or b > self.canvas.height:
            return
        for (L, T, R, B) in self.taken:
            if l < R and L < r and t < B and T < b:
                return
        self.taken.append((l, t, r, b))
        _blit(self.canvas, sprite, l + sprite.ax, top)


def _pos(x: float, y: float, sx: float, sy: float) -> tuple[int, int] | None:
    """The pixel a world position falls in (None for a position that is not a finite number)."""
    u, v = x * sx, y * sy
    if not (math.isfinite(u) and math.isfinite(v)):
        return None
    return int(math.floor(min(max(u, -1e6), 1e6))), int(math.floor(min(max(v, -1e6), 1e6)))


def _quant(v: float) -> float:
    return round(v * 4) / 4


def _scales(snap: MapSnapshot, w: int, h: int) -> tuple[float, float, float]:
    sx, sy = w / max(1, snap.px_width), h / max(1, snap.px_height)
    return sx, sy, min(sx, sy)


def _you_at(snap: MapSnapshot, sprite: _Sprite, sx: float, sy: float, w: int, h: int):
    """Where your marker goes: your position, nudged so the whole marker stays inside the image."""
    you = snap.you
    pos = None if you is None else _pos(you.x, you.y, sx, sy)
    if pos is None:
        return None, None
    cx = min(max(pos[0], sprite.ax), w - 1 - sprite.ax)
    cy = min(max(pos[1], sprite.ay), h - 1 - sprite.ay)
    return you, (cx, cy)


def render_map_png(snap: MapSnapshot, width: int = 960, height: int = 576, names: bool = False) -> bytes:
    """The whole map at width×height (clamped like map.png) as an opaque RGB PNG.

    `names` adds player names with levels and monster names (labels that would overlap are left out).
    """
    w, h = clamp_size("map", width, height)
    sx, sy, s = _scales(snap, w, h)
    bg, reserved = _background(snap, w, h, minimap=False)
    canvas = bg.copy()
    d = ImageDraw.Draw(canvas)

    drop_half = _quant(min(max(6 * s, 4), 10))
    for dr in snap.drops:
        pos = _pos(dr.x, dr.y, sx, sy)
        if pos is not None:
            _blit(canvas, _drop_sprite(drop_half, dr.rarity), *pos)

    mon_r = min(max(11 * s, 6), 22)
    bar_h = max(3, int(round(3 * s + 1)))
    monster_spots = []
    for m in snap.monsters:
        pos = _pos(m.x, m.y, sx, sy)
        if pos is None:
            continue
        elite = m.kind == "elite"
        r = _quant(mon_r * (1.45 if elite else 1.0))
        rgba = parse_color(m.color) or MONSTER_FALLBACK
        cx, cy = pos
        _blit(canvas, _monster_sprite(r, rgba, elite, True), cx, cy)
        top = cy - int(r * (0.85 + (0.8 if elite else 0))) - bar_h - 4
        _hp_bar(d, cx, top, max(14, int(round(2.2 * r))), bar_h, m.hp, m.max_hp)
        monster_spots.append((cx, cy, r, m))

    pl_r = _quant(min(max(8 * s, 4), 14))
    pbar_h = max(2, bar_h - 1)
    player_spots = []
    for p in snap.players:
        pos = _pos(p.x, p.y, sx, sy)
        if p.is_you or pos is None:
            continue
        cx, cy = pos
        _blit(canvas, _player_sprite(pl_r, p.knocked_out), cx, cy)
        _hp_bar(d, cx, cy - int(pl_r) - pbar_h - 4, max(12, int(round(2.4 * pl_r))), pbar_h, p.hp, p.max_hp)
        player_spots.append((cx, cy, p))

    you_r = _quant(pl_r + 3)
    you_sprite = _you_sprite(you_r)
    you, you_pos = _you_at(snap, you_sprite, sx, sy, w, h)
    label_size = max(10, min(16, int(round(11 * s + 2))))
    if names:
        labels = _Labels(canvas, label_size)
        labels.taken.extend(reserved)
        if you_pos is not None:  # keep the space around your own marker free of other labels
            e = you_sprite.ax + 2
            labels.taken.append((you_pos[0] - e, you_pos[1] - e - label_size - 10, you_pos[0] + e,
                                 you_pos[1] + e + bar_h + 6))
        for cx, cy, r, m in monster_spots:
            labels.add(cx, cy + int(r * 0.9) + 2, m.name, (255, 240, 200))
        for cx, cy, p in player_spots:
            labels.add(cx, cy + int(pl_r) + 3, f"{p.name} Lv{p.level}", (255, 255, 255))

    # you: last, so nothing is ever painted over your marker
    if you_pos is not None:
        cx, cy = you_pos
        _blit(canvas, you_sprite, cx, cy)
        outer = you_sprite.ax - 1
        _hp_bar(d, cx, cy + outer + 3, max(14, int(round(2.6 * you_r))), bar_h, you.hp, you.max_hp)
        name = " ".join(you.name.split())
        tag = f"YOU · {name[:17] + '…' if len(name) > 18 else name}" if names and name else "YOU"
        font = _font(label_size)
        l, t, r, b = d.textbbox((0, 0), tag, font=font)
        pad = max(3, label_size // 3)
        tag_w, tag_h = r - l + 2 * pad, b - t + 2 * pad
        bx0 = min(max(0, cx - tag_w // 2), w - tag_w - 1)
        by0 = cy - outer - 3 - tag_h
        if by0 < 0:  # no room above: below the HP bar instead
            by0 = cy + outer + bar_h + 8
        d.rounded_rectangle((bx0, by0, bx0 + tag_w, by0 + tag_h), radius=tag_h // 2,
                            fill=(30, 24, 20, 255), outline=YOU_COLOR + (255,), width=1)
        d.text((bx0 + pad - l, by0 + pad - t), tag, font=font, fill=(255, 255, 255))
    return _encode(canvas)


def render_minimap_png(snap: MapSnapshot, width: int = 480, height: int = 288) -> bytes:
    """A small overview (clamped like minimap.png): terrain, drops, monsters, players and you."""
    w, h = clamp_size("minimap", width, height)
    sx, sy, s = _scales(snap, w, h)
    canvas = _background(snap, w, h, minimap=True)[0].copy()

    drop_half = _quant(min(max(4 * s, 2.5), 6))
    for dr in snap.drops:
        pos = _pos(dr.x, dr.y, sx, sy)
        if pos is not None:
            _blit(canvas, _drop_sprite(drop_half, dr.rarity), *pos)
    mon_r = min(max(7 * s, 4.5), 12)
    for m in snap.monsters:
        pos = _pos(m.x, m.y, sx, sy)
        if pos is None:
            continue
        elite = m.kind == "elite"
        r = _quant(mon_r * (1.45 if elite else 1.0))
        _blit(canvas, _monster_sprite(r, parse_color(m.color) or MONSTER_FALLBACK, elite, r >= 6), *pos)
    pl_r = _quant(min(max(5 * s, 3), 9))
    for p in snap.players:
        pos = _pos(p.x, p.y, sx, sy)
        if not p.is_you and pos is not None:
            _blit(canvas, _player_sprite(pl_r, p.knocked_out), *pos)
    you_sprite = _you_sprite(_quant(pl_r + 2.5))
    _, you_pos = _you_at(snap, you_sprite, sx, sy, w, h)
    if you_pos is not None:
        _blit(canvas, you_sprite, *you_pos)
    return _encode(canvas)


def _encode(canvas: Image.Image) -> bytes:
    buf = io.BytesIO()
    canvas.convert("RGB").save(buf, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    return buf.getvalue()
