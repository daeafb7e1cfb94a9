// draw.js — shared helpers for the offscreen pictures: a canvas at R× scale, one cache of
// drawn pictures (cleared when the zoom changes), and small shapes (ellipse, star, shadow).

const cache = new Map();

export function canvas(w, h, R) {
  const c = document.createElement('canvas');
  c.width = Math.max(1, Math.ceil(w * R));
  c.height = Math.max(1, Math.ceil(h * R));
  const ctx = c.getContext('2d');
  ctx.scale(R, R);
  return { c, ctx };
}

/** Forget every cached picture (the zoom changed, so they are redrawn at the new scale). */
export function resetSprites() {
  cache.clear();
}

export function cached(key, build) {
  let s = cache.get(key);
  if (!s) {
    if (cache.size > 1500) cache.clear();
    s = build();
    cache.set(key, s);
  }
  return s;
}

export function ellipse(ctx, x, y, rx, ry, fill, rot = 0) {
  ctx.beginPath();
  ctx.ellipse(x, y, rx, ry, rot, 0, Math.PI * 2);
  ctx.fillStyle = fill;
  ctx.fill();
}

export function star(ctx, x, y, r, fill) {
  ctx.beginPath();
  for (let i = 0; i < 10; i++) {
    const a = -Math.PI / 2 + (i * Math.PI) / 5;
    const rr = i % 2 ? r * 0.45 : r;
    ctx.lineTo(x + Math.cos(a) * rr, y + Math.sin(a) * rr);
  }
  ctx.closePath();
  ctx.fillStyle = fill;
  ctx.fill();
}

export function roundRect(ctx, x, y, w, h, r) {
  ctx.beginPath();
  ctx.roundRect(x, y, w, h, r);
  ctx.fill();
}

export function softShadow(ctx, x, y, rx) {
  const g = ctx.createRadialGradient(x, y, 0, x, y, rx);
  g.addColorStop(0, 'rgba(30,40,20,0.32)');
  g.addColorStop(1, 'rgba(30,40,20,0)');
  ctx.save();
  ctx.translate(x, y);
  ctx.scale(1, 0.35);
  ctx.translate(-x, -y);
  ctx.fillStyle = g;
  ctx.beginPath();
  ctx.arc(x, y, rx, 0, Math.PI * 2);
  ctx.fill();
  ctx.restore();
}
