// effects.js — what fights look like: spell effects from `fx` frames (spark, blink, mark, echo,
// guard, fireball, hail, arrow, cleave, flurry, crit, hurt, level_up, rare_drop, emote, pings)
// and floating damage numbers. Drawn in world units after the entities; bad payloads are ignored.

import { damageText } from './labels.js';
import { RARITY } from './palette.js';
import { emoteIcon } from './emotes.js';

const num = (v, d = 0) => (Number.isFinite(v) ? v : d);

export class Effects {
  constructor() {
    this.list = [];
    this.texts = [];
  }

  clear() {
    this.list.length = 0;
    this.texts.length = 0;
  }

  /** A floating word or number at a world point. */
  float(x, y, text, kind = 'hit', delay = 0, now = performance.now()) {
    if (this.texts.length > 120) this.texts.shift();
    this.texts.push({ x: num(x), y: num(y), text: String(text), kind, t0: now + delay, jitter: (Math.random() - 0.5) * 10 });
  }

  add(fx, model, now = performance.now()) {
    if (!fx || typeof fx.type !== 'string') return;
    const p = fx.payload && typeof fx.payload === 'object' ? fx.payload : {};
    const x = num(fx.x);
    const y = num(fx.y);
    const push = (kind, dur, extra = {}, delay = 0) => {
      if (this.list.length > 160) this.list.shift();
      this.list.push({ kind, x, y, t0: now + delay, dur, by: fx.by, p, ...extra });
    };
    const posOf = (id) => {
      const e = id && model.entities.get(id);
      return e ? { x: e.rx, y: e.ry } : { x, y };
    };
    const numbers = (hits, delay) => {
      for (const [i, h] of (Array.isArray(hits) ? hits : []).entries()) {
        const at = h.id ? posOf(h.id) : { x, y };
        if (Number.isFinite(h.dmg)) this.float(at.x, at.y - 22, h.dmg, h.crit ? 'crit' : 'hit', delay + i * 60, now);
      }
    };
    switch (fx.type) {
      case 'spark': case 'blink': case 'mark': case 'echo': case 'guard':
        if (p.miss) {
          push('miss', 450);
          this.float(x, y - 26, 'miss', 'info', 0, now);
        } else if (p.ping) push('ping', 1200);
        else if (p.party) push('ping', 1200, { color: '#7dffb0' });
        else if (p.elite) push('summon', 1100);
        else if (p.craft) {
          push('craft', 1100);
          this.float(x, y - 40, '✦ craft ✦', 'level', 0, now);
        } else {
          push(fx.type, fx.type === 'guard' ? 600 : 480);
          if (Number.isFinite(p.dmg)) this.float(x, y - 22, p.dmg, p.crit ? 'crit' : 'hit', 60, now);
        }
        break;
      case 'fireball': {
        const from = posOf(fx.by);
        push('fireball', 760, { fx0: from.x, fy0: from.y - 14, r: num(p.radius, 130) });
        numbers(p.hits, 260);
        break;
      }
      case 'hail':
        push('hail', 900, { r: num(p.radius, 150) });
        numbers(p.hits, 320);
        break;
      case 'arrow':
        push('arrow', 320, { fx0: num(p.fromX, x), fy0: num(p.fromY, y) - 12, tx: num(p.toX, x), ty: num(p.toY, y) - 12, miss: !!p.miss });
        if (!p.miss && Number.isFinite(p.dmg)) this.float(x, y - 22, p.dmg, p.crit ? 'crit' : 'hit', 200, now);
        break;
      case 'cleave':
        push('cleave', 380, { r: num(p.radius, 120), facing: p.facing });
        numbers(p.hits, 120);
        break;
      case 'flurry':
        push('flurry', 420);
        for (const [i, h] of (Array.isArray(p.hits) ? p.hits : []).entries()) {
          if (Number.isFinite(h.dmg)) this.float(x, y - 22, h.dmg, h.crit ? 'crit' : 'hit', i * 110, now);
        }
        break;
      case 'crit':
        push('crit', 500);
        break;
      case 'hurt': {
        const at = posOf(p.target);
        push('hurt', 420, { x: at.x, y: at.y });
        if (Number.isFinite(p.dmg)) this.float(at.x, at.y - 30, `-${p.dmg}`, 'hurt', 0, now);
        break;
      }
      case 'level_up':
        push('level', 1600);
        this.float(x, y - 52, 'LEVEL UP!', 'level', 0, now);
        break;
      case 'rare_drop':
        push('rare', 1600, { color: RARITY[p.rarity] || '#ffd447' });
        break;
      case 'emote':
        push('emote', 2600, { emote: String(p.emote || '') });
        break;
      default:
        push('spark', 400);
    }
  }

  draw(ctx, now, T, model) {
    let w = 0;
    for (const e of this.list) {
      const t = (now - e.t0) / e.dur;
      if (t >= 1) continue;
      this.list[w++] = e;
      if (t < 0) continue;
      ctx.save();
      try {
        DRAW[e.kind] ? DRAW[e.kind](ctx, e, t, model) : DRAW.spark(ctx, e, t);
      } finally {
        ctx.restore();
      }
    }
    this.list.length = w;
    let k = 0;
    for (const f of this.texts) {
      const t = (now - f.t0) / (f.kind === 'level' ? 1500 : 950);
      if (t >= 1) continue;
      this.texts[k++] = f;
      if (t < 0) continue;
      const s = damageText(f.text, f.kind, T.R);
      const pop = t < 0.12 ? 0.6 + (t / 0.12) * 0.55 : t < 0.2 ? 1.15 - ((t - 0.12) / 0.08) * 0.15 : 1;
      ctx.globalAlpha = t > 0.7 ? (1 - t) / 0.3 : 1;
      const w2 = s.w * pop * T.k;
      const h2 = s.h * pop * T.k;
      ctx.drawImage(s.c, f.x + f.jitter * t - w2 / 2, f.y - t * 26 - h2 / 2, w2, h2);
    }
    ctx.globalAlpha = 1;
    this.texts.length = k;
  }
}

function ring(ctx, x, y, r, color, width, alpha = 1) {
  ctx.globalAlpha = Math.max(0, alpha);
  ctx.strokeStyle = color;
  ctx.lineWidth = width;
  ctx.beginPath();
  ctx.arc(x, y, Math.max(0.1, r), 0, Math.PI * 2);
  ctx.stroke();
}

function burst(ctx, x, y, n, r0, r1, color, width, rot = 0) {
  ctx.strokeStyle = color;
  ctx.lineWidth = width;
  ctx.lineCap = 'round';
  ctx.beginPath();
  for (let i = 0; i < n; i++) {
    const a = rot + (i / n) * Math.PI * 2;
    ctx.moveTo(x + Math.cos(a) * r0, y + Math.sin(a) * r0);
    ctx.lineTo(x + Math.cos(a) * r1, y + Math.sin(a) * r1);
  }
  ctx.stroke();
}

const DRAW = {
  spark(ctx, e, t) {
    const y = e.y - 12;
    ctx.globalAlpha = 1 - t;
    burst(ctx, e.x, y, 8, 4 + t * 10, 10 + t * 16, '#fff6a0', 2.4 * (1 - t) + 0.5);
    ring(ctx, e.x, y, 6 + t * 14, '#ffd84a', 2, 1 - t);
  },
  blink(ctx, e, t) {
    const y = e.y - 12;
    ring(ctx, e.x, y, 22 * (1 - t) + 2, '#c8a6ff', 3, 1 - t * 0.6);
    ring(ctx, e.x, y, 12 * (1 - t) + 1, '#ffffff', 2, 1 - t);
    ctx.globalAlpha = 1 - t;
    ctx.fillStyle = '#e3d4ff';
    for (let i = 0; i < 6; i++) {
      const a = i + t * 5;
      ctx.fillRect(e.x + Math.cos(a) * 16 * t - 1, y + Math.sin(a) * 16 * t - 1, 2.4, 2.4);
    }
  },
  mark(ctx, e, t) {
    const y = e.y - 12;
    const r = 18 - t * 8;
    ctx.globalAlpha = 1 - t * 0.8;
    ctx.strokeStyle = '#ff5470';
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.arc(e.x, y, r, 0, Math.PI * 2);
    for (let i = 0; i < 4; i++) {
      const a = t * 3 + (i * Math.PI) / 2;
      ctx.moveTo(e.x + Math.cos(a) * (r - 5), y + Math.sin(a) * (r - 5));
      ctx.lineTo(e.x + Math.cos(a) * (r + 5), y + Math.sin(a) * (r + 5));
    }
    ctx.stroke();
  },
  echo(ctx, e, t) {
    const y = e.y - 12;
    for (let i = 0; i < 3; i++) {
      const tt = t - i * 0.18;
      if (tt > 0) ring(ctx, e.x, y, 4 + tt * 30, '#7ef2e0', 2.2, 1 - tt);
    }
  },
  guard(ctx, e, t) {
    const y = e.y - 14;
    const r = 14 + t * 10;
    ctx.globalAlpha = 1 - t;
    ctx.strokeStyle = '#ffd35a';
    ctx.fillStyle = 'rgba(255,230,140,0.25)';
    ctx.lineWidth = 2.4;
    ctx.beginPath();
    for (let i = 0; i < 6; i++) {
      const a = Math.PI / 6 + (i * Math.PI) / 3;
      ctx.lineTo(e.x + Math.cos(a) * r, y + Math.sin(a) * r);
    }
    ctx.closePath();
    ctx.fill();
    ctx.stroke();
  },
  miss(ctx, e, t) {
    ctx.globalAlpha = 0.6 * (1 - t);
    ctx.fillStyle = '#e9eef5';
    for (let i = 0; i < 4; i++) {
      ctx.beginPath();
      ctx.arc(e.x + Math.cos(i * 1.7) * t * 12, e.y - 10 + Math.sin(i * 1.7) * t * 8, 4 * (1 - t) + 1, 0, Math.PI * 2);
      ctx.fill();
    }
  },
  ping(ctx, e, t) {
    const c = e.color || '#ffe066';
    ring(ctx, e.x, e.y, 6 + t * 34, c, 3, 1 - t);
    ring(ctx, e.x, e.y, 4 + t * 18, '#ffffff', 2, 1 - t);
  },
  summon(ctx, e, t) {
    ring(ctx, e.x, e.y - 16, 8 + t * 60, '#c58bff', 4, 1 - t);
    ctx.globalAlpha = 1 - t;
    burst(ctx, e.x, e.y - 16, 12, 10 + t * 30, 20 + t * 50, '#f0e0ff', 2, t * 2);
  },
  craft(ctx, e, t) {
    ctx.globalAlpha = 1 - t;
    burst(ctx, e.x, e.y - 18, 10, 6 + t * 18, 12 + t * 26, '#ffe27a', 2, t * 3);
    ring(ctx, e.x, e.y - 18, 10 + t * 20, '#fff', 2, 1 - t);
  },
  fireball(ctx, e, t) {
    const fly = 0.34;
    if (t < fly) {
      const k = t / fly;
      const x = e.fx0 + (e.x - e.fx0) * k;
      const y = e.fy0 + (e.y - 10 - e.fy0) * k - Math.sin(k * Math.PI) * 30;
      const g = ctx.createRadialGradient(x, y, 0, x, y, 10);
      g.addColorStop(0, '#fff4c2');
      g.addColorStop(0.4, '#ffae3a');
      g.addColorStop(1, 'rgba(255,80,30,0)');
      ctx.fillStyle = g;
      ctx.beginPath();
      ctx.arc(x, y, 10, 0, Math.PI * 2);
      ctx.fill();
      return;
    }
    const k = (t - fly) / (1 - fly);
    const r = Math.max(1, e.r * (0.35 + 0.65 * Math.min(1, k * 2.2)));
    const a = 1 - k;
    ctx.fillStyle = `rgba(255,140,50,${0.28 * a})`;
    ctx.beginPath();
    ctx.arc(e.x, e.y - 6, r, 0, Math.PI * 2);
    ctx.fill();
    ctx.fillStyle = `rgba(255,210,120,${0.45 * a})`;
    ctx.beginPath();
    ctx.arc(e.x, e.y - 6, r * 0.55, 0, Math.PI * 2);
    ctx.fill();
    ctx.fillStyle = `rgba(255,250,225,${0.7 * a})`;
    ctx.beginPath();
    ctx.arc(e.x, e.y - 6, r * 0.22, 0, Math.PI * 2);
    ctx.fill();
    ring(ctx, e.x, e.y - 6, r * 0.95, '#ffcf6a', 3 * a + 0.5, a);
  },
  hail(ctx, e, t) {
    const a = t < 0.15 ? t / 0.15 : 1 - (t - 0.15) / 0.85;
    ctx.fillStyle = `rgba(150,205,255,${0.22 * a})`;
    ctx.beginPath();
    ctx.ellipse(e.x, e.y, e.r, e.r * 0.6, 0, 0, Math.PI * 2);
    ctx.fill();
    ctx.globalAlpha = a;
    ctx.strokeStyle = 'rgba(170,225,255,0.9)';
    ctx.lineWidth = 2;
    ctx.setLineDash([8, 6]);
    ctx.beginPath();
    ctx.ellipse(e.x, e.y, e.r * 0.95, e.r * 0.57, 0, 0, Math.PI * 2);
    ctx.stroke();
    ctx.setLineDash([]);
    for (let i = 0; i < 16; i++) {
      const seed = (i * 97) % 31;
      const phase = (t * 2.4 + seed / 31) % 1;
      const sx = e.x + Math.cos(i * 2.4) * e.r * 0.8 * ((seed % 10) / 10);
      const sy = e.y + Math.sin(i * 2.4) * e.r * 0.48 * ((seed % 10) / 10) - 70 * (1 - phase);
      ctx.fillStyle = i % 3 ? '#e6f7ff' : '#9fd8ff';
      ctx.beginPath();
      ctx.moveTo(sx, sy - 6);
      ctx.lineTo(sx + 2.2, sy);
      ctx.lineTo(sx, sy + 3);
      ctx.lineTo(sx - 2.2, sy);
      ctx.closePath();
      ctx.fill();
    }
  },
  arrow(ctx, e, t) {
    const k = Math.min(1, t / 0.65);
    const x = e.fx0 + (e.tx - e.fx0) * k;
    const y = e.fy0 + (e.ty - e.fy0) * k;
    const a = Math.atan2(e.ty - e.fy0, e.tx - e.fx0);
    ctx.globalAlpha = t > 0.65 ? 1 - (t - 0.65) / 0.35 : 1;
    ctx.translate(x, y);
    ctx.rotate(a);
    ctx.strokeStyle = 'rgba(255,255,255,0.5)';
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    ctx.moveTo(-26, 0);
    ctx.lineTo(-10, 0);
    ctx.stroke();
    ctx.strokeStyle = '#8a5a2b';
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(-12, 0);
    ctx.lineTo(6, 0);
    ctx.stroke();
    ctx.fillStyle = '#dfe7f1';
    ctx.beginPath();
    ctx.moveTo(10, 0);
    ctx.lineTo(4, -3.5);
    ctx.lineTo(4, 3.5);
    ctx.fill();
    ctx.fillStyle = '#ef5350';
    ctx.fillRect(-14, -2.5, 4, 5);
  },
  cleave(ctx, e, t) {
    const dir = { left: Math.PI, right: 0, up: -Math.PI / 2, down: Math.PI / 2 }[e.facing] ?? Math.PI / 2;
    const span = Math.PI * 1.1;
    const a0 = dir - span / 2;
    const a1 = a0 + span * Math.min(1, t * 1.8);
    const r = Math.min(e.r, 70);
    ctx.globalAlpha = 1 - t;
    ctx.strokeStyle = '#f4f8ff';
    ctx.lineWidth = 7 * (1 - t) + 1;
    ctx.lineCap = 'round';
    ctx.beginPath();
    ctx.arc(e.x, e.y - 10, r * 0.7, a0, a1);
    ctx.stroke();
    ctx.strokeStyle = 'rgba(160,200,255,0.6)';
    ctx.lineWidth = 3;
    ctx.beginPath();
    ctx.arc(e.x, e.y - 10, r * 0.85, a0, a1);
    ctx.stroke();
  },
  flurry(ctx, e, t) {
    ctx.lineCap = 'round';
    for (let i = 0; i < 3; i++) {
      const tt = (t - i * 0.22) / 0.4;
      if (tt < 0 || tt > 1) continue;
      const a = i * 1.1 + 0.6;
      ctx.globalAlpha = 1 - tt;
      ctx.strokeStyle = i === 1 ? '#ffd0f0' : '#ffffff';
      ctx.lineWidth = 3 * (1 - tt) + 0.8;
      ctx.beginPath();
      ctx.moveTo(e.x - Math.cos(a) * 16, e.y - 12 - Math.sin(a) * 16);
      ctx.lineTo(e.x + Math.cos(a) * 16, e.y - 12 + Math.sin(a) * 16);
      ctx.stroke();
    }
  },
  crit(ctx, e, t) {
    ctx.globalAlpha = 1 - t;
    burst(ctx, e.x, e.y - 14, 10, 8 + t * 8, 16 + t * 18, '#ffcf3a', 2.6, 0.3);
  },
  hurt(ctx, e, t) {
    ring(ctx, e.x, e.y - 14, 10 + t * 12, '#ff5a5a', 3, 0.8 * (1 - t));
  },
  level(ctx, e, t) {
    const a = t < 0.15 ? t / 0.15 : 1 - (t - 0.15) / 0.85;
    const g = ctx.createLinearGradient(e.x, e.y - 90, e.x, e.y);
    g.addColorStop(0, 'rgba(255,240,150,0)');
    g.addColorStop(1, `rgba(255,226,110,${0.55 * a})`);
    ctx.fillStyle = g;
    ctx.fillRect(e.x - 16, e.y - 90, 32, 92);
    ctx.fillStyle = `rgba(255,250,210,${a})`;
    for (let i = 0; i < 10; i++) {
      const ph = (t * 1.6 + i / 10) % 1;
      ctx.fillRect(e.x - 14 + ((i * 7) % 28), e.y - ph * 80, 2.2, 2.2);
    }
    ring(ctx, e.x, e.y, 10 + t * 26, '#ffe066', 2.5, a);
  },
  rare(ctx, e, t) {
    const a = 1 - t;
    ctx.globalAlpha = a;
    ctx.fillStyle = e.color;
    for (let i = 0; i < 8; i++) {
      const ph = (t * 1.4 + i / 8) % 1;
      const x = e.x + Math.sin(i * 2.1 + t * 4) * 8;
      const y = e.y - ph * 46;
      ctx.beginPath();
      ctx.arc(x, y, 1.8, 0, Math.PI * 2);
      ctx.fill();
    }
    ring(ctx, e.x, e.y, 8 + t * 10, e.color, 2, a);
  },
  emote(ctx, e, t, model) {
    const who = e.by && model.entities.get(e.by);
    const x = who ? who.rx : e.x;
    const y = (who ? who.ry : e.y) - 66 - Math.min(1, t * 8) * 4;
    const a = t > 0.85 ? (1 - t) / 0.15 : Math.min(1, t * 8);
    ctx.globalAlpha = a;
    ctx.fillStyle = '#ffffff';
    ctx.strokeStyle = 'rgba(90,100,140,0.6)';
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.roundRect(x - 14, y - 11, 28, 20, 9);
    ctx.moveTo(x - 3, y + 9);
    ctx.lineTo(x, y + 14);
    ctx.lineTo(x + 3, y + 9);
    ctx.fill();
    ctx.stroke();
    emoteIcon(ctx, e.emote, x, y - 1, t);
  },
};
