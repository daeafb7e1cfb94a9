"""map.png / minimap.png: sizes, an opaque RGB PNG, every kind of entity visible, you always on top."""

from __future__ import annotations

import math
import threading

import pytest

from clawtown.render import sprites, terrain
from clawtown.render.drawing import BoundedCache
from clawtown.render.mapimage import (
    YOU_COLOR, clamp_size, parse_color, render_map_png, render_minimap_png,
)
from clawtown.render.snapshot import DropSnap, MonsterSnap, PlayerSnap, snapshot_instance

from .conftest import PNG_SIGNATURE, decode, make_monster, make_player, png_chunks, png_header

RGB_COLOUR_TYPE = 2


def centre(x: float, y: float, w: int, h: int) -> tuple[int, int]:
    """The pixel a world position lands in when the 960×576 town is scaled to w×h."""
    return int(math.floor(x * w / 960)), int(math.floor(y * h / 576))


# ---- sizes ----------------------------------------------------------------------------------------

def test_defaults_are_png_with_the_original_sizes(busy_town):
    snap = snapshot_instance(busy_town, "p_you")
    big, small = render_map_png(snap), render_minimap_png(snap)
    assert big[:8] == PNG_SIGNATURE and small[:8] == PNG_SIGNATURE
    assert png_header(big) == (960, 576, 8, RGB_COLOUR_TYPE)
    assert png_header(small) == (480, 288, 8, RGB_COLOUR_TYPE)
    assert len(small) > 1000 and len(big) > 2000  # what the original UI tests asked of the endpoints


@pytest.mark.parametrize("kind, w, h, expected", [
    ("map", None, None, (960, 576)),
    ("map", "5000", "5000", (2048, 2048)),
    ("map", "10", "10", (320, 240)),
    ("map", "-7", "0", (320, 240)),
    ("map", "1280", "720", (1280, 720)),
    ("map", "800.9", " 600 ", (800, 600)),
    ("map", b"700", b"500", (700, 500)),
    ("map", 1024, 768.5, (1024, 768)),
    ("map", "abc", "", (960, 576)),
    ("map", "nan", "inf", (960, 576)),
    ("map", "1e9", "12px", (2048, 576)),
    ("map", b"\xff", True, (960, 576)),
    ("map", ["800"], object(), (960, 576)),
    ("minimap", None, None, (480, 288)),
    ("minimap", "5000", "5000", (1024, 1024)),
    ("minimap", "10", "10", (180, 120)),
    ("minimap", "garbage", "-inf", (480, 288)),
    ("minimap", "300", "200", (300, 200)),
])
def test_clamp_size(kind, w, h, expected):
    assert clamp_size(kind, w, h) == expected


def test_clamp_size_rejects_unknown_kind():
    with pytest.raises(ValueError):
        clamp_size("poster", None, None)


@pytest.mark.parametrize("w, h, expected", [
    (5000, 10, (2048, 240)),
    (10, 5000, (320, 2048)),
    ("abc", None, (960, 576)),
    (1200, 700, (1200, 700)),
])
def test_map_render_clamps(busy_town, w, h, expected):
    data = render_map_png(snapshot_instance(busy_town, "p_you"), w, h)
    assert png_header(data)[:2] == expected
    assert decode(data).size == expected


@pytest.mark.parametrize("w, h, expected", [(5000, 10, (1024, 120)), (10, 5000, (180, 1024)), (None, "x", (480, 288))])
def test_minimap_render_clamps(busy_town, w, h, expected):
    data = render_minimap_png(snapshot_instance(busy_town, "p_you"), w, h)
    assert png_header(data)[:2] == expected


def test_opaque_rgb_without_alpha(busy_town):
    snap = snapshot_instance(busy_town, "p_you")
    for data in (render_map_png(snap), render_map_png(snap, names=True), render_minimap_png(snap)):
        assert png_header(data)[3] == RGB_COLOUR_TYPE
        assert b"tRNS" not in png_chunks(data)
        assert decode(data).mode == "RGB"


# ---- you --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("w, h", [(960, 576), (1200, 700), (320, 240), (2048, 1024)])
def test_you_marker_is_solid_orange_at_your_position(busy_town, w, h):
    img = decode(render_map_png(snapshot_instance(busy_town, "p_you"), w, h))
    cx, cy = centre(300, 200, w, h)
    for dx in (-1, 0, 1):  # not washed out: a solid patch of the exact colour, not a tinted blend
        for dy in (-1, 0, 1):
            assert img.getpixel((cx + dx, cy + dy)) == YOU_COLOR


def test_you_stay_on_top_of_whoever_stands_on_you(town):
    town.add_player(make_player("p_you", 300, 200))
    town.add_player(make_player("p_other", 300, 200))  # added after you: drawn later if order mattered
    town.add_monster(make_monster("m_1", 300, 200, kind="elite"))
    town.add_monster(make_monster("m_2", 302, 203))
    town.add_drop("sword_2", 1, 300, 200, 0)
    snap = snapshot_instance(town, "p_you")
    for data in (render_map_png(snap), render_map_png(snap, names=True)):
        assert decode(data).getpixel((300, 200)) == YOU_COLOR
    assert decode(render_minimap_png(snap)).getpixel((150, 100)) == YOU_COLOR


def test_you_marker_has_a_white_ring_and_a_dark_outline(town):
    town.add_player(make_player("p_you", 480, 96))
    img = decode(render_map_png(snapshot_instance(town, "p_you")))
    row = [img.getpixel((480 + dx, 96)) for dx in range(0, 20)]
    assert row[0] == YOU_COLOR
    first_dark = next(i for i, c in enumerate(row) if sum(c) < 200)
    assert any(c == (255, 255, 255) for c in row[first_dark:]), row  # the white ring, outside the outline


def test_you_marker_stays_inside_the_image_at_the_edge(town):
    town.add_player(make_player("p_you", 0, 0))
    img = decode(render_map_png(snapshot_instance(town, "p_you")))
    assert img.getpixel((0, 0)) != YOU_COLOR
    assert any(img.getpixel((x, y)) == YOU_COLOR for x in range(6, 30) for y in range(6, 30))


def test_no_you_marker_without_you(busy_town):
    img = decode(render_map_png(snapshot_instance(busy_town, None)))
    assert img.getpixel((300, 200)) != YOU_COLOR


def test_minimap_you(busy_town):
    snap = snapshot_instance(busy_town, "p_you")
    for w, h in ((480, 288), (180, 120), (1024, 1024)):
        img = decode(render_minimap_png(snap, w, h))
        assert img.getpixel(centre(300, 200, w, h)) == YOU_COLOR


# ---- other entities -----------------------------------------------------------------------------

def is_grass(c) -> bool:
    return c[1] > c[0] + 40 and c[1] > c[2] + 60


@pytest.mark.parametrize("render, w, h", [
    (render_map_png, 960, 576), (render_map_png, 1500, 900), (render_minimap_png, 480, 288),
])
def test_entities_show_in_their_colours(town, render, w, h):
    town.add_player(make_player("p_you", 800, 500))
    town.add_player(make_player("p_blue", 150, 150))
    town.add_monster(make_monster("m_red", 150, 450, color="rgba(220, 40, 40, 1)"))
    town.add_monster(make_monster("m_default", 800, 100, color=None))
    town.add_drop("jelly", 1, 300, 450, 0)
    img = decode(render(snapshot_instance(town, "p_you"), w, h))
    r, g, b = img.getpixel(centre(150, 150, w, h))
    assert b > 180 and r < 110 and g < 150, (r, g, b)  # another player: blue
    r, g, b = img.getpixel(centre(150, 450, w, h))
    assert r > 170 and g < 90 and b < 90, (r, g, b)  # the monster in its own colour
    r, g, b = img.getpixel(centre(800, 100, w, h))
    assert r > 200 and g > 160 and b < 140, (r, g, b)  # no colour: the fallback yellow
    r, g, b = img.getpixel(centre(300, 450, w, h))
    assert r > 220 and g > 160 and b < 120, (r, g, b)  # a drop: gold
    gx, gy = centre(150, 380, w, h)  # and nothing where nothing is: mostly plain grass around there
    around = [img.getpixel((gx + dx, gy + dy)) for dx in range(-3, 4) for dy in range(-3, 4)]
    assert sum(map(is_grass, around)) > len(around) * 0.8


def test_translucent_monster_is_composited_not_pasted(town):
    """A half-transparent monster colour blends with the grass under it instead of replacing it."""
    town.add_monster(make_monster("m_1", 150, 450, color="rgba(0, 0, 255, 0.5)"))
    r, g, b = decode(render_map_png(snapshot_instance(town, None))).getpixel((150, 450))
    assert 60 < b < 240 and g > 40, (r, g, b)


def test_elite_is_bigger(town):
    town.add_monster(make_monster("m_1", 200, 400, color="rgba(220, 40, 40, 1)"))
    town.add_monster(make_monster("m_2", 700, 120, color="rgba(220, 40, 40, 1)", kind="elite"))
    img = decode(render_map_png(snapshot_instance(town, None)))

    def width(cx, cy):
        return sum(1 for dx in range(-40, 41) if img.getpixel((cx + dx, cy))[1] < 90)
    assert width(700, 120) > width(200, 400) * 1.3


def test_hp_and_names_change_the_picture(town):
    town.add_player(make_player("p_1", 200, 150, name="Alice"))
    full = make_monster("m_1", 200, 400)
    town.add_monster(full)
    snap = snapshot_instance(town, None)
    full.hp = 1
    hurt = snapshot_instance(town, None)
    assert render_map_png(snap) != render_map_png(hurt)
    assert render_map_png(snap) != render_map_png(snap, names=True)


def test_meadow_scales_the_whole_map(meadow):
    snap = snapshot_instance(meadow, "p_you")
    img = decode(render_map_png(snap))
    assert img.size == (960, 576)
    sx, sy = 960 / snap.px_width, 576 / snap.px_height
    assert img.getpixel((int(1000 * sx), int(600 * sy))) == YOU_COLOR
    assert decode(render_minimap_png(snap)).size == (480, 288)


def test_odd_values_do_not_break_rendering(town):
    town.add_player(make_player("p_far", 1e12, -1e12, name=""))
    town.add_player(make_player("p_weird", 100, 100, name="名字 with\nnewline " * 5))
    town.add_monster(make_monster("m_x", 100, 200, color="#0f0", max_hp=0, hp=0))
    snap = snapshot_instance(town, "p_far")
    nan = float("nan")
    odd = MonsterSnap(nan, 100.0, 1, 1, "rgba(oops)", "slime", "")
    snap = snap._replace(monsters=snap.monsters + (odd,), drops=(DropSnap(float("inf"), nan, "mythic"),),
                         players=snap.players + (PlayerSnap(nan, nan, "ghost", 1, 1, 1, False),))
    assert png_header(render_map_png(snap, names=True))[:2] == (960, 576)
    assert png_header(render_minimap_png(snap))[:2] == (480, 288)


# ---- purity -------------------------------------------------------------------------------------------

def test_deterministic(busy_town, monkeypatch):
    snap = snapshot_instance(busy_town, "p_you")
    first = [render_map_png(snap), render_map_png(snap, 1111, 777, names=True), render_minimap_png(snap)]
    again = [render_map_png(snap), render_map_png(snap, 1111, 777, names=True), render_minimap_png(snap)]
    assert first == again
    # cold caches draw exactly the same picture as warm ones
    for module, name in ((terrain, "_backgrounds"), (sprites, "_sprites"), (sprites, "_labels")):
        monkeypatch.setattr(module, name, BoundedCache(max_entries=4, max_pixels=10**9))
    cold = [render_map_png(snap), render_map_png(snap, 1111, 777, names=True), render_minimap_png(snap)]
    assert cold == first


def test_same_picture_from_several_threads(busy_town):
    snap = snapshot_instance(busy_town, "p_you")
    expected = render_map_png(snap, 1000, 600, names=True)
    results, errors = [], []

    def work():
        try:
            for _ in range(3):
                results.append(render_map_png(snap, 1000, 600, names=True))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 12 and all(r == expected for r in results)


# ---- colours --------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("rgba(251, 182, 206, 0.9)", (251, 182, 206, 230)),
    ("rgba(252,211,77,0.92)", (252, 211, 77, 235)),
    ("rgb(10, 20, 30)", (10, 20, 30, 255)),
    ("RGBA(300, -5, 20, 2)", (255, 0, 20, 255)),
    ("#ff8800", (255, 136, 0, 255)),
    ("#0f0", (0, 255, 0, 255)),
    ("red", (255, 0, 0, 255)),
    ("rgba(1, 2)", None),
    ("rgba(a, b, c)", None),
    ("not a colour", None),
    ("", None),
    (None, None),
])
def test_parse_color(text, expected):
    assert parse_color(text) == expected


def test_long_names_and_smallest_sizes(town):
    town.add_player(make_player("p_you", 480, 288, name="x" * 200))
    town.add_player(make_player("p_2", 500, 300, name="y" * 200))
    snap = snapshot_instance(town, "p_you")
    snap = snap._replace(map_name="A very long map name " * 10,
                         portals=tuple(p._replace(label="Somewhere far away " * 8) for p in snap.portals))
    for w, h in ((320, 240), (2048, 240), (320, 2048)):
        img = decode(render_map_png(snap, w, h, names=True))
        assert img.size == (w, h)
        assert img.getpixel(centre(480, 288, w, h)) == YOU_COLOR
    img = decode(render_minimap_png(snap, 180, 120))
    assert img.getpixel(centre(480, 288, 180, 120)) == YOU_COLOR
