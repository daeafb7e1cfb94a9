"""Walking: manual steps, click/goal walking, auto-pickup of ground loot, portals, waking up."""

from __future__ import annotations

import math

from .constants import MOVE_GATE_MS, PICKUP_REACH, STEP_PX, WALK_PX_PER_TICK
from .items import CATALOG
from .maps import HOME_MAP, MAPS
from .model import Player
from .progression import add_item, count_meta


def facing_for(dx: float, dy: float, current: str) -> str:
    if dx == 0 and dy == 0:
        return current
    if abs(dx) > abs(dy):
        return "right" if dx > 0 else "left"
    return "down" if dy > 0 else "up"


def step(world, p: Player, dx: float, dy: float) -> bool:
    """One manual step of STEP_PX in direction (dx, dy), each clamped to [-1, 1]; rate-gated."""
    if not p.alive or world.now - p.last_move_at < MOVE_GATE_MS:
        return False
    dx = max(-1.0, min(1.0, dx))
    dy = max(-1.0, min(1.0, dy))
    if dx == 0 and dy == 0:
        return False
    p.last_move_at = world.now
    p.goal = None
    place(world, p, p.x + dx * STEP_PX, p.y + dy * STEP_PX, facing_for(dx, dy, p.facing))
    return True


def set_goal(world, p: Player, x: float, y: float) -> tuple[float, float]:
    inst = world.instance_of(p)
    p.goal = inst.map.clamp(x, y)
    world.touch_player(p)
    return p.goal


def walk_toward_goal(world, p: Player) -> None:
    gx, gy = p.goal
    dx, dy = gx - p.x, gy - p.y
    d = math.hypot(dx, dy)
    if d <= WALK_PX_PER_TICK:
        p.goal = None
        place(world, p, gx, gy, facing_for(dx, dy, p.facing))
        return
    place(world, p, p.x + dx / d * WALK_PX_PER_TICK, p.y + dy / d * WALK_PX_PER_TICK, facing_for(dx, dy, p.facing))


def place(world, p: Player, x: float, y: float, facing: str | None = None) -> None:
    inst = world.instance_of(p)
    p.x, p.y = inst.map.clamp(x, y)
    if facing:
        p.facing = facing
    inst.moved(p.id, p.x, p.y)
    world.walked(p)


def after_move(world, p: Player) -> None:
    """What standing somewhere new does: pick up loot within reach, or step through a portal."""
    inst = world.instance_of(p)
    pick_up_near(world, inst, p)
    for portal in inst.map.portals:
        if math.hypot(p.x - portal.x, p.y - portal.y) <= portal.radius:
            world.transfer(p, portal.to_map, portal.to_x, portal.to_y)
            return


def pick_up_under_feet(world, inst) -> None:
    """Players standing still collect drops that land within reach (the first player by id)."""
    for drop_id in sorted(inst.drops):
        d = inst.drops.get(drop_id)
        if d is None:
            continue
        for eid in sorted(inst.grid.near(d.x, d.y, PICKUP_REACH)):
            p = inst.players.get(eid)
            if p is not None and p.alive and math.hypot(d.x - p.x, d.y - p.y) <= PICKUP_REACH:
                pick_up_near(world, inst, p)
                break


def pick_up_near(world, inst, p: Player) -> None:
    if not p.alive or not inst.drops:
        return
    drops = inst.drops
    near = [eid for eid in inst.grid.near(p.x, p.y, PICKUP_REACH) if eid in drops]
    for eid in sorted(near):  # set order varies between processes
        d = drops.get(eid)
        if d is None or math.hypot(d.x - p.x, d.y - p.y) > PICKUP_REACH:
            continue
        inst.remove_drop(d.id)
        item = CATALOG[d.item_id]
        add_item(world, p, d.item_id, d.qty)
        count_meta(world, p, "pickups")
        suffix = f" x{d.qty}" if d.qty > 1 else ""
        important = item.rarity in ("rare", "epic")
        world.owner_line(p, f"{p.name} picked up {item.name}{suffix}.", kind="system")
        world.note(p, "loot", f"Picked up {item.name}{suffix}.", important,
                   {"itemId": item.id, "name": item.name, "qty": d.qty, "rarity": item.rarity})


def wake_up(world, p: Player) -> None:
    """A knocked-out player wakes at full HP in the town plaza."""
    p.knocked_out_until = None
    p.hp = p.max_hp
    world.progressed(p)
    town = MAPS[HOME_MAP]
    world.transfer(p, town.id, *town.spawn)
    world.owner_line(p, f"{p.name} wakes up in the plaza.", kind="system")
