// render.js — draws one frame of the world on the game canvas: terrain, portals, ground
// markers, drops, monsters and players (depth-sorted, smoothed, animated), HP bars, names,
// intent lines, thought bubbles and effects, with a camera that follows you.

import { Camera } from './camera.js';
import { Terrain } from './terrain.js';
import { Effects } from './effects.js';
import { nameTag, pill, thoughtBubble, sign } from './labels.js';
import { playerSprite, hatSprite, avatarHead, monsterSprite, shadowSprite, itemSprite, monsterRadius } from './sprites.js';
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
    const k = 1 - Math.exp(-dt * 14);
    for (const e of model.entities.values()) {
      const dx = e.x - e.rx;
      const dy = e.y - e.ry;
      if (Math.abs(dx) > 160 || Math.abs(dy) > 160) {
        e.rx = e.x;
        e.ry = e.y;
      } else {
        e.rx += dx * k;
        e.ry += dy * k;
      }
      e.moving = Math.abs(dx) + Math.abs(dy) > 1.2;
    }
    const me = model.me();
    if (me) cam.follow(me.rx, me.ry - 10, mapW, mapH, dt);
    else if (model.you && Number.isFinite(model.you.x)) cam.follow(model.you.x, model.you.y, mapW, mapH, 0);
    const S = cam.zoom * this.dpr;
    const R = Math.min(3, Math.max(1, Math.ceil(S - 0.1)));
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.fillStyle = '#2f6b3d';
    ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    this.terrain.draw(ctx, cam, S);
    ctx.setTransform(S, 0, 0, S, Math.round(-cam.x * S), Math.round(-cam.y * S));
    this.drawPortals(ctx, map, now, R);
    const target = this.targetFn();
    this.drawMarkers(ctx, now, target, me);

    const order = this.order;
    order.length = 0;
    for (const e of model.entities.values()) {
      if (!cam.sees(e.rx, e.ry, 64)) continue;
      if (e.k === 'm' && !e.alive && !(e.diedAt && now - e.diedAt < 450)) continue;
      order.push(e);
    }
    order.sort((a, b) => (a.k === 'd' ? -1e6 : 0) + a.ry - ((b.k === 'd' ? -1e6 : 0) + b.ry));
    for (const e of order) {
      if (e.k === 'd') this.drawDrop(ctx, e, now, R);
      else if (e.k === 'm') this.drawMonster(ctx, e, now, R, target);
      else if (e.k === 'p') this.drawPlayer(ctx, e, now, R);
    }
    const partyIds = new Set((model.party && model.party.members || []).map((m) => m.id));
    const serverNow = model.serverNow();
    for (const e of order) {
      if (e.k === 'm') this.monsterOverlay(ctx, e, R, target);
      else if (e.k === 'p') this.playerOverlay(ctx, e, R, e.id === model.you.id, partyIds.has(e.id), serverNow);
    }
    this.effects.draw(ctx, now, R, model);
    this.drawMs = performance.now() - t0;
    this.avgMs = this.frames ? this.avgMs * 0.95 + this.drawMs * 0.05 : this.drawMs;
    this.frames += 1;
  }

  drawPortals(ctx, map, now, R) {
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
      const s = sign(`→ ${p.label || p.to}`, R);
      ctx.drawImage(s.c, p.x - s.w / 2, p.y - 52, s.w, s.h);
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

  drawDrop(ctx, d, now, R) {
    const bob = Math.sin(now / 300 + (d.h || 0)) * 1.5;
    const glow = RARITY[d.rarity];
    if (d.rarity && d.rarity !== 'common') {
      ctx.globalAlpha = 0.35 + 0.2 * Math.sin(now / 200);
      ctx.fillStyle = glow;
      ctx.beginPath();
      ctx.ellipse(d.rx, d.ry, 11, 5, 0, 0, Math.PI * 2);
      ctx.fill();
      ctx.globalAlpha = 1;
    }
    const sh = shadowSprite(6, R);
    ctx.drawImage(sh.c, d.rx - sh.ax, d.ry - sh.ay, sh.w, sh.h);
    const s = itemSprite(iconKind(d.item), 15, R);
    ctx.drawImage(s.c, d.rx - s.ax, d.ry - 9 - s.ay + bob, s.w, s.h);
  }

  drawMonster(ctx, m, now, R) {
    const s = monsterSprite(m.kind, m.color, R);
    const phase = (hashStr(m.id) % 628) / 100;
    const wob = Math.sin(now / 240 + phase);
    let sx = 1 + wob * 0.06;
    let sy = 1 - wob * 0.06;
    let hop = m.moving ? Math.abs(Math.sin(now / 150 + phase)) * 3 : 0;
    let alpha = 1;
    if (!m.alive) {
      const t = Math.min(1, (now - m.diedAt) / 450);
      sx = 1 + t * 0.6;
      sy = 1 - t * 0.8;
      hop = 0;
      alpha = 1 - t;
    }
    const sh = shadowSprite(s.r, R);
    ctx.globalAlpha = alpha;
    ctx.drawImage(sh.c, m.rx - sh.ax, m.ry - sh.ay, sh.w, sh.h);
    const hit = now - (m.hitAt || 0) < 160;
    const shake = hit ? Math.sin(now / 12) * 2 : 0;
    const w = s.w * sx;
    const h = s.h * sy;
    const x = m.rx - s.ax * sx + shake;
    const y = m.ry - s.ay * sy - hop;
    ctx.drawImage(s.c, x, y, w, h);
    if (hit) {
      ctx.globalCompositeOperation = 'lighter';
      ctx.globalAlpha = 0.55;
      ctx.drawImage(s.c, x, y, w, h);
      ctx.globalCompositeOperation = 'source-over';
    }
    ctx.globalAlpha = 1;
  }

  monsterOverlay(ctx, m, R, target) {
    if (!m.alive) return;
    const r = monsterRadius(m.kind);
    hpBar(ctx, m.rx, m.ry + 4, r * 2 + 4, m.hp, m.maxHp);
    const named = target && target.id === m.id;
    const tag = nameTag(m.name || m.kind, named ? '#ffd0d8' : '#fff1d6', R);
    ctx.drawImage(tag.c, m.rx - tag.w / 2, m.ry + 8, tag.w, tag.h);
  }

  drawPlayer(ctx, p, now, R) {
    const hair = hashStr(p.id) % HAIR.length;
    const facing = ['up', 'down', 'left', 'right'].includes(p.f) ? p.f : 'down';
    const frame = p.moving ? 1 + (Math.floor(now / 140) % 2) : 0;
    const bob = p.moving ? -Math.abs(Math.sin((now / 140) * Math.PI)) * 1.2 : Math.sin(now / 520 + hair) * 0.35;
    const dim = !p.online && p.mode !== 'agent';
    ctx.globalAlpha = dim ? 0.6 : 1;
    const sh = shadowSprite(10, R);
    ctx.drawImage(sh.c, p.rx - sh.ax, p.ry - sh.ay, sh.w, sh.h);
    const avatar = this.avatarFor(p);
    const body = playerSprite(p.job, hair, facing, frame, R, !!avatar);
    const hat = hatSprite(p.job, facing, R);
    if (p.ko) {
      ctx.save();
      ctx.translate(p.rx, p.ry - 4);
      ctx.rotate(-Math.PI / 2);
      ctx.globalAlpha = 0.75;
      ctx.drawImage(body.c, -body.ax, -body.ay + 8, body.w, body.h);
      ctx.restore();
    } else {
      const y = p.ry - body.ay + bob;
      ctx.drawImage(body.c, p.rx - body.ax, y, body.w, body.h);
      if (avatar) {
        const a = avatarHead(avatar.img, avatar.key, R);
        ctx.drawImage(a.c, p.rx + (facing === 'left' ? -0.8 : facing === 'right' ? 0.8 : 0) - a.ax, y + body.ay - 27 - a.ay, a.w, a.h);
      }
      ctx.drawImage(hat.c, p.rx - hat.ax, y, hat.w, hat.h);
    }
    ctx.globalAlpha = 1;
  }

  playerOverlay(ctx, p, R, isYou, inParty, serverNow) {
    hpBar(ctx, p.rx, p.ry + 4, 30, p.hp, p.maxHp);
    const color = isYou ? '#ffd27a' : inParty ? '#9dffb8' : '#ffffff';
    const badge = p.mode === 'agent' ? { text: 'H', color: '#14a3b8' } : p.bot ? { text: 'BOT', color: '#7c5cd6' } : null;
    const tag = nameTag(`Lv${p.lv} ${p.name}`, color, R, badge);
    ctx.drawImage(tag.c, p.rx - tag.w / 2, p.ry + 9, tag.w, tag.h);
    let top = p.ry - 60;
    if (p.intent) {
      const s = pill(p.intent, R);
      ctx.drawImage(s.c, p.rx - s.w / 2, top - s.h, s.w, s.h);
      top -= s.h + 3;
    }
    if (p.thought && p.thoughtAt && serverNow - p.thoughtAt < THOUGHT_MS) {
      const b = thoughtBubble(p.thought, R);
      ctx.drawImage(b.c, p.rx - b.w / 2, top - b.h, b.w, b.h);
    }
    if (p.ko) {
      const s = pill('zZ…', R, 'rgba(80,80,110,0.8)');
      ctx.drawImage(s.c, p.rx - s.w / 2, p.ry - 40, s.w, s.h);
    }
  }
}

function hpBar(ctx, x, y, w, hp, max) {
  const frac = max > 0 ? Math.min(1, Math.max(0, hp / max)) : 0;
  ctx.fillStyle = 'rgba(20,24,36,0.75)';
  ctx.fillRect(x - w / 2 - 1, y - 1, w + 2, 5);
  ctx.fillStyle = hpColor(frac);
  ctx.fillRect(x - w / 2, y, w * frac, 3);
  ctx.fillStyle = 'rgba(255,255,255,0.35)';
  ctx.fillRect(x - w / 2, y, w * frac, 1);
}
