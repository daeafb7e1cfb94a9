// camera.js — which part of the world is on screen: follows a point smoothly, stays near the
// map (or centres a small map), and converts between screen and world coordinates.

export class Camera {
  constructor() {
    this.x = 0;
    this.y = 0;
    this.zoom = 1.5;
    this.userZoom = 1;
    this.viewW = 800;
    this.viewH = 600;
    this.placed = false;
  }

  resize(cssW, cssH) {
    this.viewW = cssW;
    this.viewH = cssH;
    const base = Math.min(Math.max(Math.min(cssW, cssH) / 460, 1), 2.3);
    this.zoom = Math.min(Math.max(base * this.userZoom, 0.7), 3.2);
  }

  zoomBy(factor) {
    this.userZoom = Math.min(Math.max(this.userZoom * factor, 0.6), 1.8);
    this.resize(this.viewW, this.viewH);
  }

  /** Move toward centring (tx, ty); `dt` in seconds (0 = jump). */
  follow(tx, ty, mapW, mapH, dt) {
    const vw = this.viewW / this.zoom;
    const vh = this.viewH / this.zoom;
    let gx = tx - vw / 2;
    let gy = ty - vh / 2;
    // a little forest may show past the map's edge, so you never hide under a corner panel
    const mx = vw * 0.22;
    const my = vh * 0.22;
    gx = vw >= mapW ? clamp(gx, (mapW - vw) / 2 - mx, (mapW - vw) / 2 + mx) : clamp(gx, -mx, mapW - vw + mx);
    gy = vh >= mapH ? clamp(gy, (mapH - vh) / 2 - my, (mapH - vh) / 2 + my) : clamp(gy, -my, mapH - vh + my);
    if (!this.placed || dt === 0 || Math.hypot(gx - this.x, gy - this.y) > 600) {
      this.x = gx;
      this.y = gy;
      this.placed = true;
      return;
    }
    const k = 1 - Math.exp(-dt * 9);
    this.x += (gx - this.x) * k;
    this.y += (gy - this.y) * k;
  }

  toWorld(sx, sy) {
    return { x: this.x + sx / this.zoom, y: this.y + sy / this.zoom };
  }

  toScreen(wx, wy) {
    return { x: (wx - this.x) * this.zoom, y: (wy - this.y) * this.zoom };
  }

  /** Is a world point (with a margin in world units) on screen? */
  sees(wx, wy, margin = 48) {
    return wx > this.x - margin && wy > this.y - margin &&
      wx < this.x + this.viewW / this.zoom + margin && wy < this.y + this.viewH / this.zoom + margin;
  }
}

function clamp(v, lo, hi) {
  return Math.min(Math.max(v, lo), hi);
}
