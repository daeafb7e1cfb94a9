"""map.png and minimap.png: a MapSnapshot drawn with Pillow (the public API and the composition).

Pure functions of the snapshot (call them in a worker thread, never on the reactor). The whole
map is scaled to the image, x and y independently. Layers, bottom to top: the cached terrain
background (terrain.py), drops, monsters with HP bars, other players with HP bars, names, and
last the caller's own marker, so nothing is ever painted over it. Entities are pre-drawn sprites
(sprites.py) composited with `Image.alpha_composite`; the result is an opaque RGB PNG.
"""

from __future__ import annotations

import io
import math
import re
from functools import lru_cache

from PIL import Image, ImageColor, ImageDraw

from .drawing import Sprite, blit, load_font, mix
from .snapshot import MapSnapshot
from .sprites import YOU_COLOR, drop_sprite, label_sprite, monster_sprite, player_sprite, you_sprite
from .terrain import background

MAP_DEFAULT = (960, 576)
MAP_LIMITS = ((320, 2048), (240, 2048))
MINIMAP_DEFAULT = (480, 288)
MINIMAP_LIMITS = ((180, 1024), (120, 1024))
PNG_COMPRESS_LEVEL = 4

MONSTER_FALLBACK = (250, 200, 90, 235)


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


# ---- colours ------------------------------------------------------------------------------------

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


# ---- entities -----------------------------------------------------------------------------------

def _hp_color(frac: float) -> tuple[int, int, int]:
    if frac > 0.5:
        return mix((250, 204, 21), (74, 210, 92), (frac - 0.5) * 2)
    return mix((239, 68, 68), (250, 204, 21), frac * 2)


def _hp_bar(d: ImageDraw.ImageDraw, cx: int, top: int, width: int, height: int, hp: int, max_hp: int) -> None:
    x0 = cx - width // 2
    d.rectangle((x0 - 1, top - 1, x0 + width, top + height), fill=(28, 32, 38, 255))
    frac = min(max(hp / max_hp, 0.0), 1.0) if max_hp > 0 else 0.0
    filled = int(round((width - 1) * frac))
    if filled > 0:
        d.rectangle((x0, top, x0 + filled - 1, top + height - 1), fill=_hp_color(frac) + (255,))


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
        sprite = label_sprite(text, self.size, fill)
        w, h = sprite.img.size
        l = min(max(0, cx - sprite.ax), self.canvas.width - w)
        t, r, b = top, l + w, top + h
        if t < 0 or b > self.canvas.height:
            return
        for (L, T, R, B) in self.taken:
            if l < R and L < r and t < B and T < b:
                return
        self.taken.append((l, t, r, b))
        blit(self.canvas, sprite, l + sprite.ax, top)


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


def _you_at(snap: MapSnapshot, sprite: Sprite, sx: float, sy: float, w: int, h: int):
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
    bg, reserved = background(snap, w, h, minimap=False)
    canvas = bg.copy()
    d = ImageDraw.Draw(canvas)

    drop_half = _quant(min(max(6 * s, 4), 10))
    for dr in snap.drops:
        pos = _pos(dr.x, dr.y, sx, sy)
        if pos is not None:
            blit(canvas, drop_sprite(drop_half, dr.rarity), *pos)

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
        blit(canvas, monster_sprite(r, rgba, elite, True), cx, cy)
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
        blit(canvas, player_sprite(pl_r, p.knocked_out), cx, cy)
        _hp_bar(d, cx, cy - int(pl_r) - pbar_h - 4, max(12, int(round(2.4 * pl_r))), pbar_h, p.hp, p.max_hp)
        player_spots.append((cx, cy, p))

    you_r = _quant(pl_r + 3)
    marker = you_sprite(you_r)
    you, you_pos = _you_at(snap, marker, sx, sy, w, h)
    label_size = max(10, min(16, int(round(11 * s + 2))))
    if names:
        labels = _Labels(canvas, label_size)
        labels.taken.extend(reserved)
        if you_pos is not None:  # keep the space around your own marker free of other labels
            e = marker.ax + 2
            labels.taken.append((you_pos[0] - e, you_pos[1] - e - label_size - 10, you_pos[0] + e,
                                 you_pos[1] + e + bar_h + 6))
        for cx, cy, r, m in monster_spots:
            labels.add(cx, cy + int(r * 0.9) + 2, m.name, (255, 240, 200))
        for cx, cy, p in player_spots:
            labels.add(cx, cy + int(pl_r) + 3, f"{p.name} Lv{p.level}", (255, 255, 255))

    # you: last, so nothing is ever painted over your marker
    if you_pos is not None:
        cx, cy = you_pos
        blit(canvas, marker, cx, cy)
        outer = marker.ax - 1
        _hp_bar(d, cx, cy + outer + 3, max(14, int(round(2.6 * you_r))), bar_h, you.hp, you.max_hp)
        name = " ".join(you.name.split())
        tag = f"YOU · {name[:17] + '…' if len(name) > 18 else name}" if names and name else "YOU"
        font = load_font(label_size)
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
    canvas = background(snap, w, h, minimap=True)[0].copy()

    drop_half = _quant(min(max(4 * s, 2.5), 6))
    for dr in snap.drops:
        pos = _pos(dr.x, dr.y, sx, sy)
        if pos is not None:
            blit(canvas, drop_sprite(drop_half, dr.rarity), *pos)
    mon_r = min(max(7 * s, 4.5), 12)
    for m in snap.monsters:
        pos = _pos(m.x, m.y, sx, sy)
        if pos is None:
            continue
        elite = m.kind == "elite"
        r = _quant(mon_r * (1.45 if elite else 1.0))
        blit(canvas, monster_sprite(r, parse_color(m.color) or MONSTER_FALLBACK, elite, r >= 6), *pos)
    pl_r = _quant(min(max(5 * s, 3), 9))
    for p in snap.players:
        pos = _pos(p.x, p.y, sx, sy)
        if not p.is_you and pos is not None:
            blit(canvas, player_sprite(pl_r, p.knocked_out), *pos)
    marker = you_sprite(_quant(pl_r + 2.5))
    _, you_pos = _you_at(snap, marker, sx, sy, w, h)
    if you_pos is not None:
        blit(canvas, marker, *you_pos)
    return _encode(canvas)


def _encode(canvas: Image.Image) -> bytes:
    buf = io.BytesIO()
    canvas.convert("RGB").save(buf, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    return buf.getvalue()
