"""The background of a map image: terrain, frame and fixed labels, drawn once per map and size.

The ground is grass with paths, plaza, water and portals whose outlines are smoothed (tiles are
blurred and thresholded), decorated with flowers, pebbles, cobbles, ripples and grass tufts placed
by a deterministic hash of the map and tile; then the frame, the map's name and the portal
destinations. The result is cached and shared, with the boxes of its labels for names to avoid.
"""

from __future__ import annotations

import math

from PIL import Image, ImageChops, ImageDraw, ImageFilter

from .drawing import BoundedCache, Sprite, blit, circle, load_font, mix, shade
from .snapshot import MapSnapshot

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

_backgrounds = BoundedCache(max_entries=12, max_pixels=8_400_000)  # two 2048×2048, or many small


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
    checker = GRASS[1] if block == 1 else mix(GRASS[0], GRASS[1], 0.6)
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
                            d.ellipse(circle(fx + math.cos(a) * pr * 1.3, fy + math.sin(a) * pr * 1.3, pr),
                                      fill=petal + (255,))
                        d.ellipse(circle(fx, fy, pr * 0.8), fill=FLOWER_EYE + (255,))

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
                dd.ellipse(circle(px, py, t * (0.035 + 0.01 * ((hk >> 16) & 3))), fill=PATH_PEBBLE + (255,))
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
        gd.ellipse(circle(lx, ly, rr * 1.9), fill=(170, 140, 255, 150))
        gd.ellipse(circle(lx, ly, rr * 1.2), fill=(150, 235, 255, 170))
        glow = glow.filter(ImageFilter.GaussianBlur(max(1.0, rr * 0.5)))
        sd = ImageDraw.Draw(swirl := Image.new("RGBA", glow.size, (0, 0, 0, 0)))
        w = max(1, int(round(rr * 0.16)))
        sd.ellipse(circle(lx, ly, rr), fill=(236, 246, 255, 200), outline=(125, 95, 235, 255), width=w)
        sd.ellipse(circle(lx, ly, rr * 0.62), outline=(160, 200, 255, 255), width=w)
        sd.ellipse(circle(lx, ly, rr * 0.26), fill=(255, 255, 255, 255))
        glow.alpha_composite(swirl)
        blit(img, Sprite(glow, 0, 0), ox, oy)
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
    font = load_font(size)
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
    blit(canvas, Sprite(layer, 0, 0), x, y)
    ImageDraw.Draw(canvas).text((x + pad_x - l, y + pad_y - t), text, font=font, fill=fg)
    return x, y, x + w + 1, y + h + 1


def background(snap: MapSnapshot, w: int, h: int, minimap: bool) -> tuple[Image.Image, tuple]:
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
        d.rectangle((i, i, w - 1 - i, h - 1 - i), outline=shade(FRAME, 1 + 0.25 * i) + (255,))
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
