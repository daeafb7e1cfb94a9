// palette.js — colours and small deterministic helpers shared by the canvas modules.

export const TILE = 32;

export const C = {
  grass: '#84cc6a',
  grassChecker: '#7bc262',
  grassTuft: '#5fa650',
  grassLight: '#9bd97d',
  pathRim: '#c49a62',
  path: '#e8c98f',
  pathPebble: '#d4b078',
  plazaRim: '#b8a78a',
  plazaGrout: '#d9ccb2',
  plaza: ['#f3ead8', '#ede1ca', '#f7f0e2', '#e9dcc2'],
  shore: '#f1e4b8',
  water: '#5fb0ea',
  waterDeep: '#4699dd',
  waterFoam: 'rgba(255,255,255,0.55)',
  portalRim: '#8f77d6',
  portal: '#c9bdf0',
  forest: '#2f6b3d',
  forestLight: '#3d8048',
  forestTop: '#4f9a55',
  flowers: ['#ffffff', '#ffc4da', '#fff2a6', '#d9c9ff', '#ffffff'],
  flowerEye: '#ffb347',
  you: '#ff9a1f',
  hpGood: '#4ade80',
  hpMid: '#facc15',
  hpLow: '#f87171',
};

export const JOB_COLORS = {
  novice: { body: '#d9a66b', trim: '#a8743f' },
  mage: { body: '#8b6fe0', trim: '#5b41b3' },
  archer: { body: '#5fae5a', trim: '#3b7d3a' },
  knight: { body: '#6f93c9', trim: '#44679e' },
  assassin: { body: '#5a4a78', trim: '#372b4f' },
  bard: { body: '#e0708c', trim: '#b04a66' },
};

export const HAIR = ['#5b3a29', '#f2c14e', '#e0603f', '#2d2a3a', '#c9a0ff', '#7ed0ff', '#ff9ec8', '#a86b3c'];

/** A small string hash (FNV-1a), stable across sessions. */
export function hashStr(s) {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** A deterministic hash of integers (tile decorations). */
export function hashInts(a, b, c = 0) {
  let h = (Math.imul(a, 374761393) + Math.imul(b, 668265263) + Math.imul(c, 2246822519)) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 1274126177) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

const colorCache = new Map();

/** "rgba(r, g, b, a)" / "#rrggbb" → [r, g, b, a(0..1)], or null. */
export function parseColor(text) {
  if (!text || typeof text !== 'string') return null;
  if (colorCache.has(text)) return colorCache.get(text);
  let out = null;
  const m = text.match(/^\s*rgba?\(([^)]*)\)\s*$/i);
  if (m) {
    const p = m[1].split(',').map((v) => parseFloat(v));
    if (p.length >= 3 && p.every((v) => Number.isFinite(v))) out = [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  } else if (/^#[0-9a-f]{6}$/i.test(text)) {
    out = [parseInt(text.slice(1, 3), 16), parseInt(text.slice(3, 5), 16), parseInt(text.slice(5, 7), 16), 1];
  }
  colorCache.set(text, out);
  return out;
}

export function rgb(c, k = 1, a = 1) {
  const f = (v) => Math.max(0, Math.min(255, Math.round(v * k)));
  return `rgba(${f(c[0])},${f(c[1])},${f(c[2])},${a})`;
}

export function mix(c, d, t) {
  return [c[0] + (d[0] - c[0]) * t, c[1] + (d[1] - c[1]) * t, c[2] + (d[2] - c[2]) * t, 1];
}

export function hpColor(frac) {
  if (frac > 0.5) return C.hpGood;
  if (frac > 0.25) return C.hpMid;
  return C.hpLow;
}

export const RARITY = {
  common: '#cbd5e1',
  uncommon: '#6ee7a0',
  rare: '#6cb4ff',
  epic: '#c58bff',
};
