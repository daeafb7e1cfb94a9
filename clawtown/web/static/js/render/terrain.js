// terrain.js — the ground: grass checker with tufts and flowers, sandy paths, a cobbled plaza,
// ponds with a sandy shore and lily pads, violet portal floors, and a forest outside the map.
// Region outlines come from shapes.js; each 256 px chunk is drawn once at the current scale
// into a cached canvas and copied 1:1 each frame.

import { C, TILE, hashInts } from './palette.js';
import { tileShape } from './shapes.js';

const CHUNK = 256;
const CT = CHUNK / TILE;
const MAX_CHUNKS = 64;

export class Terrain {
  constructor() {
    this.map = null;
    this.chunks = new Map();
    this.res = 0;
    this.salt = 0;
  }

  setMap(map) {
    if (!map || (this.map && this.map.id === map.id && this.map.terrain === map.terrain)) return;
    this.map = map;
    this.rows = map.terrain || [];
    this.w = map.width;
    this.h = map.height;
    this.salt = [...String(map.id)].reduce((a, ch) => a * 31 + ch.charCodeAt(0), 7) >>> 0;
    this.chunks.clear();
  }

  letter(tx, ty) {
    const y = Math.min(Math.max(ty, 0), this.h - 1);
    const row = this.rows[y] || '';
    return row[Math.min(Math.max(tx, 0), row.length - 1)] || 'g';
  }

  /** Draw the visible chunks; `ctx` is in device pixels with an identity transform. Chunks are
   *  drawn at exactly `scale` device pixels per world pixel, so a frame is plain 1:1 copies. */
  draw(ctx, cam, scale) {
    if (!this.map) return true;
    if (scale !== this.res) {
      this.res = scale;
      this.chunks.clear();
    }
    const x0 = cam.x;
    const y0 = cam.y;
    const x1 = cam.x + cam.viewW / cam.zoom;
    const y1 = cam.y + cam.viewH / cam.zoom;
    const ox = Math.round(-cam.x * scale);
    const oy = Math.round(-cam.y * scale);
    let built = 0;
    let complete = true;
    for (let cy = Math.floor(y0 / CHUNK); cy <= Math.floor(y1 / CHUNK); cy++) {
      for (let cx = Math.floor(x0 / CHUNK); cx <= Math.floor(x1 / CHUNK); cx++) {
        const key = `${cx},${cy}`;
        let chunk = this.chunks.get(key);
        if (!chunk) {
          if (built >= 6) {
            complete = false;
            continue; // spread big builds over frames
          }
          chunk = this.build(cx, cy, scale);
          built += 1;
          this.chunks.set(key, chunk);
          if (this.chunks.size > MAX_CHUNKS) this.chunks.delete(this.chunks.keys().next().value);
        }
        const sx = ox + Math.round(cx * CHUNK * scale);
        const sy = oy + Math.round(cy * CHUNK * scale);
        const w = ox + Math.round((cx + 1) * CHUNK * scale) - sx;
        const h = oy + Math.round((cy + 1) * CHUNK * scale) - sy;
        ctx.drawImage(chunk, 0, 0, w, h, sx, sy, w, h);
      }
    }
    return complete;
  }

  build(cx, cy, res) {
    const c = document.createElement('canvas');
    c.width = c.height = Math.ceil(CHUNK * res) + 1;
    const ctx = c.getContext('2d', { alpha: false });
    ctx.scale(res, res);
    ctx.translate(-cx * CHUNK, -cy * CHUNK);
    const tx0 = cx * CT - 1;
    const ty0 = cy * CT - 1;
    const tx1 = cx * CT + CT;
    const ty1 = cy * CT + CT;
    this.grass(ctx, tx0, ty0, tx1, ty1);
    this.paths(ctx, tx0, ty0, tx1, ty1);
    this.plaza(ctx, tx0, ty0, tx1, ty1);
    this.water(ctx, tx0, ty0, tx1, ty1);
    this.portals(ctx, tx0, ty0, tx1, ty1);
    this.forest(ctx, tx0, ty0, tx1, ty1);
    return c;
  }

  shape(test, tx0, ty0, tx1, ty1, radius, passes) {
    return tileShape(test, tx0, ty0, tx1, ty1, radius, passes);
  }

  grass(ctx, tx0, ty0, tx1, ty1) {
    for (let ty = ty0; ty <= ty1; ty++) {
      for (let tx = tx0; tx <= tx1; tx++) {
        ctx.fillStyle = (tx + ty) & 1 ? C.grassChecker : C.grass;
        ctx.fillRect(tx * TILE, ty * TILE, TILE, TILE);
      }
    }
    for (let ty = ty0; ty <= ty1; ty++) {
      for (let tx = tx0; tx <= tx1; tx++) {
        const ch = this.letter(tx, ty);
        if (ch !== 'g' && ch !== 'f') continue;
        const h = hashInts(tx, ty, this.salt);
        const x = tx * TILE;
        const y = ty * TILE;
        if (h % 3 === 0) tuft(ctx, x + 6 + ((h >> 4) & 15) * 1.2, y + 10 + ((h >> 8) & 15));
        if ((h >> 3) % 5 === 0) tuft(ctx, x + 4 + ((h >> 12) & 15) * 1.4, y + 6 + ((h >> 16) & 15) * 1.3);
        if (ch === 'f' || (h >> 6) % 100 < 4) {
          const n = ch === 'f' ? 3 : 1;
          for (let k = 0; k < n; k++) {
            const hk = hashInts(h, k, 11);
            flower(ctx, x + 6 + (hk & 255) / 255 * 20, y + 6 + ((hk >> 8) & 255) / 255 * 20, C.flowers[(hk >> 16) % C.flowers.length]);
          }
        }
      }
    }
  }

  paths(ctx, tx0, ty0, tx1, ty1) {
    const s = this.shape((i, j) => 'pPo'.includes(this.letter(i, j)), tx0, ty0, tx1, ty1);
    if (!s) return;
    ctx.lineJoin = 'round';
    ctx.lineCap = 'round';
    ctx.strokeStyle = C.pathRim;
    ctx.lineWidth = 6;
    ctx.stroke(s.edge);
    ctx.fillStyle = C.path;
    ctx.fill(s.fill);
    ctx.save();
    ctx.clip(s.fill);
    for (let ty = ty0; ty <= ty1; ty++) {
      for (let tx = tx0; tx <= tx1; tx++) {
        if (this.letter(tx, ty) !== 'p') continue;
        const h = hashInts(tx, ty, this.salt + 3);
        for (let k = 0; k < 3; k++) {
          const hk = hashInts(h, k);
          ctx.fillStyle = k === 2 ? 'rgba(255,255,255,0.35)' : C.pathPebble;
          ctx.beginPath();
          ctx.ellipse(tx * TILE + 4 + (hk & 255) / 255 * 24, ty * TILE + 4 + ((hk >> 8) & 255) / 255 * 24,
            1.2 + ((hk >> 16) & 3) * 0.5, 1 + ((hk >> 18) & 3) * 0.35, 0, 0, Math.PI * 2);
          ctx.fill();
        }
      }
    }
    ctx.restore();
  }

  plaza(ctx, tx0, ty0, tx1, ty1) {
    const s = this.shape((i, j) => 'Po'.includes(this.letter(i, j)), tx0, ty0, tx1, ty1);
    if (!s) return;
    ctx.strokeStyle = C.plazaRim;
    ctx.lineWidth = 5;
    ctx.stroke(s.edge);
    ctx.fillStyle = C.plazaGrout;
    ctx.fill(s.fill);
    ctx.save();
    ctx.clip(s.fill);
    for (let ty = ty0; ty <= ty1; ty++) {
      for (let tx = tx0; tx <= tx1; tx++) {
        if (!'Po'.includes(this.letter(tx, ty))) continue;
        for (let row = 0; row < 2; row++) {
          const off = row ? -8 : 0;
          for (let k = 0; k < 3; k++) {
            const sx = tx * TILE + off + k * 16;
            const h = hashInts(tx * 4 + k, ty * 2 + row, this.salt + 5);
            ctx.fillStyle = C.plaza[h % C.plaza.length];
            ctx.beginPath();
            ctx.roundRect(sx + 1, ty * TILE + row * 16 + 1, 14, 14, 3.5);
            ctx.fill();
          }
        }
      }
    }
    ctx.strokeStyle = 'rgba(255,255,255,0.7)';
    ctx.lineWidth = 2;
    ctx.stroke(s.edge);
    ctx.restore();
  }

  water(ctx, tx0, ty0, tx1, ty1) {
    const isW = (i, j) => this.letter(i, j) === 'w';
    const s = this.shape(isW, tx0, ty0, tx1, ty1, 1, 3);
    if (!s) return;
    ctx.lineJoin = 'round';
    ctx.lineCap = 'round';
    ctx.strokeStyle = C.shore;
    ctx.lineWidth = 13;
    ctx.stroke(s.edge);
    ctx.fillStyle = C.water;
    ctx.fill(s.fill);
    const deep = this.shape((i, j) => isW(i, j) && isW(i - 1, j) && isW(i + 1, j) && isW(i, j - 1) && isW(i, j + 1),
      tx0, ty0, tx1, ty1, 0.75, 2);
    if (deep) {
      ctx.fillStyle = C.waterDeep;
      ctx.fill(deep.fill);
    }
    ctx.save();
    ctx.clip(s.fill);
    ctx.strokeStyle = 'rgba(255,255,255,0.45)';
    ctx.lineWidth = 1.4;
    for (let ty = ty0; ty <= ty1; ty++) {
      for (let tx = tx0; tx <= tx1; tx++) {
        if (!isW(tx, ty)) continue;
        const h = hashInts(tx, ty, this.salt + 7);
        const x = tx * TILE + 8 + (h & 15);
        const y = ty * TILE + 8 + ((h >> 4) & 15);
        if (h % 3 !== 0) {
          ctx.beginPath();
          ctx.arc(x, y, 4, Math.PI * 1.15, Math.PI * 1.85);
          ctx.arc(x + 8, y, 4, Math.PI * 1.15, Math.PI * 1.85);
          ctx.stroke();
        }
        if (h % 11 === 0) lilyPad(ctx, tx * TILE + 16, ty * TILE + 18, (h >> 8) & 1);
      }
    }
    ctx.restore();
    ctx.strokeStyle = C.waterFoam;
    ctx.lineWidth = 2.5;
    ctx.stroke(s.edge);
  }

  portals(ctx, tx0, ty0, tx1, ty1) {
    const s = this.shape((i, j) => this.letter(i, j) === 'o', tx0, ty0, tx1, ty1);
    if (!s) return;
    ctx.strokeStyle = C.portalRim;
    ctx.lineWidth = 5;
    ctx.stroke(s.edge);
    ctx.fillStyle = C.portal;
    ctx.fill(s.fill);
  }

  forest(ctx, tx0, ty0, tx1, ty1) {
    const W = this.w;
    const H = this.h;
    if (tx0 >= 0 && ty0 >= 0 && tx1 < W && ty1 < H) return;
    ctx.save();
    const inside = new Path2D();
    inside.rect(-1e5, -1e5, 2e5, 2e5);
    inside.rect(W * TILE, 0, -W * TILE, H * TILE);
    ctx.clip(inside, 'evenodd');
    ctx.fillStyle = C.forest;
    ctx.fillRect(tx0 * TILE, ty0 * TILE, (tx1 - tx0 + 1) * TILE, (ty1 - ty0 + 1) * TILE);
    for (let ty = ty0 - 1; ty <= ty1 + 1; ty++) {
      for (let tx = tx0 - 1; tx <= tx1 + 1; tx++) {
        if (tx >= 0 && ty >= 0 && tx < W && ty < H) continue;
        const h = hashInts(tx, ty, 99);
        const x = tx * TILE + 16 + ((h & 15) - 8);
        const y = ty * TILE + 16 + (((h >> 4) & 15) - 8);
        const r = 17 + ((h >> 8) & 7);
        ctx.fillStyle = C.forestLight;
        ctx.beginPath();
        ctx.arc(x, y, r, 0, Math.PI * 2);
        ctx.fill();
        ctx.fillStyle = C.forestTop;
        ctx.beginPath();
        ctx.arc(x - r * 0.25, y - r * 0.3, r * 0.55, 0, Math.PI * 2);
        ctx.fill();
      }
    }
    ctx.restore();
    ctx.strokeStyle = 'rgba(20,50,25,0.35)';
    ctx.lineWidth = 3;
    ctx.strokeRect(-1.5, -1.5, W * TILE + 3, H * TILE + 3);
  }
}

function tuft(ctx, x, y) {
  ctx.strokeStyle = C.grassTuft;
  ctx.lineWidth = 1.3;
  ctx.lineCap = 'round';
  ctx.beginPath();
  ctx.moveTo(x - 3, y - 3.5);
  ctx.lineTo(x, y);
  ctx.lineTo(x + 0.5, y - 4.5);
  ctx.moveTo(x, y);
  ctx.lineTo(x + 3.5, y - 3);
  ctx.stroke();
}

function flower(ctx, x, y, petal) {
  ctx.fillStyle = petal;
  for (let a = 0; a < 5; a++) {
    const ang = (a / 5) * Math.PI * 2;
    ctx.beginPath();
    ctx.arc(x + Math.cos(ang) * 1.9, y + Math.sin(ang) * 1.9, 1.45, 0, Math.PI * 2);
    ctx.fill();
  }
  ctx.fillStyle = C.flowerEye;
  ctx.beginPath();
  ctx.arc(x, y, 1.1, 0, Math.PI * 2);
  ctx.fill();
}

function lilyPad(ctx, x, y, bloom) {
  ctx.fillStyle = '#5dbb63';
  ctx.beginPath();
  ctx.moveTo(x, y);
  ctx.arc(x, y, 5.5, 0.35, Math.PI * 2 - 0.1);
  ctx.closePath();
  ctx.fill();
  if (bloom) {
    ctx.fillStyle = '#ffc6dc';
    ctx.beginPath();
    ctx.arc(x + 1.5, y - 1.5, 2, 0, Math.PI * 2);
    ctx.fill();
  }
}
