// keyboard.js — WASD / arrow keys walk (one `move` step every 70 ms while held, joystick
// included), 1–4 cast skills, Enter opens chat, Esc closes panels. Keys typed into a text
// field are left alone, and arrow keys never scroll the page.

const DIRS = {
  KeyW: [0, -1], ArrowUp: [0, -1], KeyS: [0, 1], ArrowDown: [0, 1],
  KeyA: [-1, 0], ArrowLeft: [-1, 0], KeyD: [1, 0], ArrowRight: [1, 0],
};
const STEP_MS = 70;

export function installKeyboard(app) {
  const held = new Set();
  const typing = (el) => el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable);

  window.addEventListener('keydown', (ev) => {
    if (typing(ev.target)) {
      if (ev.key === 'Escape') ev.target.blur();
      return;
    }
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (DIRS[ev.code]) {
      held.add(ev.code);
      ev.preventDefault();
      return;
    }
    if (/^Digit[1-4]$/.test(ev.code) || /^Numpad[1-4]$/.test(ev.code)) {
      ev.preventDefault();
      app.skills.cast(Number(ev.code.slice(-1)) - 1);
      return;
    }
    if (ev.key === 'Enter') {
      ev.preventDefault();
      app.chat.focus();
    } else if (ev.key === 'Escape') {
      app.dock.close();
    } else if (ev.code === 'Space') {
      ev.preventDefault();
    }
  });
  window.addEventListener('keyup', (ev) => held.delete(ev.code));
  window.addEventListener('blur', () => held.clear());

  setInterval(() => {
    let dx = 0;
    let dy = 0;
    for (const code of held) {
      dx += DIRS[code][0];
      dy += DIRS[code][1];
    }
    const joy = app.joystick && app.joystick.vector();
    if (joy) {
      dx += joy.x;
      dy += joy.y;
    }
    dx = Math.max(-1, Math.min(1, dx));
    dy = Math.max(-1, Math.min(1, dy));
    if (dx === 0 && dy === 0) return;
    app.skills.cancelPending();
    app.renderer.goal = null;
    app.net.send('move', { dx: Math.round(dx * 100) / 100, dy: Math.round(dy * 100) / 100 });
  }, STEP_MS);
}
