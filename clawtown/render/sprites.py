"""Sprites: the small pre-drawn pictures pasted onto a map, and their caches.

Your marker, other players, monsters (slimes; elites wear a crown), drops, and outlined name labels.
Round things are drawn at SS× on transparent layers and reduced, so their edges are anti-aliased.
Each sprite is cached by everything that shapes it (size, colour, kind, text), so rendering a map
mostly just blits; placing them on the canvas is the caller's job.
"""

from __future__ import annotations

import math

from PIL import Image, ImageDraw

from .drawing import BoundedCache, Sprite, circle, load_font, shade

YOU_COLOR = (255, 132, 0)
YOU_OUTLINE = (48, 26, 8)
YOU_RING = (255, 255, 255)
PLAYER_COLOR = (46, 110, 235)
PLAYER_KO_COLOR = (150, 156, 170)
DROP_GOLD = (255, 206, 48)

RARITY_GLOW = {"uncommon": (120, 230, 120), "rare": (110, 180, 255), "epic": (200, 120, 255)}

_sprites = BoundedCache(max_entries=512, max_pixels=4_000_000)
_labels = BoundedCache(max_entries=2048, max_pixels=4_000_000)


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

    def done(self, ax: int, ay: int) -> Sprite:
        return Sprite(self.img.reduce(SS), ax, ay)


def _sprite(key, build) -> Sprite:
    sprite = _sprites.get(key)
    if sprite is None:
        sprite = build()
        _sprites.put(key, sprite, sprite.img.width * sprite.img.height)
        return sprite
    return sprite[0]


def you_sprite(r: float) -> Sprite:
    """Orange dot, dark outline, white ring, thin dark edge: readable on grass, sand and stone."""
    def build() -> Sprite:
        outer = r + 5.5
        half = int(math.ceil(outer + 2))
        size = 2 * half + 1
        hr = _HiRes(size, size + 2)
        c = (half + 0.5) * SS

        def shadow(d):
            d.ellipse(circle(c, c + 2 * SS, outer * SS), fill=(0, 0, 0, 80))
        hr.layer(shadow)

        def body(d):
            d.ellipse(circle(c, c, outer * SS), fill=YOU_OUTLINE + (255,))
            d.ellipse(circle(c, c, (outer - 1.2) * SS), fill=YOU_RING + (255,))
            d.ellipse(circle(c, c, (r + 1.4) * SS), fill=YOU_OUTLINE + (255,))
            d.ellipse(circle(c, c, r * SS), fill=YOU_COLOR + (255,))
        hr.layer(body)
        return hr.done(half, half)
    return _sprite(("you", r), build)


def player_sprite(r: float, knocked_out: bool) -> Sprite:
    def build() -> Sprite:
        half = int(math.ceil(r + 3))
        size = 2 * half + 1
        hr = _HiRes(size, size + 1)
        c = (half + 0.5) * SS
        color = PLAYER_KO_COLOR if knocked_out else PLAYER_COLOR

        def shadow(d):
            d.ellipse(circle(c, c + 1.5 * SS, (r + 1.2) * SS), fill=(0, 0, 0, 70))
        hr.layer(shadow)

        def body(d):
            d.ellipse(circle(c, c, (r + 1.3) * SS), fill=(255, 255, 255, 255))
            d.ellipse(circle(c, c, r * SS), fill=color + (255,))
        hr.layer(body)
        if r >= 4:
            def shine(d):
                d.ellipse(circle(c - 0.42 * r * SS, c - 0.42 * r * SS, 0.24 * r * SS), fill=(255, 255, 255, 120))
            hr.layer(shine)
        return hr.done(half, half)
    return _sprite(("player", r, knocked_out), build)


def monster_sprite(r: float, rgba: tuple[int, int, int, int], elite: bool, detailed: bool) -> Sprite:
    """A slime: squashed blob in its colour, darker outline, shine, eyes; elites get a crown."""
    def build() -> Sprite:
        half_w = int(math.ceil(r + 2))
        top = int(math.ceil(r * 0.9 + (r * 0.8 if elite else 0) + 2))
        bottom = int(math.ceil(r * 0.9 + 3))
        w, h = 2 * half_w + 1, top + bottom + 1
        hr = _HiRes(w, h)
        cx, cy = (half_w + 0.5) * SS, (top + 0.5) * SS
        R = r * SS
        body = tuple(rgba[:3])
        alpha = max(rgba[3], 150)
        outline = shade(body, 0.55)

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
                d.ellipse(circle(cx, base_y - 0.3 * ch, 0.12 * cw), fill=(230, 40, 80, 255))
            hr.layer(crown)
        return hr.done(half_w, top)
    return _sprite(("monster", r, rgba, elite, detailed), build)


def drop_sprite(half: float, rarity: str) -> Sprite:
    """A small gold diamond; better rarities get a coloured glow."""
    def build() -> Sprite:
        ext = int(math.ceil(half * 1.8 + 2))
        size = 2 * ext + 1
        hr = _HiRes(size, size)
        c = (ext + 0.5) * SS
        H = half * SS
        glow = RARITY_GLOW.get(rarity)
        if glow:
            def halo(d):
                d.ellipse(circle(c, c, half * 1.8 * SS), fill=glow + (150,))
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


# ---- name labels --------------------------------------------------------------------------------

def label_sprite(text: str, size: int, fill: tuple[int, int, int]) -> Sprite:
    """A name in `fill` with a dark outline, anchored at its top centre (cached: names rarely change)."""
    key = (text, size, fill)
    cached = _labels.get(key)
    if cached is not None:
        return cached[0]
    font = load_font(size)
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
    sprite = Sprite(img, w // 2, 0)
    _labels.put(key, sprite, w * h)
    return sprite
