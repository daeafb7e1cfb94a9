// model.js — the client's copy of the world, built from protocol v1 frames.
// Mirrors clawtown/wire/viewmodel.py: hello/enter reset everything; a sync frame is applied
// as drop cells → gone/out ids → full chunks → up items → mv moves → hop moves.
// Entities also carry render-only fields (rx, ry: smoothed position; hitAt; bornAt).

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
      this.version += 1;
    }
    const chunks = msg.a || [];
    for (const cell of msg.drop || []) this.forgetCell(cellKey(cell));
    for (const chunk of chunks) for (const id of chunk.gone || []) this.forget(id);
    for (const id of msg.out || []) this.forget(id);
    for (const chunk of chunks) if (chunk.full) this.forgetCell(cellKey(chunk.c), true);
    for (const chunk of chunks) {
      const key = cellKey(chunk.c);
      for (const up of chunk.up || []) this.take(up, key, now);
      if (chunk.fx) fx.push(...chunk.fx);
    }
    for (const chunk of chunks) this.moves(chunk.mv, 3);
    this.moves(msg.hop, 5);
    this.recent = null;
    return fx;
  }

  take(up, key, now) {
    const current = this.entities.get(up.id);
    if (up.k) {
      const entity = { ...up, rx: up.x, ry: up.y, bornAt: now, hitAt: 0 };
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

  moves(flat, stride) {
    if (!flat) return;
    for (let i = 0; i + stride - 1 < flat.length; i += stride) {
      const id = this.byHandle.get(flat[i]);
      const e = id && this.entities.get(id);
      if (!e) continue;
      e.x = flat[i + 1];
      e.y = flat[i + 2];
      if (stride === 5) this.cells.set(id, `${flat[i + 3]},${flat[i + 4]}`);
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

function cellKey(c) {
  return `${c[0]},${c[1]}`;
}
