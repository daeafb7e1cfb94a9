// emotes.js — the little pictures in emote bubbles (heart, music note, sweat drop, anger
// mark, and short text faces), drawn as shapes so no emoji font is needed.

export function emoteIcon(ctx, name, x, y, t) {
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  const text = (s, color) => {
    ctx.font = '800 9px system-ui, sans-serif';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.fillStyle = color;
    ctx.fillText(s, x, y + 0.5);
  };
  switch (name) {
    case 'heart': {
      const s = 1 + Math.sin(t * 20) * 0.08;
      ctx.fillStyle = '#ff4f7b';
      ctx.beginPath();
      ctx.moveTo(x, y + 6 * s);
      ctx.bezierCurveTo(x - 9 * s, y - 1, x - 5 * s, y - 8 * s, x, y - 3 * s);
      ctx.bezierCurveTo(x + 5 * s, y - 8 * s, x + 9 * s, y - 1, x, y + 6 * s);
      ctx.fill();
      break;
    }
    case 'music':
      ctx.fillStyle = '#6b5bd6';
      ctx.strokeStyle = '#6b5bd6';
      ctx.lineWidth = 1.6;
      ctx.beginPath();
      ctx.ellipse(x - 3, y + 4, 2.6, 2, -0.4, 0, Math.PI * 2);
      ctx.fill();
      ctx.beginPath();
      ctx.moveTo(x - 0.6, y + 4);
      ctx.lineTo(x - 0.6, y - 6);
      ctx.lineTo(x + 5, y - 4);
      ctx.stroke();
      break;
    case 'sweat':
      ctx.fillStyle = '#5fb0ea';
      ctx.beginPath();
      ctx.moveTo(x, y - 7);
      ctx.quadraticCurveTo(x + 6, y + 1, x, y + 6);
      ctx.quadraticCurveTo(x - 6, y + 1, x, y - 7);
      ctx.fill();
      break;
    case 'angry':
      ctx.strokeStyle = '#e8344f';
      ctx.lineWidth = 2;
      ctx.beginPath();
      for (const [sx, sy] of [[-1, -1], [1, -1], [1, 1], [-1, 1]]) {
        ctx.moveTo(x + sx * 2, y + sy * 6);
        ctx.quadraticCurveTo(x + sx * 2, y + sy * 2, x + sx * 6, y + sy * 2);
      }
      ctx.stroke();
      break;
    case 'wave': text('Hi~', '#2f6fd0'); break;
    case 'laugh': text('^o^', '#e07a12'); break;
    case 'cry': text('T_T', '#3b82f6'); break;
    case 'sit': text('zZ', '#7c6fb0'); break;
    default: text('!', '#333');
  }
}
