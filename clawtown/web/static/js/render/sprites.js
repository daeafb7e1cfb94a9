// sprites.js — the cute characters and monsters: chibi bodies per job with hats and walk
// frames, avatar heads, slimes / beasts / elites with a baked idle wobble, soft shadows, and
// portraits for the DOM. Drawn once per look at the current scale and cached (see draw.js).

import { JOB_COLORS, HAIR, parseColor, rgb, mix } from './palette.js';
import { canvas, cached, ellipse, roundRect, star, softShadow } from './draw.js';

const SKIN = '#ffe3c8';
const SKIN_EDGE = '#eab48f';
const EYE = '#2b2035';

// ---- characters ---------------------------------------------------------------------------

const PW = 34;
const PH = 62;
const PAX = 17;
const PAY = 56;

/** A whole character in one picture: shadow, body and the job's hat (anchor: between the feet). */
export function figureSprite(job, hair, facing, frame, R) {
  return cached(`f|${job}|${hair}|${facing}|${frame}|${R}`, () => {
    const { c, ctx } = canvas(PW, PH, R);
    softShadow(ctx, PAX, PAY, 10);
    const body = playerSprite(job, hair, facing, frame, R);
    const hat = hatSprite(job, facing, R);
    ctx.drawImage(body.c, 0, 0, PW, PH);
    ctx.drawImage(hat.c, 0, 0, PW, PH);
    return { c, ax: PAX, ay: PAY, w: PW, h: PH };
  });
}

/** Body, head, hair and face of a character (anchor: between the feet). */
export function playerSprite(job, hair, facing, frame, R, bare = false) {
  return cached(`p|${job}|${hair}|${facing}|${frame}|${R}|${bare}`, () => {
    const { c, ctx } = canvas(PW, PH, R);
    ctx.translate(PAX, PAY);
    const jc = JOB_COLORS[job] || JOB_COLORS.novice;
    const side = facing === 'left' ? -1 : facing === 'right' ? 1 : 0;
    // legs
    ctx.fillStyle = '#4a3b46';
    const step = frame === 0 ? 0 : frame === 1 ? 1.6 : -1.6;
    if (side) {
      roundRect(ctx, -3 + step, -6, 4, 6, 1.6);
      roundRect(ctx, -1 - step, -6, 4, 6, 1.6);
    } else {
      roundRect(ctx, -5, -6 - Math.max(0, step), 4, 6, 1.6);
      roundRect(ctx, 1, -6 - Math.max(0, -step), 4, 6, 1.6);
    }
    // body
    const robe = job === 'mage' || job === 'bard';
    ctx.beginPath();
    ctx.moveTo(-6.5, -17);
    ctx.quadraticCurveTo(0, -19.5, 6.5, -17);
    ctx.lineTo(robe ? 8.5 : 7.2, robe ? -3 : -5);
    ctx.quadraticCurveTo(0, robe ? -1.5 : -3.6, robe ? -8.5 : -7.2, robe ? -3 : -5);
    ctx.closePath();
    ctx.fillStyle = jc.body;
    ctx.fill();
    ctx.lineWidth = 1;
    ctx.strokeStyle = jc.trim;
    ctx.stroke();
    ctx.fillStyle = jc.trim;
    ctx.fillRect(-6.6, -9.5, 13.2, 2);
    if (job === 'knight') {
      ctx.fillStyle = '#dfe7f1';
      roundRect(ctx, -4.5, -16.5, 9, 6.5, 2.5);
    } else if (job === 'archer') {
      ctx.strokeStyle = '#8a5a2b';
      ctx.lineWidth = 1.4;
      ctx.beginPath();
      ctx.moveTo(-6, -17);
      ctx.lineTo(5.5, -6);
      ctx.stroke();
    } else if (job === 'assassin') {
      ctx.fillStyle = '#c0394f';
      ctx.fillRect(-6.6, -9.5, 13.2, 2);
    } else if (job === 'novice') {
      ctx.fillStyle = '#f6e7c8';
      ctx.beginPath();
      ctx.moveTo(-3, -17.6);
      ctx.lineTo(0, -13.5);
      ctx.lineTo(3, -17.6);
      ctx.fill();
    }
    // arms
    const armY = -12 + (frame === 0 ? 0 : frame === 1 ? -0.8 : 0.8);
    if (side) {
      ellipse(ctx, -side * 1.5, armY, 2.6, 2.6, SKIN);
    } else {
      ellipse(ctx, -8, armY, 2.5, 2.5, SKIN);
      ellipse(ctx, 8, -12 - (armY + 12), 2.5, 2.5, SKIN);
    }
    // head
    const hx = side * 0.8;
    const hy = -27;
    ellipse(ctx, hx, hy, 10.6, 10, SKIN);
    ctx.lineWidth = 0.9;
    ctx.strokeStyle = SKIN_EDGE;
    ctx.stroke();
    if (bare) return { c, ax: PAX, ay: PAY, w: PW, h: PH };
    const hairColor = HAIR[hair % HAIR.length];
    if (facing === 'up') {
      ellipse(ctx, hx, hy - 0.6, 11, 10.4, hairColor);
      ellipse(ctx, hx - 3.5, hy - 5, 3.4, 1.8, 'rgba(255,255,255,0.25)', -0.4);
    } else {
      drawHairFront(ctx, hx, hy, hairColor, side);
      drawFace(ctx, hx + side * 2.6, hy, side);
    }
    return { c, ax: PAX, ay: PAY, w: PW, h: PH };
  });
}

function drawHairFront(ctx, hx, hy, color, side) {
  ctx.beginPath();
  ctx.moveTo(hx - 10.9, hy + 3);
  ctx.arc(hx, hy, 11, Math.PI * 0.94, Math.PI * 2.06);
  ctx.lineTo(hx + 10.9, hy + 3);
  const o = side * 2.5;
  ctx.lineTo(hx + 8 + o, hy - 2);
  ctx.lineTo(hx + 5 + o, hy + 0.4);
  ctx.lineTo(hx + 2 + o, hy - 3);
  ctx.lineTo(hx - 1.5 + o, hy + 0.2);
  ctx.lineTo(hx - 4.5 + o, hy - 3);
  ctx.lineTo(hx - 7.5 + o, hy - 0.5);
  ctx.closePath();
  ctx.fillStyle = color;
  ctx.fill();
  ellipse(ctx, hx - 4, hy - 7, 3.6, 1.6, 'rgba(255,255,255,0.3)', -0.35);
}

function drawFace(ctx, fx, hy, side) {
  const ey = hy + 3.2;
  const eyes = side ? [-2.2, 2.2] : [-3.9, 3.9];
  for (const dx of eyes) {
    ellipse(ctx, fx + dx, ey, 1.55, 2.3, EYE);
    ellipse(ctx, fx + dx + 0.5, ey - 0.9, 0.65, 0.65, '#ffffff');
  }
  const cheeks = side ? [side * 4.8] : [-6.3, 6.3];
  for (const dx of cheeks) ellipse(ctx, fx + dx, ey + 3, 2, 1.2, 'rgba(255,120,150,0.5)');
  ctx.beginPath();
  ctx.arc(fx + side * 1, ey + 4.4, 1.3, 0.15 * Math.PI, 0.85 * Math.PI);
  ctx.strokeStyle = '#a0524f';
  ctx.lineWidth = 0.8;
  ctx.stroke();
}

/** The job's headwear, drawn after the head (and after an avatar picture). */
export function hatSprite(job, facing, R) {
  return cached(`h|${job}|${facing}|${R}`, () => {
    const { c, ctx } = canvas(PW, PH, R);
    ctx.translate(PAX, PAY);
    const side = facing === 'left' ? -1 : facing === 'right' ? 1 : 0;
    const hx = side * 0.8;
    const hy = -27;
    if (job === 'mage') {
      ellipse(ctx, hx, hy - 8, 14, 3.8, '#4b3596');
      ctx.beginPath();
      ctx.moveTo(hx - 8.5, hy - 9);
      ctx.quadraticCurveTo(hx - 2, hy - 22, hx + 6 - side * 2, hy - 27);
      ctx.quadraticCurveTo(hx + 2, hy - 18, hx + 8.5, hy - 9);
      ctx.closePath();
      ctx.fillStyle = '#6b4fd0';
      ctx.fill();
      ctx.fillStyle = '#ffd35a';
      ctx.fillRect(hx - 8, hy - 11.5, 16, 2.4);
      star(ctx, hx + 1, hy - 16, 2.2, '#ffe98a');
    } else if (job === 'knight') {
      ctx.beginPath();
      ctx.arc(hx, hy - 0.5, 11.8, Math.PI * 1.02, Math.PI * 1.98);
      ctx.closePath();
      ctx.fillStyle = '#d5dde8';
      ctx.fill();
      ctx.strokeStyle = '#8795a8';
      ctx.lineWidth = 1;
      ctx.stroke();
      ctx.fillStyle = '#aab6c6';
      ctx.fillRect(hx - 11.5, hy - 2.4, 23, 2.4);
      ellipse(ctx, hx - side * 2, hy - 13, 3, 5.5, '#e2485d', side * 0.5);
    } else if (job === 'archer') {
      ellipse(ctx, hx, hy - 6.5, 11.5, 5.5, '#3f8f48');
      ellipse(ctx, hx, hy - 3.6, 12.5, 2.4, '#2f6f37');
      ctx.save();
      ctx.translate(hx + 8, hy - 9);
      ctx.rotate(-0.7 - side * 0.3);
      ellipse(ctx, 0, -5, 2, 6.5, '#ef5350');
      ctx.restore();
    } else if (job === 'assassin') {
      ctx.beginPath();
      ctx.arc(hx, hy, 11.6, Math.PI * 0.95, Math.PI * 2.05);
      ctx.lineTo(hx + 11, hy + 1);
      ctx.quadraticCurveTo(hx, hy - 4, hx - 11, hy + 1);
      ctx.closePath();
      ctx.fillStyle = '#3b2f55';
      ctx.fill();
      if (facing !== 'up') {
        ctx.fillStyle = '#51416f';
        roundRect(ctx, hx - 9 + side * 2, hy + 5.6, 18, 4.2, 2);
      }
    } else if (job === 'bard') {
      ellipse(ctx, hx + 2, hy - 8.5, 11, 4.6, '#d6405f', -0.15);
      ellipse(ctx, hx + 2, hy - 11.6, 1.6, 1.6, '#a32a45');
      ctx.save();
      ctx.translate(hx - 6, hy - 11);
      ctx.rotate(-0.9);
      ellipse(ctx, 0, -4, 1.6, 5.5, '#ffd35a');
      ctx.restore();
    } else {
      ctx.strokeStyle = '#3f8f3a';
      ctx.lineWidth = 1.2;
      ctx.beginPath();
      ctx.moveTo(hx, hy - 10);
      ctx.quadraticCurveTo(hx + 1, hy - 14, hx - 0.5, hy - 16);
      ctx.stroke();
      ellipse(ctx, hx + 2.6, hy - 16, 3, 1.6, '#68c152', -0.4);
      ellipse(ctx, hx - 2.6, hy - 16.5, 2.6, 1.4, '#7fd366', 0.5);
    }
    return { c, ax: PAX, ay: PAY, w: PW, h: PH };
  });
}

/** A round crop of an avatar picture, sized for the character's head. */
export function avatarHead(img, key, R) {
  return cached(`a|${key}|${R}`, () => {
    const d = 22;
    const { c, ctx } = canvas(d, d, R);
    ctx.beginPath();
    ctx.arc(d / 2, d / 2, d / 2 - 0.6, 0, Math.PI * 2);
    ctx.save();
    ctx.clip();
    ctx.drawImage(img, 0, 0, d, d);
    ctx.restore();
    ctx.lineWidth = 1.2;
    ctx.strokeStyle = '#ffffff';
    ctx.stroke();
    return { c, ax: d / 2, ay: d / 2, w: d, h: d };
  });
}

// ---- monsters ---------------------------------------------------------------------------

export function monsterRadius(kind) {
  return kind === 'elite' ? 19 : kind === 'beast' ? 13 : 12;
}

export const WOBBLE_PHASES = 8;

/** A slime (or a beast with ears, or an elite with a crown), anchored at its bottom centre;
 *  `phase` (0…WOBBLE_PHASES-1) bakes in the squash-and-stretch of its idle wobble. */
export function monsterSprite(kind, color, R, phase = 0, moving = false) {
  return cached(`m|${kind}|${color}|${R}|${phase}|${moving}`, () => {
    const r = monsterRadius(kind);
    const base = parseColor(color) || [255, 176, 204, 1];
    const top = kind === 'elite' ? r * 1.05 : kind === 'beast' ? r * 0.75 : 0;
    const w = r * 2.2 + 8;
    const h = r * 1.9 + 10 + top;
    const { c, ctx } = canvas(w, h, R);
    const ax = w / 2;
    const ay = h - 5;
    const angle = (phase / WOBBLE_PHASES) * Math.PI * 2;
    const wob = Math.sin(angle) * 0.06;
    softShadow(ctx, ax, ay, r * 0.95);
    ctx.translate(ax, ay - (moving ? Math.abs(Math.sin(angle)) * 3 : 0));
    ctx.scale(1 + wob, 1 - wob);
    const cy = -r * 0.82;
    if (kind === 'beast') {
      for (const sx of [-1, 1]) {
        ctx.beginPath();
        ctx.ellipse(sx * r * 0.52, cy - r * 0.78, r * 0.26, r * 0.5, sx * 0.35, 0, Math.PI * 2);
        ctx.fillStyle = rgb(base, 0.92);
        ctx.fill();
        ctx.strokeStyle = rgb(base, 0.55);
        ctx.lineWidth = 1;
        ctx.stroke();
        ellipse(ctx, sx * r * 0.52, cy - r * 0.74, r * 0.12, r * 0.3, 'rgba(255,170,190,0.85)', sx * 0.35);
      }
    }
    const grad = ctx.createRadialGradient(-r * 0.35, cy - r * 0.45, r * 0.1, 0, cy, r * 1.15);
    grad.addColorStop(0, rgb(mix(base, [255, 255, 255], 0.55)));
    grad.addColorStop(0.55, rgb(base));
    grad.addColorStop(1, rgb(base, 0.78));
    ctx.beginPath();
    ctx.moveTo(-r, cy + r * 0.2);
    ctx.bezierCurveTo(-r, cy - r * 0.95, -r * 0.2, cy - r * 1.02, 0, cy - r * 0.98);
    ctx.bezierCurveTo(r * 0.2, cy - r * 1.02, r, cy - r * 0.95, r, cy + r * 0.2);
    ctx.bezierCurveTo(r, cy + r * 0.78, r * 0.55, cy + r * 0.82, 0, cy + r * 0.82);
    ctx.bezierCurveTo(-r * 0.55, cy + r * 0.82, -r, cy + r * 0.78, -r, cy + r * 0.2);
    ctx.closePath();
    ctx.fillStyle = grad;
    ctx.fill();
    ctx.lineWidth = 1.3;
    ctx.strokeStyle = rgb(base, 0.55);
    ctx.stroke();
    ellipse(ctx, -r * 0.42, cy - r * 0.5, r * 0.26, r * 0.16, 'rgba(255,255,255,0.85)', -0.6);
    ellipse(ctx, -r * 0.16, cy - r * 0.7, r * 0.07, r * 0.07, 'rgba(255,255,255,0.8)');
    for (const sx of [-1, 1]) {
      ellipse(ctx, sx * r * 0.3, cy + r * 0.02, r * 0.1, r * 0.16, '#3a2a33');
      ellipse(ctx, sx * r * 0.3 + r * 0.04, cy - r * 0.06, r * 0.04, r * 0.05, '#ffffff');
      ellipse(ctx, sx * r * 0.58, cy + r * 0.26, r * 0.15, r * 0.08, 'rgba(255,110,140,0.55)');
    }
    ctx.beginPath();
    ctx.arc(0, cy + r * 0.22, r * 0.12, 0.15 * Math.PI, 0.85 * Math.PI);
    ctx.strokeStyle = '#5a2f3a';
    ctx.lineWidth = 1;
    ctx.stroke();
    if (kind === 'beast') ellipse(ctx, 0, cy + r * 0.12, r * 0.09, r * 0.06, '#5a2f3a');
    if (kind === 'elite') crown(ctx, 0, cy - r * 0.88, r * 0.62);
    return { c, ax, ay, w, h, r };
  });
}

function crown(ctx, x, y, s) {
  ctx.beginPath();
  ctx.moveTo(x - s, y);
  ctx.lineTo(x - s, y - s * 0.7);
  ctx.lineTo(x - s * 0.5, y - s * 0.35);
  ctx.lineTo(x, y - s);
  ctx.lineTo(x + s * 0.5, y - s * 0.35);
  ctx.lineTo(x + s, y - s * 0.7);
  ctx.lineTo(x + s, y);
  ctx.closePath();
  ctx.fillStyle = '#ffd23f';
  ctx.fill();
  ctx.strokeStyle = '#b07d10';
  ctx.lineWidth = 1;
  ctx.stroke();
  ellipse(ctx, x, y - s * 0.35, s * 0.16, s * 0.16, '#e8344f');
}

/** A soft oval shadow, width 2·rx. */
export function shadowSprite(rx, R) {
  return cached(`s|${rx}|${R}`, () => {
    const w = rx * 2 + 4;
    const h = rx * 0.7 + 4;
    const { c, ctx } = canvas(w, h, R);
    const g = ctx.createRadialGradient(w / 2, h / 2, 0, w / 2, h / 2, rx);
    g.addColorStop(0, 'rgba(30,40,20,0.32)');
    g.addColorStop(1, 'rgba(30,40,20,0)');
    ctx.fillStyle = g;
    ctx.save();
    ctx.translate(w / 2, h / 2);
    ctx.scale(1, 0.35);
    ctx.beginPath();
    ctx.arc(0, 0, rx, 0, Math.PI * 2);
    ctx.restore();
    ctx.fill();
    return { c, ax: w / 2, ay: h / 2, w, h };
  });
}

const portraits = new Map();

/** A data URL of a character portrait for the DOM (job picker, HUD without an avatar). */
export function portraitUrl(job, hair = 0, px = 64) {
  const key = `${job}|${hair}|${px}`;
  if (!portraits.has(key)) {
    const s = playerSprite(job, hair, 'down', 0, 3);
    const h = hatSprite(job, 'down', 3);
    const out = document.createElement('canvas');
    out.width = out.height = px;
    const ctx = out.getContext('2d');
    const scale = px / 46;
    ctx.scale(scale, scale);
    ctx.drawImage(s.c, 1, -8, s.w, s.h);
    ctx.drawImage(h.c, 1, -8, h.w, h.h);
    portraits.set(key, out.toDataURL());
  }
  return portraits.get(key);
}
