// itemart.js — item pictures: icons for coins, jelly, leaves, fluff, weapons, armor and
// accessories (used on the ground and in the bag) and bobbing ground drops with a shadow.

import { canvas, cached, ellipse, star, softShadow } from './draw.js';

/** An item icon in a size×size box (world units), anchored at its centre. */
export function itemSprite(kind, size, R) {
  return cached(`i|${kind}|${size}|${R}`, () => {
    const { c, ctx } = canvas(size, size, R);
    ctx.translate(size / 2, size / 2);
    ctx.scale(size / 20, size / 20);
    drawItem(ctx, kind);
    return { c, ax: size / 2, ay: size / 2, w: size, h: size };
  });
}

function drawItem(ctx, kind) {
  ctx.lineJoin = 'round';
  ctx.lineCap = 'round';
  switch (kind) {
    case 'coin': {
      ellipse(ctx, 0, 0, 7.5, 7.5, '#c98a12');
      ellipse(ctx, 0, -0.6, 7, 6.8, '#ffd447');
      ctx.strokeStyle = '#e0a521';
      ctx.lineWidth = 1.2;
      ctx.beginPath();
      ctx.arc(0, -0.6, 4.5, 0, Math.PI * 2);
      ctx.stroke();
      ellipse(ctx, -2.5, -3.4, 1.6, 1, 'rgba(255,255,255,0.9)', -0.5);
      break;
    }
    case 'jelly': {
      ctx.beginPath();
      ctx.moveTo(0, -8);
      ctx.bezierCurveTo(4, -3, 7, 0, 7, 3);
      ctx.bezierCurveTo(7, 7, 3, 8.5, 0, 8.5);
      ctx.bezierCurveTo(-3, 8.5, -7, 7, -7, 3);
      ctx.bezierCurveTo(-7, 0, -4, -3, 0, -8);
      ctx.fillStyle = '#ff8fb8';
      ctx.fill();
      ctx.strokeStyle = '#d1547f';
      ctx.lineWidth = 1.1;
      ctx.stroke();
      ellipse(ctx, -2.6, 2, 1.6, 2.4, 'rgba(255,255,255,0.75)', 0.3);
      break;
    }
    case 'leaf': {
      ctx.beginPath();
      ctx.moveTo(-7, 7);
      ctx.quadraticCurveTo(-7, -6, 7, -7);
      ctx.quadraticCurveTo(6, 6, -7, 7);
      ctx.fillStyle = '#5cc05a';
      ctx.fill();
      ctx.strokeStyle = '#2f7d36';
      ctx.lineWidth = 1;
      ctx.stroke();
      ctx.beginPath();
      ctx.moveTo(-6, 6);
      ctx.lineTo(4, -4);
      ctx.stroke();
      break;
    }
    case 'fluff': {
      for (const [x, y, r] of [[-3.5, 1, 4.2], [3.2, 1.5, 4], [0, -2.5, 4.6], [0, 3, 4]]) ellipse(ctx, x, y, r, r, '#f3f1ff');
      ctx.strokeStyle = '#b9b3d9';
      ctx.lineWidth = 0.8;
      ctx.beginPath();
      ctx.arc(0, 0.5, 7.2, 0, Math.PI * 2);
      ctx.stroke();
      break;
    }
    case 'dagger':
    case 'sword':
    case 'moon': {
      const blade = kind === 'moon' ? '#b9c7ff' : '#e6edf5';
      const len = kind === 'dagger' ? 9 : 12;
      ctx.save();
      ctx.rotate(-Math.PI / 4);
      ctx.beginPath();
      ctx.moveTo(-1.8, 3);
      ctx.lineTo(-1.8, 3 - len);
      ctx.lineTo(0, 1 - len - 2.5);
      ctx.lineTo(1.8, 3 - len);
      ctx.lineTo(1.8, 3);
      ctx.closePath();
      ctx.fillStyle = blade;
      ctx.fill();
      ctx.strokeStyle = kind === 'moon' ? '#6b6fd8' : '#8a97a8';
      ctx.lineWidth = 0.9;
      ctx.stroke();
      ctx.fillStyle = '#e2b23a';
      ctx.fillRect(-4.5, 3, 9, 2);
      ctx.fillStyle = '#8a5a2b';
      ctx.fillRect(-1.2, 5, 2.4, 5);
      ctx.restore();
      if (kind === 'moon') star(ctx, 5, -5, 2.4, '#fff3a8');
      break;
    }
    case 'bow': {
      ctx.strokeStyle = '#9b6a34';
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(-4, 0, 9, -Math.PI * 0.42, Math.PI * 0.42);
      ctx.stroke();
      ctx.strokeStyle = '#f5f5f5';
      ctx.lineWidth = 0.8;
      ctx.beginPath();
      ctx.moveTo(-1, -8);
      ctx.lineTo(-1, 8);
      ctx.stroke();
      ctx.fillStyle = '#ff8a80';
      ctx.beginPath();
      ctx.moveTo(4, 0);
      ctx.lineTo(8, -2.5);
      ctx.lineTo(8, 2.5);
      ctx.fill();
      break;
    }
    case 'rod': {
      ctx.strokeStyle = '#8a5a2b';
      ctx.lineWidth = 2.2;
      ctx.beginPath();
      ctx.moveTo(-6, 8);
      ctx.lineTo(4, -4);
      ctx.stroke();
      ellipse(ctx, 5, -5.5, 3.8, 3.8, '#62d7ff');
      ellipse(ctx, 4, -6.6, 1.2, 1.2, '#ffffff');
      break;
    }
    case 'vest':
    case 'vest2': {
      ctx.beginPath();
      ctx.moveTo(-4, -8);
      ctx.lineTo(-8, -5);
      ctx.lineTo(-6.5, 0);
      ctx.lineTo(-5, -1);
      ctx.lineTo(-5, 8);
      ctx.lineTo(5, 8);
      ctx.lineTo(5, -1);
      ctx.lineTo(6.5, 0);
      ctx.lineTo(8, -5);
      ctx.lineTo(4, -8);
      ctx.quadraticCurveTo(0, -5, -4, -8);
      ctx.fillStyle = kind === 'vest' ? '#d6b07a' : '#6f93c9';
      ctx.fill();
      ctx.strokeStyle = kind === 'vest' ? '#94703f' : '#44679e';
      ctx.lineWidth = 1;
      ctx.stroke();
      ctx.fillStyle = kind === 'vest' ? '#94703f' : '#ffd35a';
      ctx.fillRect(-5, 2, 10, 1.6);
      break;
    }
    case 'ring': {
      ctx.strokeStyle = '#d99a2b';
      ctx.lineWidth = 2.4;
      ctx.beginPath();
      ctx.arc(0, 2, 5.5, 0, Math.PI * 2);
      ctx.stroke();
      ellipse(ctx, 0, -4, 3, 3, '#ff4f6d');
      ellipse(ctx, -0.8, -4.8, 1, 1, '#ffffff');
      break;
    }
    case 'clip': {
      star(ctx, 0, 0, 8, '#ffb0d4');
      ctx.strokeStyle = '#d46a9a';
      ctx.lineWidth = 1;
      ctx.stroke();
      ellipse(ctx, 0, 0, 2.2, 2.2, '#ffe36b');
      break;
    }
    default:
      ellipse(ctx, 0, 0, 6, 6, '#ccc');
  }
}

export const BOB_PHASES = 6;

/** A ground drop: a soft shadow and the item icon bobbing above it (`phase` of BOB_PHASES). */
export function dropSprite(kind, R, phase = 0) {
  return cached(`d|${kind}|${R}|${phase}`, () => {
    const w = 22;
    const h = 30;
    const { c, ctx } = canvas(w, h, R);
    softShadow(ctx, w / 2, h - 4, 6);
    const icon = itemSprite(kind, 15, R);
    const bob = Math.sin((phase / BOB_PHASES) * Math.PI * 2) * 1.5;
    ctx.drawImage(icon.c, w / 2 - 7.5, h - 4 - 9 - 7.5 + bob, 15, 15);
    return { c, ax: w / 2, ay: h - 4, w, h };
  });
}

/** A data URL of an item icon for the DOM (inventory cells, tooltips). */
const iconUrls = new Map();
export function itemIconUrl(kind, px = 40) {
  const key = `${kind}|${px}`;
  if (!iconUrls.has(key)) iconUrls.set(key, itemSprite(kind, 20, px / 20).c.toDataURL());
  return iconUrls.get(key);
}
