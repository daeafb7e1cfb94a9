// joystick.js — the on-screen thumb stick for phones and tablets. It only reports a
// direction; keyboard.js sends the `move` steps for keys and stick alike.

export class Joystick {
  constructor(root) {
    this.root = root;
    this.knob = root.querySelector('.knob');
    this.vec = null;
    this.id = null;
    root.addEventListener('pointerdown', (ev) => this.start(ev));
    root.addEventListener('pointermove', (ev) => this.move(ev));
    root.addEventListener('pointerup', (ev) => this.end(ev));
    root.addEventListener('pointercancel', (ev) => this.end(ev));
    root.addEventListener('lostpointercapture', (ev) => this.end(ev));
  }

  start(ev) {
    ev.preventDefault();
    this.id = ev.pointerId;
    this.root.setPointerCapture(ev.pointerId);
    this.root.classList.add('active');
    this.move(ev);
  }

  move(ev) {
    if (ev.pointerId !== this.id) return;
    const r = this.root.getBoundingClientRect();
    const radius = r.width / 2;
    let dx = (ev.clientX - (r.left + radius)) / radius;
    let dy = (ev.clientY - (r.top + radius)) / radius;
    const len = Math.hypot(dx, dy);
    if (len > 1) {
      dx /= len;
      dy /= len;
    }
    this.knob.style.transform = `translate(${dx * radius * 0.55}px, ${dy * radius * 0.55}px)`;
    this.vec = len < 0.22 ? null : { x: dx, y: dy };
  }

  end(ev) {
    if (ev.pointerId !== this.id) return;
    this.id = null;
    this.vec = null;
    this.root.classList.remove('active');
    this.knob.style.transform = '';
  }

  vector() {
    return this.vec;
  }
}
