// minimap.js — a small overview of the current map: terrain colours, monsters, drops,
// players (party in green), portals, you, and the camera's view; clicking it walks there.

import { TILE } from './palette.js';

const TILE_COLORS = { g: '#86c96b', f: '#8fd072', p: '#e3c48c', P: '#efe4cf', w: '#5fb0ea', o: '#b9a7ee' };

export class Minimap {
  constructor(canvas, model, camera) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d');
    this.model = model;
    this.cam = camera;
    this.bg = null;
    this.bgKey = '';
    this.lastDraw = 0;
  }

  background(map) {
    const key = `${map.id}|${map.width}x${map.height}`;
    if (this.bgKey === key) return this.bg;
    const c = document.createElement('canvas');
    c.width = map.width * 4;
    c.height = map.height * 4;
    const ctx = c.getContext('2d');
    map.terrain.forEach((row, ty) => {
      for (let tx = 0; tx < row.length; tx++) {
        ctx.fillStyle = TILE_COLORS[row[tx]] || TILE_COLORS.g;
        ctx.fillRect(tx * 4, ty * 4, 4, 4);
      }
    });
    this.bg = c;
    this.bgKey = key;
    return c;
  }

  /** World point for a click at (px, py) in CSS pixels of the minimap, or null. */
  toWorld(px, py) {
    const map = this.model.map;
    if (!map || !this.box) return null;
    const { ox, oy, s } = this.box;
    const x = (px * this.dpr - ox) / s;
    const y = (py * this.dpr - oy) / s;
    if (x < 0 || y < 0 || x > map.width * TILE || y > map.height * TILE) return null;
    return { x, y };
  }

  draw(now = performance.now()) {
    if (now - this.lastDraw < 200) return;
    this.lastDraw = now;
    const map = this.model.map;
    const canvas = this.canvas;
    const dpr = Math.min(window.devicePixelRatio || 1, 2);
    const cssW = canvas.clientWidth || 160;
    const cssH = canvas.clientHeight || 100;
    if (canvas.width !== Math.round(cssW * dpr) || canvas.height !== Math.round(cssH * dpr)) {
      canvas.width = Math.round(cssW * dpr);
      canvas.height = Math.round(cssH * dpr);
    }
    this.dpr = dpr;
    const ctx = this.ctx;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = '#2f6b3d';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    if (!map) return;
    const mw = map.width * TILE;
    const mh = map.height * TILE;
    const s = Math.min(canvas.width / mw, canvas.height / mh);
    const ox = (canvas.width - mw * s) / 2;
    const oy = (canvas.height - mh * s) / 2;
    this.box = { ox, oy, s };
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(this.background(map), ox, oy, mw * s, mh * s);
    ctx.imageSmoothingEnabled = true;
    const X = (x) => ox + x * s;
    const Y = (y) => oy + y * s;
    const r = Math.max(1.6, 2.2 * dpr);
    for (const p of map.portals || []) {
      ctx.fillStyle = '#ffffff';
      ctx.beginPath();
      ctx.arc(X(p.x), Y(p.y), r * 1.6, 0, Math.PI * 2);
      ctx.fill();
      ctx.strokeStyle = '#7c5cd6';
      ctx.lineWidth = 1.5 * dpr;
      ctx.stroke();
    }
    const party = new Set((this.model.party && this.model.party.members || []).map((m) => m.id));
    const youId = this.model.you.id;
    for (const e of this.model.entities.values()) {
      if (e.id === youId) continue;
      if (e.k === 'm') {
        if (!e.alive) continue;
        ctx.fillStyle = e.kind === 'elite' ? '#ff4fa0' : '#ff7b7b';
      } else if (e.k === 'd') ctx.fillStyle = '#ffd447';
      else ctx.fillStyle = party.has(e.id) ? '#5dff9a' : '#4a8cff';
      ctx.beginPath();
      ctx.arc(X(e.x), Y(e.y), e.k === 'd' ? r * 0.7 : r, 0, Math.PI * 2);
      ctx.fill();
    }
    const cam = this.cam;
    ctx.strokeStyle = 'rgba(255,255,255,0.7)';
    ctx.lineWidth = 1 * dpr;
    ctx.strokeRect(X(cam.x), Y(cam.y), (cam.viewW / cam.zoom) * s, (cam.viewH / cam.zoom) * s);
    const me = this.model.me();
    if (me) {
      ctx.fillStyle = '#ff9a1f';
      ctx.strokeStyle = '#ffffff';
      ctx.lineWidth = 1.5 * dpr;
      ctx.beginPath();
      ctx.arc(X(me.rx), Y(me.ry), r * 1.5, 0, Math.PI * 2);
      ctx.fill();
      ctx.stroke();
    }
  }
}
