// labels.js — text drawn once into small canvases and reused: name tags, intent lines,
// thought bubbles, damage numbers and portal signs. Sizes are CSS pixels (R = device pixel
// ratio); the renderer divides by the zoom so text stays the same size on screen.

const cache = new Map();
const FONT = 'system-ui, -apple-system, "Segoe UI", "Noto Sans TC", "PingFang TC", "Microsoft JhengHei", sans-serif';

function get(key, build) {
  let v = cache.get(key);
  if (!v) {
    if (cache.size > 900) cache.clear();
    v = build();
    cache.set(key, v);
  }
  return v;
}

function make(w, h, R) {
  const c = document.createElement('canvas');
  c.width = Math.max(1, Math.ceil(w * R));
  c.height = Math.max(1, Math.ceil(h * R));
  const ctx = c.getContext('2d');
  ctx.scale(R, R);
  return { c, ctx };
}

const measurer = document.createElement('canvas').getContext('2d');

function measure(text, font) {
  measurer.font = font;
  return measurer.measureText(text).width;
}

/** Outlined text (a name tag); `badge` adds a small coloured pill before it. */
export function nameTag(text, color, R, badge = null) {
  return get(`n|${text}|${color}|${R}|${badge ? badge.text + badge.color : ''}`, () => {
    const font = `700 11.5px ${FONT}`;
    const bfont = `800 8px ${FONT}`;
    const tw = measure(text, font);
    const bw = badge ? measure(badge.text, bfont) + 6 : 0;
    const w = Math.ceil(tw + bw + (badge ? 3 : 0) + 6);
    const h = 16;
    const { c, ctx } = make(w, h, R);
    let x = 3;
    if (badge) {
      ctx.fillStyle = badge.color;
      ctx.beginPath();
      ctx.roundRect(x, 3, bw, 10, 5);
      ctx.fill();
      ctx.font = bfont;
      ctx.fillStyle = '#fff';
      ctx.textBaseline = 'middle';
      ctx.fillText(badge.text, x + 3, 8.3);
      x += bw + 3;
    }
    ctx.font = font;
    ctx.textBaseline = 'middle';
    ctx.lineJoin = 'round';
    ctx.lineWidth = 3;
    ctx.strokeStyle = 'rgba(24,30,40,0.85)';
    ctx.strokeText(text, x, 8.5);
    ctx.fillStyle = color;
    ctx.fillText(text, x, 8.5);
    return { c, w, h };
  });
}

/** A dark translucent pill with italic text (intent line over a head). */
export function pill(text, R, bg = 'rgba(30,36,52,0.78)', fg = '#fff7e0') {
  return get(`p|${text}|${R}|${bg}`, () => {
    const font = `italic 600 11px ${FONT}`;
    const shown = clip(text, font, 200);
    const w = Math.ceil(measure(shown, font) + 14);
    const h = 17;
    const { c, ctx } = make(w, h, R);
    ctx.fillStyle = bg;
    ctx.beginPath();
    ctx.roundRect(0.5, 0.5, w - 1, h - 1, 8);
    ctx.fill();
    ctx.font = font;
    ctx.fillStyle = fg;
    ctx.textBaseline = 'middle';
    ctx.fillText(shown, 7, h / 2 + 0.5);
    return { c, w, h };
  });
}

/** A white thought cloud with up to three wrapped lines; anchored at its bottom centre. */
export function thoughtBubble(text, R) {
  return get(`t|${text}|${R}`, () => {
    const font = `600 11px ${FONT}`;
    const lines = wrap(text, font, 170, 3);
    const tw = Math.max(...lines.map((l) => measure(l, font)));
    const w = Math.ceil(tw + 20);
    const bodyH = lines.length * 14 + 10;
    const h = Math.ceil(bodyH + 12);
    const { c, ctx } = make(w, h, R);
    ctx.fillStyle = 'rgba(255,255,255,0.96)';
    ctx.strokeStyle = 'rgba(120,130,170,0.55)';
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.roundRect(0.5, 0.5, w - 1, bodyH, 10);
    ctx.fill();
    ctx.stroke();
    for (const [x, y, r] of [[w / 2 - 4, bodyH + 4, 3.2], [w / 2 - 8, bodyH + 9.5, 2]]) {
      ctx.beginPath();
      ctx.arc(x, y, r, 0, Math.PI * 2);
      ctx.fill();
      ctx.stroke();
    }
    ctx.font = font;
    ctx.fillStyle = '#3b3f5c';
    ctx.textBaseline = 'top';
    lines.forEach((l, i) => ctx.fillText(l, 10, 6 + i * 14));
    return { c, w, h };
  });
}

/** A floating combat number. */
export function damageText(text, kind, R) {
  return get(`d|${text}|${kind}|${R}`, () => {
    const big = kind === 'crit' || kind === 'level';
    const size = big ? 20 : kind === 'info' ? 12 : 16;
    const font = `900 ${size}px ${FONT}`;
    const w = Math.ceil(measure(text, font) + 8);
    const h = size + 8;
    const { c, ctx } = make(w, h, R);
    const fill = { hit: '#ffffff', crit: '#ffcf3a', hurt: '#ff6b6b', heal: '#7dff9a', info: '#e8f1ff', level: '#ffe066', xp: '#b8f3ff' }[kind] || '#fff';
    ctx.font = font;
    ctx.textBaseline = 'middle';
    ctx.lineJoin = 'round';
    ctx.lineWidth = big ? 4 : 3;
    ctx.strokeStyle = kind === 'hurt' ? 'rgba(90,10,20,0.9)' : 'rgba(30,25,50,0.9)';
    ctx.strokeText(text, 4, h / 2);
    ctx.fillStyle = fill;
    ctx.fillText(text, 4, h / 2);
    return { c, w, h };
  });
}

/** A sign for a portal ("→ Poring Meadow"). */
export function sign(text, R) {
  return get(`s|${text}|${R}`, () => {
    const font = `800 11.5px ${FONT}`;
    const w = Math.ceil(measure(text, font) + 16);
    const h = 19;
    const { c, ctx } = make(w, h, R);
    ctx.fillStyle = 'rgba(70,40,150,0.85)';
    ctx.beginPath();
    ctx.roundRect(0.5, 0.5, w - 1, h - 1, 9);
    ctx.fill();
    ctx.strokeStyle = 'rgba(210,195,255,0.9)';
    ctx.stroke();
    ctx.font = font;
    ctx.fillStyle = '#fff';
    ctx.textBaseline = 'middle';
    ctx.fillText(text, 8, h / 2 + 0.5);
    return { c, w, h };
  });
}

function clip(text, font, max) {
  if (measure(text, font) <= max) return text;
  let t = text;
  while (t.length > 1 && measure(`${t}…`, font) > max) t = t.slice(0, -1);
  return `${t}…`;
}

function wrap(text, font, max, maxLines) {
  const words = String(text).split(/(\s+)/);
  const lines = [];
  let line = '';
  for (const word of words) {
    const next = line + word;
    if (measure(next, font) <= max || !line.trim()) {
      line = next;
      while (measure(line, font) > max) {
        let cut = line.length - 1;
        while (cut > 1 && measure(line.slice(0, cut), font) > max) cut--;
        lines.push(line.slice(0, cut));
        line = line.slice(cut);
      }
    } else {
      lines.push(line.trim());
      line = word.trimStart();
    }
  }
  if (line.trim()) lines.push(line.trim());
  if (lines.length > maxLines) {
    const kept = lines.slice(0, maxLines);
    kept[maxLines - 1] = clip(`${kept[maxLines - 1]}…`, font, max);
    return kept;
  }
  return lines.length ? lines : [''];
}
