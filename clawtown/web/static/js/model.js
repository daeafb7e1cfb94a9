// model.js — the client's copy of the world, built from protocol v2 frames.
// Mirrors clawtown/wire/viewmodel.py: hello/enter reset everything; a sync frame is applied
// as drop cells → gone/out ids → full chunks → mv states → hop states → up items.
// Positions are dead-reckoned: each entity keeps its motion state (mx, my at server tick mt,
// moving at vx, vy px/s for md px, or without end when md is 0) and `advance(now)` sets x, y to
// where it is now. The server's tick is
// estimated from the `tk` stamp of every frame against performance.now().
// Entities also carry render-only fields (rx, ry: smoothed position; hitAt; bornAt).

const CLOCK_DRIFT = 0.2;

export class Model {
  constructor() {
    this.entities = new Map();
    this.cells = new Map();
    this.byHandle = new Map();
    this.you = {};
    this.instance = {};
    this.map = null;
    this.party = null;
    this.board = [];
    this.serverOffset = 0;
    this.version = 0;
    this.tickHz = 20;
    this.tick = 0;
    this.clockBase = null;
  }

  /** A frame stamped with server tick `tk` arrived at `now` (performance.now() ms). */
  clock(tk, now) {
    const sample = now - (tk * 1000) / this.tickHz;
    if (this.clockBase === null || sample < this.clockBase) this.clockBase = sample; // the least delayed frame
    else this.clockBase += (sample - this.clockBase) * CLOCK_DRIFT; // follow a server whose ticks run slow
  }

  /** The server's tick at `now`, as far as the frames received tell. */
  tickAt(now = performance.now()) {
    if (this.clockBase === null) return this.tick;
    return Math.max(this.tick, ((now - this.clockBase) * this.tickHz) / 1000);
  }

  /** Put every entity where its motion state says it is at `now`. */
  advance(now = performance.now()) {
    const tick = this.tickAt(now);
    for (const e of this.entities.values()) place(e, tick, this.tickHz);
  }

  serverNow() {
    return Date.now() + this.serverOffset;
  }

  me() {
    return this.entities.get(this.you.id);
  }

  /** Apply a hello/enter/sync frame; returns the effects (fx) it carried. */
  apply(msg, now = performance.now()) {
    const t = msg.t;
    const fx = [];
    if (t === 'hello' || t === 'enter') {
      this.entities.clear();
      this.cells.clear();
      this.byHandle.clear();
      this.instance = msg.instance || {};
      this.map = msg.map || this.map;
      this.party = msg.party || null;
      this.you = msg.you || {};
      if (msg.board) this.board = msg.board.slice();
      if (msg.server && typeof msg.server.time === 'number') this.serverOffset = msg.server.time - Date.now();
      if (msg.server && msg.server.tickHz) this.tickHz = msg.server.tickHz;
      this.version += 1;
    }
    if (typeof msg.tk === 'number') {
      this.tick = Math.max(this.tick, msg.tk);
      this.clock(msg.tk, now);
    }
    const tk = msg.tk || 0;
    const chunks = msg.a || [];
    for (const cell of msg.drop || []) this.forgetCell(cellKey(cell));
    for (const chunk of chunks) for (const id of chunk.gone || []) this.forget(id);
    for (const id of msg.out || []) this.forget(id);
    for (const chunk of chunks) if (chunk.full) this.forgetCell(cellKey(chunk.c), true);
    for (const chunk of chunks) this.states(chunk.mv, 6, tk);
    this.states(msg.hop, 8, tk);
    for (const chunk of chunks) {
      const key = cellKey(chunk.c);
      for (const up of chunk.up || []) this.take(up, key, now);
      if (chunk.fx) fx.push(...chunk.fx);
    }
    this.recent = null;
    this.advance(now);
    return fx;
  }

  take(up, key, now) {
    const current = this.entities.get(up.id);
    if (up.k) {
      const entity = { ...up, mx: up.x, my: up.y, vx: up.vx || 0, vy: up.vy || 0, mt: up.t || 0, md: up.d || 0,
        bornAt: now, hitAt: 0 };
      delete entity.t;
      delete entity.d;
      place(entity, this.tickAt(now), this.tickHz);
      entity.rx = entity.x;
      entity.ry = entity.y;
      const old = current || (this.recent && this.recent.get(up.id));
      if (old) {
        entity.rx = old.rx;
        entity.ry = old.ry;
        entity.bornAt = old.bornAt;
        if (typeof old.hp === 'number' && up.hp < old.hp) entity.hitAt = now;
        else entity.hitAt = old.hitAt;
        entity.diedAt = up.alive === false ? (old.alive === false ? old.diedAt : now) : 0;
      }
      this.entities.set(up.id, entity);
      this.cells.set(up.id, key);
      this.byHandle.set(up.h, up.id);
    } else if (current) {
      if (typeof up.hp === 'number' && up.hp < current.hp) current.hitAt = now;
      if (up.alive === false && current.alive !== false) current.diedAt = now;
      Object.assign(current, up);
    }
    // a partial update for an entity this client never saw is ignored (the next full chunk fixes it)
  }

  /** Flat motion states [h, x, y, vx, vy, d] (mv) or [h, x, y, vx, vy, d, cx, cy] (hop) at tick `tk`. */
  states(flat, stride, tk) {
    if (!flat) return;
    for (let i = 0; i + stride - 1 < flat.length; i += stride) {
      const id = this.byHandle.get(flat[i]);
      const e = id && this.entities.get(id);
      if (!e) continue;
      e.mx = flat[i + 1];
      e.my = flat[i + 2];
      e.vx = flat[i + 3];
      e.vy = flat[i + 4];
      e.md = flat[i + 5];
      e.mt = tk;
      if ((e.vx || e.vy) && e.f) e.f = facingOf(e.vx, e.vy);
      if (stride === 8) this.cells.set(id, `${flat[i + 6]},${flat[i + 7]}`);
    }
  }

  forget(id) {
    const e = this.entities.get(id);
    this.entities.delete(id);
    this.cells.delete(id);
    if (e && this.byHandle.get(e.h) === id) this.byHandle.delete(e.h);
  }

  /** Forget a cell's entities; with `keep`, remember them briefly so a re-sent entity keeps its smoothed position. */
  forgetCell(key, keep = false) {
    if (keep && !this.recent) this.recent = new Map();
    for (const [id, c] of this.cells) {
      if (c === key) {
        if (keep) this.recent.set(id, this.entities.get(id));
        this.forget(id);
      }
    }
  }
}

/** Where a motion state puts an entity at `tick` (sets x, y). */
function place(e, tick, hz) {
  if (e.mx === undefined) return; // placed by hand (benches), not by the protocol
  if (e.vx || e.vy) {
    const dt = (tick - e.mt) / hz;
    const speed = e.md ? Math.hypot(e.vx, e.vy) : 0;
    if (e.md && speed * dt >= e.md) { // arrived: it stands at the end of its walk
      e.x = e.mx + (e.vx / speed) * e.md;
      e.y = e.my + (e.vy / speed) * e.md;
      e.arrived = true;
    } else {
      e.x = e.mx + e.vx * dt;
      e.y = e.my + e.vy * dt;
      e.arrived = false;
    }
  } else {
    e.x = e.mx;
    e.y = e.my;
  }
}

/** A moving entity faces the way it moves (as the server's facing_for). */
function facingOf(vx, vy) {
  if (Math.abs(vx) > Math.abs(vy)) return vx > 0 ? 'right' : 'left';
  return vy > 0 ? 'down' : 'up';
}

function cellKey(c) {
  return `${c[0]},${c[1]}`;
}
