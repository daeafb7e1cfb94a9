// shapes.js — smooth outlines of tile regions (paths, plaza, water, portals): the tiles'
// membership, sampled SUB times per tile, is box-blurred and cut at one half by marching
// squares; returns a fill Path2D and an edge Path2D (the outline, for rims and shores).

import { TILE } from './palette.js';

const SUB = 4;

/** Fill and edge paths of the tiles where `test` holds: the membership, sampled SUB times
 *  per tile, is box-blurred (`radius` tiles, `passes` times) and cut at one half. */
export function tileShape(test, tx0, ty0, tx1, ty1, radius = 0.5, passes = 2) {
  const pad = Math.ceil(radius * passes) + 2;
  const X0 = tx0 - pad;
  const Y0 = ty0 - pad;
  const TW = tx1 - tx0 + 1 + 2 * pad;
  const TH = ty1 - ty0 + 1 + 2 * pad;
  const W = TW * SUB;
  const H = TH * SUB;
  let m = new Float32Array(W * H);
  let any = false;
  for (let j = 0; j < TH; j++) {
    for (let i = 0; i < TW; i++) {
      if (!test(X0 + i, Y0 + j)) continue;
      any = true;
      for (let b = 0; b < SUB; b++) m.fill(1, (j * SUB + b) * W + i * SUB, (j * SUB + b) * W + i * SUB + SUB);
    }
  }
  if (!any) return null;
  const r = Math.max(1, Math.round(radius * SUB));
  for (let p = 0; p < passes; p++) m = boxBlur(m, W, H, r);
  const fill = new Path2D();
  const edge = new Path2D();
  const step = TILE / SUB;
  const a0 = (pad - 1) * SUB;
  const a1 = Math.min(W - 1, (TW - pad + 1) * SUB);
  const b0 = (pad - 1) * SUB;
  const b1 = Math.min(H - 1, (TH - pad + 1) * SUB);
  for (let b = b0; b < b1; b++) {
    for (let a = a0; a < a1; a++) {
      const v0 = m[b * W + a];
      const v1 = m[b * W + a + 1];
      const v2 = m[(b + 1) * W + a + 1];
      const v3 = m[(b + 1) * W + a];
      const idx = (v0 >= 0.5 ? 1 : 0) | (v1 >= 0.5 ? 2 : 0) | (v2 >= 0.5 ? 4 : 0) | (v3 >= 0.5 ? 8 : 0);
      if (!idx) continue;
      cell(fill, edge, idx, X0 * TILE + (a + 0.5) * step, Y0 * TILE + (b + 0.5) * step, step, v0, v1, v2, v3);
    }
  }
  return { fill, edge };
}

/** A box blur of radius r (clamped at the borders), horizontal then vertical. */
function boxBlur(m, W, H, r) {
  const tmp = new Float32Array(W * H);
  const out = new Float32Array(W * H);
  const n = 2 * r + 1;
  for (let y = 0; y < H; y++) {
    const row = y * W;
    let sum = 0;
    for (let k = -r; k <= r; k++) sum += m[row + Math.min(W - 1, Math.max(0, k))];
    for (let x = 0; x < W; x++) {
      tmp[row + x] = sum / n;
      sum += m[row + Math.min(W - 1, x + r + 1)] - m[row + Math.max(0, x - r)];
    }
  }
  for (let x = 0; x < W; x++) {
    let sum = 0;
    for (let k = -r; k <= r; k++) sum += tmp[Math.min(H - 1, Math.max(0, k)) * W + x];
    for (let y = 0; y < H; y++) {
      out[y * W + x] = sum / n;
      sum += tmp[Math.min(H - 1, y + r + 1) * W + x] - tmp[Math.max(0, y - r) * W + x];
    }
  }
  return out;
}

/** One marching-squares cell: its filled polygon and its outline piece(s). */
function cell(fill, edge, idx, x, y, s, v0, v1, v2, v3) {
  const lerp = (a, b) => (0.5 - a) / (b - a);
  const T = [x + s * lerp(v0, v1), y];
  const R = [x + s, y + s * lerp(v1, v2)];
  const B = [x + s * lerp(v3, v2), y + s];
  const L = [x, y + s * lerp(v0, v3)];
  const TL = [x, y];
  const TR = [x + s, y];
  const BR = [x + s, y + s];
  const BL = [x, y + s];
  const poly = (...pts) => {
    fill.moveTo(pts[0][0], pts[0][1]);
    for (let k = 1; k < pts.length; k++) fill.lineTo(pts[k][0], pts[k][1]);
    fill.closePath();
  };
  const line = (p, q) => {
    edge.moveTo(p[0], p[1]);
    edge.lineTo(q[0], q[1]);
  };
  switch (idx) {
    case 15: poly(TL, TR, BR, BL); break;
    case 1: poly(TL, T, L); line(T, L); break;
    case 2: poly(TR, R, T); line(R, T); break;
    case 4: poly(BR, B, R); line(B, R); break;
    case 8: poly(BL, L, B); line(L, B); break;
    case 3: poly(TL, TR, R, L); line(L, R); break;
    case 6: poly(T, TR, BR, B); line(T, B); break;
    case 12: poly(L, R, BR, BL); line(L, R); break;
    case 9: poly(TL, T, B, BL); line(T, B); break;
    case 14: poly(T, TR, BR, BL, L); line(L, T); break;
    case 13: poly(TL, T, R, BR, BL); line(T, R); break;
    case 11: poly(TL, TR, R, B, BL); line(R, B); break;
    case 7: poly(TL, TR, BR, B, L); line(B, L); break;
    case 5:
      if ((v0 + v1 + v2 + v3) / 4 >= 0.5) { poly(TL, T, R, BR, B, L); line(T, R); line(B, L); }
      else { poly(TL, T, L); poly(BR, B, R); line(T, L); line(B, R); }
      break;
    case 10:
      if ((v0 + v1 + v2 + v3) / 4 >= 0.5) { poly(TR, R, B, BL, L, T); line(T, L); line(R, B); }
      else { poly(TR, R, T); poly(BL, L, B); line(R, T); line(L, B); }
      break;
    default:
  }
}
