// pointer.js — mouse and touch on the game canvas: click or tap the ground to walk there
// (`goal`), click a monster to target and attack it, click a player to whisper, hover to aim
// ground spells, mouse wheel to zoom. The canvas has touch-action: none (no page zoom).

function hit(model, wx, wy, me) {
  let best = null;
  let bestD = 1e9;
  for (const e of model.entities.values()) {
    if (e.k === 'd' || (e.k === 'm' && !e.alive) || (me && e.id === me.id)) continue;
    const r = e.k === 'm' ? (e.kind === 'elite' ? 24 : 17) : 14;
    const cy = e.ry - (e.k === 'm' ? r * 0.8 : 20);
    const d = Math.hypot(wx - e.rx, wy - cy);
    if (d < r + 6 && d < bestD) {
      bestD = d;
      best = e;
    }
  }
  return best;
}

export function installPointer(app) {
  const canvas = app.renderer.canvas;
  const cam = app.renderer.cam;
  let down = null;

  const world = (ev) => {
    const r = canvas.getBoundingClientRect();
    return cam.toWorld(ev.clientX - r.left, ev.clientY - r.top);
  };

  canvas.addEventListener('pointermove', (ev) => {
    const w = world(ev);
    app.renderer.hover = w;
    if (ev.pointerType === 'mouse') {
      const over = hit(app.model, w.x, w.y, app.model.me());
      canvas.style.cursor = over ? (over.k === 'm' ? 'crosshair' : 'pointer') : 'default';
    }
  });
  canvas.addEventListener('pointerdown', (ev) => {
    down = { x: ev.clientX, y: ev.clientY, t: performance.now() };
    if (document.activeElement && document.activeElement !== document.body) document.activeElement.blur();
  });
  canvas.addEventListener('pointerup', (ev) => {
    if (!down || Math.hypot(ev.clientX - down.x, ev.clientY - down.y) > 14) {
      down = null;
      return;
    }
    down = null;
    const w = world(ev);
    const me = app.model.me();
    const target = hit(app.model, w.x, w.y, me);
    if (target && target.k === 'm') {
      app.skills.lock(target.id);
      app.skills.cast(0);
      return;
    }
    if (target && target.k === 'p') {
      app.chat.whisperTo(target.name);
      return;
    }
    app.skills.cancelPending();
    const map = app.model.map;
    if (!map) return;
    const x = Math.max(0, Math.min(map.width * 32 - 1, w.x));
    const y = Math.max(0, Math.min(map.height * 32 - 1, w.y));
    if (app.net.send('goal', { x: Math.round(x), y: Math.round(y) })) {
      app.renderer.goal = { x, y, t0: performance.now() };
    }
  });
  canvas.addEventListener('contextmenu', (ev) => ev.preventDefault());
  canvas.addEventListener('wheel', (ev) => {
    ev.preventDefault();
    cam.zoomBy(ev.deltaY > 0 ? 0.9 : 1.1);
  }, { passive: false });
}
