"""Monster behaviour each tick: respawning, wandering near home, aggro, chasing and hitting back."""

from __future__ import annotations

from .combat import dist, hurt_player
from .model import Monster

WANDER_SPEED = 0.7
CHASE_SPEED = 2.6
ATTACK_REACH = 44
ATTACK_EVERY_MS = 1400
AGGRO_RADIUS = 160
LEASH_PX = 480
WANDER_BOX = 150


def step_monsters(world, inst) -> None:
    now = world.now
    for m in list(inst.monsters.values()):
        if not m.alive:
            if m.respawn_at is not None and now >= m.respawn_at:
                _respawn(world, inst, m)
            continue
        if m.aggressive and m.target is None and dist(m.home[0], m.home[1], m.x, m.y) <= LEASH_PX:
            m.target = _nearest_player(inst, m, AGGRO_RADIUS)
        if m.target is not None:
            _fight(world, inst, m)
        elif m.wander:
            _wander(inst, m, now)
        elif (m.x, m.y) != m.home:
            _walk_home(inst, m)


def _respawn(world, inst, m: Monster) -> None:
    if inst.map.respawn_points:
        x, y = inst.rng.choice(inst.map.respawn_points)
    else:
        x, y = m.home
    m.x, m.y = float(x), float(y)
    m.hp, m.alive, m.respawn_at, m.target = m.max_hp, True, None, None
    m.next_wander = world.now + inst.rng.randint(500, 2000)
    inst.moved(m.id, m.x, m.y)
    world.system(f"{m.name} returned.", inst.key)


def _nearest_player(inst, m: Monster, radius: float) -> str | None:
    best = None
    for eid in inst.grid.near(m.x, m.y, radius):
        p = inst.players.get(eid)
        if p is None or not p.alive:
            continue
        d = dist(m.x, m.y, p.x, p.y)
        if d <= radius and (best is None or (d, p.id) < best[:2]):
            best = (d, p.id)
    return best[1] if best else None


def _fight(world, inst, m: Monster) -> None:
    p = inst.players.get(m.target)
    if p is None or not p.alive or dist(m.home[0], m.home[1], m.x, m.y) > LEASH_PX:
        m.target = None
        m.vx = m.vy = 0.0
        return
    d = dist(m.x, m.y, p.x, p.y)
    if d > ATTACK_REACH:
        step = min(CHASE_SPEED, d - ATTACK_REACH + 1)
        _place(inst, m, m.x + (p.x - m.x) / d * step, m.y + (p.y - m.y) / d * step)
        return
    if world.now >= m.next_attack:
        m.next_attack = world.now + ATTACK_EVERY_MS
        spread = inst.rng.randint(0, max(1, m.atk // 3))
        hurt_player(world, inst, m, p, m.atk + spread)
        if not p.alive:
            m.target = None


def _walk_home(inst, m: Monster) -> None:
    """A monster that does not wander goes back to its post after a chase (else, past its leash,
    it would stand there harmless for good)."""
    hx, hy = m.home
    d = dist(m.x, m.y, hx, hy)
    if d <= CHASE_SPEED:
        _place(inst, m, hx, hy)
    else:
        _place(inst, m, m.x + (hx - m.x) / d * CHASE_SPEED, m.y + (hy - m.y) / d * CHASE_SPEED)


def _wander(inst, m: Monster, now: int) -> None:
    if now >= m.next_wander:
        r = inst.rng.random()
        if r < 0.33 or (m.vx == 0 and m.vy == 0):
            m.vx = inst.rng.choice((-WANDER_SPEED, WANDER_SPEED))
        if r > 0.66 or m.vy == 0:
            m.vy = inst.rng.choice((-WANDER_SPEED, WANDER_SPEED))
        m.next_wander = now + inst.rng.randint(700, 2100)
    hx, hy = m.home
    nx, ny = m.x + m.vx, m.y + m.vy
    # turn back only when this step heads further out (a monster left outside its box by a
    # chase or a respawn point walks back in instead of jittering in place)
    if _outward(nx, m.vx, hx, inst.map.max_x):
        m.vx = -m.vx
        nx = m.x + m.vx
    if _outward(ny, m.vy, hy, inst.map.max_y):
        m.vy = -m.vy
        ny = m.y + m.vy
    _place(inst, m, nx, ny)


def _outward(n: float, v: float, home: float, limit: float) -> bool:
    """Whether moving to `n` with velocity `v` leaves the wander box or the map margin."""
    return ((abs(n - home) > WANDER_BOX and (n - home) * v > 0)
            or (n < 32 and v < 0) or (n > limit - 32 and v > 0))


def _place(inst, m: Monster, x: float, y: float) -> None:
    m.x, m.y = inst.map.clamp(x, y)
    inst.moved(m.id, m.x, m.y)
