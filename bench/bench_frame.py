"""Browser frame time: the game canvas drawing 200 visible entities in headless Chromium.

Target: at most 8 ms per frame. The bench serves clawtown/web/static on a loopback port (a plain
http.server thread; no game server needed), opens a harness page in Debian's Chromium through
Playwright (sync API), and builds the client's own Model and Renderer with the town map and
--entities entities on screen: a third players (names, levels, some intent lines, thought
bubbles and H-Mode/BOT badges), half monsters (slimes, beasts, an elite; some hurt), the rest
ground drops. Every frame the entities move a little (smoothing, depth sort and walk cycles
run) and a few spell effects with damage numbers start. After --warmup frames it times
--frames frames twice:

- draw: the time of `renderer.frame(now)` (JavaScript issuing the canvas calls);
- draw + raster: the same plus `getImageData` of one pixel, which makes Chromium rasterize the
  frame now (software canvas, --disable-gpu), so it is the full cost of a frame.

    .venv/bin/python bench/bench_frame.py [--entities 200] [--frames 300] [--width 1280 --height 800] [--dpr 1]
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from clawtown.sim.maps import TOWN  # noqa: E402

STATIC = os.path.join(REPO, "clawtown", "web", "static")
CHROMIUM = os.environ.get("CT_CHROMIUM", "/usr/bin/chromium")
EXTRA = [a for a in os.environ.get("CT_CHROMIUM_ARGS", "").split() if a]

HARNESS = """<!doctype html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="/styles.css"></head>
<body><div id="app" class="playing"><canvas id="game"></canvas></div>
<script type="module">
import { Model } from '/js/model.js';
import { Renderer } from '/js/render/render.js';

const cfg = JSON.parse(document.getElementById('cfg').textContent);
const model = new Model();
const renderer = new Renderer(document.getElementById('game'), model);
let seed = 7;
const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
const jobs = ['novice', 'mage', 'archer', 'knight', 'assassin', 'bard'];
const colors = ['rgba(251, 182, 206, 0.9)', 'rgba(125, 211, 252, 0.9)', 'rgba(134, 239, 172, 0.9)',
  'rgba(252, 211, 77, 0.92)', 'rgba(196, 181, 253, 0.9)', 'rgba(251, 146, 60, 0.9)'];
const items = [['zenny', 'common'], ['jelly', 'common'], ['leaf', 'common'], ['dagger_1', 'common'], ['ring_1', 'rare'], ['sword_2', 'epic']];
const cx = 480, cy = 288;
const view = { w: cfg.width / renderer.cam.zoom, h: cfg.height / renderer.cam.zoom };
model.apply({ t: 'hello', you: { id: 'p_me', name: 'Bench', level: 7, job: 'mage' }, instance: { key: 'town#1', map: 'town', channel: 1, channels: [1] },
  map: cfg.map, party: null, server: { time: Date.now() }, a: [] });
const spot = () => [cx + (rnd() - 0.5) * view.w * 0.9, cy + (rnd() - 0.5) * view.h * 0.85];
const ents = [];
const add = (e) => { const [x, y] = e.id === 'p_me' ? [cx, cy] : spot(); Object.assign(e, { x, y, rx: x, ry: y, bornAt: 0, hitAt: 0 }); model.entities.set(e.id, e); ents.push(e); };
add({ id: 'p_me', h: 0, k: 'p', name: 'Bench', lv: 7, job: 'mage', f: 'down', hp: 40, maxHp: 44, mode: 'manual', intent: '', online: true, av: 0 });
const nP = Math.round((cfg.entities - 1) / 3), nM = Math.round((cfg.entities - 1) / 2), nD = cfg.entities - 1 - nP - nM;
for (let i = 0; i < nP; i++) add({ id: `p_${i}`, h: i + 1, k: 'p', name: `Player${i}`, lv: 1 + (i % 30), job: jobs[i % 6],
  f: ['up', 'down', 'left', 'right'][i % 4], hp: 20 + (i % 10), maxHp: 30, mode: i % 7 === 0 ? 'agent' : 'manual', bot: i % 5 === 0,
  intent: i % 3 === 0 ? 'Hunting porings near the plaza, join me!' : '', thought: i % 5 === 0 ? `Thinking about slime number ${i}…` : '',
  thoughtAt: model.serverNow(), online: true, av: 0 });
for (let i = 0; i < nM; i++) add({ id: `m_${i}`, h: 500 + i, k: 'm', kind: i === 0 ? 'elite' : i % 4 === 0 ? 'beast' : 'slime', name: `Poring${i}`,
  hp: 5 + (i % 14), maxHp: 18, alive: true, color: i === 0 ? null : colors[i % colors.length] });
for (let i = 0; i < nD; i++) add({ id: `d_${i}`, h: 900 + i, k: 'd', item: items[i % items.length][0], rarity: items[i % items.length][1], name: 'x', qty: 1 });

let now = performance.now();
function step(i) {
  now += 1000 / 60;
  for (let k = 1; k < ents.length; k++) {  // everyone but you wanders a little
    const e = ents[k];
    if (e.k === 'd') continue;
    e.x += Math.sin(now / 500 + k) * 1.6;
    e.y += Math.cos(now / 600 + k) * 1.2;
  }
  if (i % 6 === 0) {
    const m = ents[1 + nP + (i % nM)];
    renderer.effects.add({ type: ['spark', 'blink', 'echo', 'mark', 'guard'][i % 5], x: m.x, y: m.y, by: 'p_me', payload: { target: m.id, dmg: 3 + (i % 9), crit: i % 12 === 0 } }, model, now);
  }
  if (i % 45 === 0) renderer.effects.add({ type: 'fireball', x: cx + 40, y: cy, by: 'p_me', payload: { radius: 130, hits: [] } }, model, now);
  if (i % 50 === 25) renderer.effects.add({ type: 'hail', x: cx - 60, y: cy + 30, by: 'p_me', payload: { radius: 150, hits: [] } }, model, now);
}
const probe = renderer.ctx;
window.runBench = (warmup, frames) => {
  for (let i = 0; i < warmup; i++) { step(i); renderer.frame(now); probe.getImageData(0, 0, 1, 1); }
  const draw = [], full = [];
  for (let i = 0; i < frames; i++) {
    step(i);
    const t0 = performance.now();
    renderer.frame(now);
    const t1 = performance.now();
    probe.getImageData(0, 0, 1, 1);
    const t2 = performance.now();
    draw.push(t1 - t0);
    full.push(t2 - t0);
  }
  let visible = 0;
  for (const e of model.entities.values()) if (renderer.cam.sees(e.rx, e.ry, 0)) visible += 1;
  return { draw, full, visible, total: model.entities.size, zoom: renderer.cam.zoom,
    canvas: [renderer.canvas.width, renderer.canvas.height], ua: navigator.userAgent };
};
window.benchReady = true;
</script>
<script type="application/json" id="cfg">__CFG__</script>
</body></html>"""


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def describe(values: list[float]) -> str:
    return (f"mean {statistics.fmean(values):6.2f} ms   p50 {pct(values, 50):6.2f}   p95 {pct(values, 95):6.2f}   "
            f"p99 {pct(values, 99):6.2f}   max {max(values):6.2f}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--entities", type=int, default=200)
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--warmup", type=int, default=90)
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--height", type=int, default=800)
    ap.add_argument("--dpr", type=float, default=1.0)
    args = ap.parse_args()

    from playwright.sync_api import sync_playwright

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=STATIC))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    cfg = {"map": TOWN.describe(), "entities": args.entities, "width": args.width, "height": args.height}
    page_html = HARNESS.replace("__CFG__", json.dumps(cfg))
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                         args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", *EXTRA])
            page = browser.new_page(viewport={"width": args.width, "height": args.height},
                                    device_scale_factor=args.dpr)
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.route(f"{base}/__bench.html", lambda route: route.fulfill(
                status=200, content_type="text/html", body=page_html))
            page.goto(f"{base}/__bench.html")
            page.wait_for_function("() => window.benchReady === true", timeout=20_000)
            result = page.evaluate("([w, f]) => window.runBench(w, f)", [args.warmup, args.frames])
            browser.close()
    finally:
        httpd.shutdown()
    if errors:
        print("page errors:", *errors, sep="\n  ")
        return 1
    print(f"clawtown browser frame bench — {result['ua'].split(' HeadlessChrome/')[-1].split(' ')[0] or 'Chromium'} "
          f"headless, software canvas (--disable-gpu)")
    print(f"viewport {args.width}×{args.height} css px, dpr {args.dpr:g} → canvas {result['canvas'][0]}×{result['canvas'][1]}, "
          f"zoom {result['zoom']:.2f}; entities on screen {result['visible']} of {result['total']}; "
          f"{args.frames} frames after {args.warmup} warm-up")
    print(f"  draw          {describe(result['draw'])}")
    print(f"  draw + raster {describe(result['full'])}")
    verdict = "OK" if pct(result["full"], 95) <= 8.0 else "OVER"
    print(f"target: ≤ 8 ms per frame → p95 draw + raster {pct(result['full'], 95):.2f} ms: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
