// render.js — draws one frame of the world on the game canvas: terrain, portals, ground
// markers, drops, monsters and players (depth-sorted, smoothed, animated), HP bars, names,
// intent lines, thought bubbles and effects, with a camera that follows you.

import { Camera } from './camera.js';
import { Terrain } from './terrain.js';
import { Effects } from './effects.js';
import { nameTag, pill, thoughtBubble, sign } from './labels.js';
import { playerSprite, hatSprite, figureSprite, avatarHead, monsterSprite, shadowSprite, monsterRadius, WOBBLE_PHASES } from './sprites.js';
import { dropSprite, BOB_PHASES } from './itemart.js';
import { resetSprites } from './draw.js';
import { TILE, hashStr, hpColor, RARITY, HAIR } from './palette.js';
import { iconKind } from '../items.js';

const THOUGHT_MS = 25000;

export class Renderer {
  constructor(canvas, model) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d', { alpha: false });
    this.model = model;
    this.cam = new Camera();
    this.terrain = new Terrain();
    this.effects = new Effects();
    this.dpr = 1;
    this.last = performance.now();
    this.drawMs = 0;
    this.avgMs = 0;
    this.frames = 0;
    this.goal = null;
    this.hover = null;
    this.focus = { x: 0, y: 0 }; // css px to shift the followed point (a panel covers part of the screen)
    this.targetFn = () => null;
    this.avatars = new Map();
    this.order = [];
    this.resize();
  }

  resize() {
    const rect = this.canvas.getBoundingClientRect();
    const w = Math.max(1, rect.width || this.canvas.clientWidth || 800);
    const h = Math.max(1, rect.height || this.canvas.clientHeight || 600);
    this.dpr = Math.min(window.devicePixelRatio || 1, 2);
    this.canvas.width = Math.round(w * this.dpr);
    this.canvas.height = Math.round(h * this.dpr);
    this.cam.resize(w, h);
  }

  /** Forget per-map state (a new map or channel). */
  reset() {
    this.terrainDone = false;
    this.effects.clear();
    this.goal = null;
    this.cam.placed = false;
  }

  avatarFor(p) {
    if (!p.av) return null;
    const key = `${p.id}|${p.av}`;
    let entry = this.avatars.get(key);
    if (!entry) {
      const img = new Image();
      entry = { img, ok: false };
      img.onload = () => { entry.ok = true; };
      img.src = `/api/avatars/${encodeURIComponent(p.id)}.png?v=${p.av}`;
      this.avatars.set(key, entry);
      if (this.avatars.size > 300) this.avatars.delete(this.avatars.keys().next().value);
    }
    return entry.ok ? { img: entry.img, key } : null;
  }

  frame(now = performance.now()) {
    const t0 = performance.now();
    const dt = Math.min(0.1, Math.max(0, (now - this.last) / 1000));
    this.last = now;
    const { ctx, cam, model } = this;
    const map = model.map;
    if (!map) {
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.fillStyle = '#2f6b3d';
      ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
      return;
    }
    this.terrain.setMap(map);
    const mapW = map.width * TILE;
    const mapH = map.height * TILE;
    // dead reckoning: x, y is where the entity is now; the drawn position (rx, ry) moves with
    // the entity's velocity and closes the rest (a correction from the server) smoothly
    model.advance(now);
    const k = 1 - Math.exp(-dt * 14);
    for (const e of model.entities.values()) {
      const walking = (e.vx || e.vy) && !e.arrived;
      const px = e.rx + (walking ? e.vx * dt : 0);
      const py = e.ry + (walking ? e.vy * dt : 0);
      const dx = e.x - px;
      const dy = e.y - py;
      if (Math.abs(dx) > 160 || Math.abs(dy) > 160) {
        e.rx = e.x;
        e.ry = e.y;
      } else {
        e.rx = px + dx * k;
        e.ry = py + dy * k;
      }
      e.moving = Boolean(walking) || Math.abs(dx) + Math.abs(dy) > 1.2;
    }
    const me = model.me();
    if (me) cam.follow(me.rx + this.focus.x / cam.zoom, me.ry - 10 + this.focus.y / cam.zoom, mapW, mapH, dt);
    else if (model.you && Number.isFinite(model.you.x)) cam.follow(model.you.x, model.you.y, mapW, mapH, 0);
    const S = cam.zoom * this.dpr;
    if (S !== this.scale) {
      this.scale = S;
      resetSprites();
    }
    const ox = Math.round(-cam.x * S);
    const oy = Math.round(-cam.y * S);
    this.px = { S, ox, oy };
    const T = { R: this.dpr, k: 1 / cam.zoom };
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.imageSmoothingEnabled = true;
    if (!this.terrainDone) {
      ctx.fillStyle = '#2f6b3d';
      ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    }
    this.terrainDone = this.terrain.draw(ctx, cam, S);
    ctx.setTransform(S, 0, 0, S, ox, oy);
    this.drawPortals(ctx, map, now, T);
    const target = this.targetFn();
    this.drawMarkers(ctx, now, target, me);

    // entities are drawn in device pixels: sprites made at this exact scale, copied 1:1
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.imageSmoothingEnabled = false;
    const order = this.order;
    order.length = 0;
    for (const e of model.entities.values()) {
      if (!cam.sees(e.rx, e.ry, 64)) continue;
      if (e.k === 'm' && !e.alive && !(e.diedAt && now - e.diedAt < 450)) continue;
      order.push(e);
    }
    order.sort((a, b) => (a.k === 'd' ? -1e6 : 0) + a.ry - ((b.k === 'd' ? -1e6 : 0) + b.ry));
    for (const e of order) {
      if (e.k === 'd') this.drawDrop(ctx, e, now, S);
      else if (e.k === 'm') this.drawMonster(ctx, e, now, S);
      else if (e.k === 'p') this.drawPlayer(ctx, e, now, S);
    }
    const partyIds = new Set((model.party && model.party.members || []).map((m) => m.id));
    const serverNow = model.serverNow();
    for (const e of order) {
      if (e.k === 'm') this.monsterOverlay(ctx, e, target);
      else if (e.k === 'p') this.playerOverlay(ctx, e, e.id === model.you.id, partyIds.has(e.id), serverNow);
    }
    ctx.imageSmoothingEnabled = true;
    ctx.setTransform(S, 0, 0, S, ox, oy);
    this.effects.draw(ctx, now, T, model);
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    this.drawMs = performance.now() - t0;
    this.avgMs = this.frames ? this.avgMs * 0.95 + this.drawMs * 0.05 : this.drawMs;
    this.frames += 1;
  }

  /** Device x / y of a world point (whole pixels). */
  X(wx) {
    return Math.round(wx * this.px.S) + this.px.ox;
  }

  Y(wy) {
    return Math.round(wy * this.px.S) + this.px.oy;
  }

  /** Copy a sprite 1:1 with its anchor on world point (wx, wy), `dy` device pixels lower. */
  blit(ctx, s, wx, wy, dy = 0) {
    const S = this.px.S;
    ctx.drawImage(s.c, this.X(wx) - Math.round(s.ax * S), this.Y(wy) - Math.round(s.ay * S) + dy);
  }

  /** A label canvas (made at the device pixel ratio) centred on wx, its top at wy. */
  label(ctx, s, wx, wy, dy = 0) {
    const d = this.dpr;
    ctx.drawImage(s.c, this.X(wx) - Math.round((s.w * d) / 2), this.Y(wy) + Math.round(dy * d));
  }

  drawPortals(ctx, map, now, T) {
    for (const p of map.portals || []) {
      if (!this.cam.sees(p.x, p.y, 80)) continue;
      const pulse = 0.5 + 0.5 * Math.sin(now / 420);
      const g = ctx.createRadialGradient(p.x, p.y, 2, p.x, p.y, 34 + pulse * 6);
      g.addColorStop(0, 'rgba(255,255,255,0.95)');
      g.addColorStop(0.35, 'rgba(170,225,255,0.7)');
      g.addColorStop(0.7, 'rgba(160,120,255,0.35)');
      g.addColorStop(1, 'rgba(160,120,255,0)');
      ctx.fillStyle = g;
      ctx.beginPath();
      ctx.arc(p.x, p.y, 40 + pulse * 6, 0, Math.PI * 2);
      ctx.fill();
      ctx.lineWidth = 2;
      for (let i = 0; i < 2; i++) {
        ctx.strokeStyle = i ? 'rgba(255,255,255,0.85)' : 'rgba(125,95,235,0.9)';
        ctx.setLineDash([6, 5]);
        ctx.lineDashOffset = (i ? -1 : 1) * now / 40;
        ctx.beginPath();
        ctx.ellipse(p.x, p.y, 20 - i * 7, 11 - i * 4, 0, 0, Math.PI * 2);
        ctx.stroke();
      }
      ctx.setLineDash([]);
      ctx.fillStyle = 'rgba(255,255,255,0.9)';
      for (let i = 0; i < 6; i++) {
        const ph = (now / 1600 + i / 6) % 1;
        ctx.globalAlpha = 1 - ph;
        ctx.fillRect(p.x + Math.sin(i * 2.3) * 14 - 1, p.y - ph * 40, 2, 2);
      }
      ctx.globalAlpha = 1;
      const s = sign(`→ ${p.label || p.to}`, T.R);
      ctx.drawImage(s.c, p.x - (s.w * T.k) / 2, p.y - 38 - s.h * T.k, s.w * T.k, s.h * T.k);
    }
  }

  drawMarkers(ctx, now, target, me) {
    if (this.goal) {
      const g = this.goal;
      const age = now - g.t0;
      if (age > 6000 || (me && Math.hypot(me.x - g.x, me.y - g.y) < 8)) this.goal = null;
      else {
        const s = 1 + 0.15 * Math.sin(now / 120);
        ctx.strokeStyle = 'rgba(255,255,255,0.9)';
        ctx.lineWidth = 2;
        ctx.beginPath();
        ctx.ellipse(g.x, g.y, 9 * s, 4.5 * s, 0, 0, Math.PI * 2);
        ctx.stroke();
        ctx.strokeStyle = 'rgba(255,170,60,0.9)';
        ctx.beginPath();
        ctx.moveTo(g.x - 4, g.y - 10);
        ctx.lineTo(g.x, g.y - 4);
        ctx.lineTo(g.x + 4, g.y - 10);
        ctx.stroke();
      }
    }
    if (me) {
      const pulse = 0.5 + 0.5 * Math.sin(now / 300);
      ctx.strokeStyle = `rgba(255,170,40,${0.55 + pulse * 0.35})`;
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.ellipse(me.rx, me.ry, 13 + pulse * 1.5, 5.5 + pulse * 0.6, 0, 0, Math.PI * 2);
      ctx.stroke();
    }
    if (target) {
      const t = this.model.entities.get(target.id);
      if (t && t.alive !== false) {
        const r = monsterRadius(t.kind) + 4;
        ctx.save();
        ctx.translate(t.rx, t.ry);
        ctx.rotate(now / 700);
        ctx.strokeStyle = target.locked ? 'rgba(255,80,110,0.95)' : 'rgba(255,230,90,0.9)';
        ctx.lineWidth = 2.2;
        ctx.setLineDash(target.locked ? [] : [5, 4]);
        ctx.beginPath();
        ctx.ellipse(0, 0, r, r * 0.45, 0, 0, Math.PI * 2);
        ctx.stroke();
        ctx.setLineDash([]);
        ctx.restore();
      }
    }
  }

  drawDrop(ctx, d, now, S) {
    if (d.rarity && d.rarity !== 'common') {
      ctx.globalAlpha = 0.35 + 0.2 * Math.sin(now / 200);
      ctx.fillStyle = RARITY[d.rarity];
      ctx.beginPath();
      ctx.ellipse(this.X(d.rx), this.Y(d.ry), 11 * S, 5 * S, 0, 0, Math.PI * 2);
      ctx.fill();
      ctx.globalAlpha = 1;
    }
    const phase = Math.floor(now / 110 + (d.h || 0)) % BOB_PHASES;
    this.blit(ctx, dropSprite(iconKind(d.item), S, phase), d.rx, d.ry);
  }

  drawMonster(ctx, m, now, S) {
    const seed = hashStr(m.id);
    const phase = Math.floor(now / (m.moving ? 45 : 70) + (seed % 97)) % WOBBLE_PHASES;
    const s = monsterSprite(m.kind, m.color, S, phase, !!m.moving && m.alive);
    if (!m.alive) {
      const t = Math.min(1, (now - m.diedAt) / 450);
      const w = s.c.width * (1 + t * 0.6);
      const h = s.c.height * (1 - t * 0.8);
      ctx.globalAlpha = 1 - t;
      ctx.drawImage(s.c, this.X(m.rx) - w / 2, this.Y(m.ry) - h, w, h);
      ctx.globalAlpha = 1;
      return;
    }
    const hit = now - (m.hitAt || 0) < 160;
    const x = this.X(m.rx) - Math.round(s.ax * S) + (hit ? Math.round(Math.sin(now / 12) * 2 * S) : 0);
    const y = this.Y(m.ry) - Math.round(s.ay * S);
    ctx.drawImage(s.c, x, y);
    if (hit) {
      ctx.globalCompositeOperation = 'lighter';
      ctx.globalAlpha = 0.55;
      ctx.drawImage(s.c, x, y);
      ctx.globalCompositeOperation = 'source-over';
      ctx.globalAlpha = 1;
    }
  }

  monsterOverlay(ctx, m, target) {
    if (!m.alive) return;
    const r = monsterRadius(m.kind);
    this.hpBar(ctx, m.rx, m.ry + 4, r * 2 + 4, m.hp, m.maxHp);
    const targeted = target && target.id === m.id;
    const hov = this.hover;
    const hovered = hov && Math.abs(hov.x - m.rx) < r + 6 && hov.y < m.ry + 6 && hov.y > m.ry - r * 2 - 6;
    if (targeted || hovered || m.kind === 'elite') {
      this.label(ctx, nameTag(m.name || m.kind, targeted ? '#ffd0d8' : '#fff1d6', this.dpr), m.rx, m.ry + 8);
    }
  }

  drawPlayer(ctx, p, now, S) {
    const hair = hashStr(p.id) % HAIR.length;
    const facing = ['up', 'down', 'left', 'right'].includes(p.f) ? p.f : 'down';
    const frame = p.moving ? 1 + (Math.floor(now / 140) % 2) : 0;
    const dim = !p.online && p.mode !== 'agent';
    if (dim) ctx.globalAlpha = 0.6;
    const avatar = this.avatarFor(p);
    if (p.ko) {
      const body = playerSprite(p.job, hair, facing, 0, S, !!avatar);
      this.blit(ctx, shadowSprite(10, S), p.rx, p.ry);
      ctx.save();
      ctx.translate(this.X(p.rx), this.Y(p.ry - 4));
      ctx.rotate(-Math.PI / 2);
      ctx.globalAlpha = 0.75;
      ctx.drawImage(body.c, -body.ax * S, (-body.ay + 8) * S);
      ctx.restore();
    } else if (avatar) {
      this.blit(ctx, shadowSprite(10, S), p.rx, p.ry);
      this.blit(ctx, playerSprite(p.job, hair, facing, frame, S, true), p.rx, p.ry);
      const shift = facing === 'left' ? -0.8 : facing === 'right' ? 0.8 : 0;
      this.blit(ctx, avatarHead(avatar.img, avatar.key, S), p.rx + shift, p.ry - 27);
      this.blit(ctx, hatSprite(p.job, facing, S), p.rx, p.ry);
    } else {
      this.blit(ctx, figureSprite(p.job, hair, facing, frame, S), p.rx, p.ry);
    }
    if (dim) ctx.globalAlpha = 1;
  }

  playerOverlay(ctx, p, isYou, inParty, serverNow) {
    this.hpBar(ctx, p.rx, p.ry + 4, 30, p.hp, p.maxHp);
    const color = isYou ? '#ffd27a' : inParty ? '#9dffb8' : '#ffffff';
    const badge = p.mode === 'agent' ? { text: 'H', color: '#14a3b8' } : p.bot ? { text: 'BOT', color: '#7c5cd6' } : null;
    this.label(ctx, nameTag(`Lv${p.lv} ${p.name}`, color, this.dpr, badge), p.rx, p.ry + 9);
    let lift = 0;
    if (p.intent) {
      const s = pill(p.intent, this.dpr);
      lift += s.h;
      this.label(ctx, s, p.rx, p.ry - 58, -lift);
      lift += 3;
    }
    if (p.thought && p.thoughtAt && serverNow - p.thoughtAt < THOUGHT_MS) {
      const b = thoughtBubble(p.thought, this.dpr);
      this.label(ctx, b, p.rx, p.ry - 58, -lift - b.h);
    }
    if (p.ko) this.label(ctx, pill('zZ…', this.dpr, 'rgba(80,80,110,0.8)'), p.rx, p.ry - 40);
  }

  /** An HP bar `w` world px wide, centred on wx with its top at wy (device pixels). */
  hpBar(ctx, wx, wy, w, hp, max) {
    const S = this.px.S;
    const frac = max > 0 ? Math.min(1, Math.max(0, hp / max)) : 0;
    const bw = Math.round(w * S);
    const bh = Math.max(3, Math.round(3 * S));
    const x = this.X(wx) - (bw >> 1);
    const y = this.Y(wy);
    ctx.fillStyle = '#262b3d';
    ctx.fillRect(x - 1, y - 1, bw + 2, bh + 2);
    ctx.fillStyle = hpColor(frac);
    ctx.fillRect(x, y, Math.round(bw * frac), bh);
  }
}
