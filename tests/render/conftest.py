"""Builders for the render tests: a live town instance and a way to read pixels back from PNG bytes."""

from __future__ import annotations

import io
import struct

import pytest
from PIL import Image

from clawtown.sim.instance import Instance
from clawtown.sim.maps import MEADOW, TOWN
from clawtown.sim.model import Monster, Player

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_header(data: bytes) -> tuple[int, int, int, int]:
    """(width, height, bit depth, colour type) from the IHDR chunk, which must come first."""
    assert data[:8] == PNG_SIGNATURE
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    return width, height, depth, colour


def png_chunks(data: bytes) -> list[bytes]:
    kinds, pos = [], 8
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        kinds.append(kind)
        pos += 12 + length
    return kinds


def decode(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def make_player(pid: str, x: float, y: float, name: str | None = None, hp: int | None = None) -> Player:
    p = Player(id=pid, name=name or pid)
    p.x, p.y = float(x), float(y)
    if hp is not None:
        p.hp = hp
    return p


def make_monster(mid: str, x: float, y: float, color: str | None = "rgba(220, 40, 40, 1)", kind: str = "slime",
                 hp: int = 10, max_hp: int = 10, name: str = "Testy") -> Monster:
    return Monster(id=mid, kind=kind, name=name, x=float(x), y=float(y), hp=hp, max_hp=max_hp, atk=1, defense=0,
                   xp=1, color=color, loot="slime")


@pytest.fixture
def town() -> Instance:
    """An empty town channel (no monsters): tests add exactly what they look for."""
    return Instance(TOWN, 1, seed=0)


@pytest.fixture
def busy_town() -> Instance:
    """The town with its slimes, a few players, drops and an elite."""
    inst = Instance(TOWN, 1, seed=0)
    inst.spawn_initial_monsters(0)
    for i in range(12):
        inst.add_player(make_player(f"p_{i}", 60 + 70 * i, 100 + (i % 5) * 90, name=f"Bot{i}", hp=5 + i))
    inst.add_player(make_player("p_you", 300, 200, name="Me"))
    inst.add_monster(make_monster("m_elite", 760, 200, color="rgba(244, 114, 182, 0.95)", kind="elite",
                                  hp=80, max_hp=160, name="King Poring"))
    for i, item in enumerate(("jelly", "ring_1", "sword_2")):
        inst.add_drop(item, 1, 200 + 40 * i, 420, 0)
    return inst


@pytest.fixture
def meadow() -> Instance:
    inst = Instance(MEADOW, 1, seed=0)
    inst.spawn_initial_monsters(0)
    inst.add_player(make_player("p_you", 1000, 600))
    return inst
