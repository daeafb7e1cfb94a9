// skills.js — the four skill slots: which spell each key casts, the shared cooldown, target
// choice (a clicked monster, else the nearest one in reach), walking into melee range before
// swinging, aiming ground spells, and feedback when the server says no.

import { t } from './i18n.js';
import { emit } from './bus.js';

const REACH = { signature: 120, cleave: 120, flurry: 92, arrow: 260, fireball: 360, hail: 360 };
const GROUND = new Set(['fireball', 'hail']);
const ICON = { signature: 'sword', fireball: 'fire', hail: 'snow', arrow: 'arrow', cleave: 'swirl', flurry: 'dagger' };

export class Skills {
  constructor(app) {
    this.app = app;
    this.cooldownUntil = 0;
    this.cooldownMs = 700;
    this.locked = null;
    this.pending = null;
  }

  /** The four slots for the current character: attack, job skill, and two others. */
  slots() {
    const you = this.app.model.you || {};
    const job = (you.jobSkill && you.jobSkill.spell) || 'signature';
    const third = job === 'arrow' ? 'cleave' : 'arrow';
    const fourth = job === 'fireball' ? 'hail' : 'fireball';
    const sigName = (you.signatureSpell && you.signatureSpell.name) || t('spell.signature');
    return [
      { key: '1', send: 'signature', spell: 'signature', label: t('spell.signature'), sub: sigName, icon: 'sword' },
      { key: '2', send: 'job', spell: job, label: (you.jobSkill && you.jobSkill.name) || t(`spell.${job}`), sub: t(`spell.${job}`), icon: ICON[job] || 'sword' },
      { key: '3', send: third, spell: third, label: t(`spell.${third}`), icon: ICON[third] },
      { key: '4', send: fourth, spell: fourth, label: t(`spell.${fourth}`), icon: ICON[fourth] },
    ];
  }

  /** {id, locked} of the monster the next attack goes to, or null. */
  target() {
    const { model } = this.app;
    const me = model.me();
    if (this.locked) {
      const m = model.entities.get(this.locked);
      if (m && m.alive) return { id: m.id, locked: true };
      this.locked = null;
    }
    if (!me) return null;
    const found = this.nearest(me, REACH.signature);
    return found ? { id: found.id, locked: false } : null;
  }

  nearest(me, radius) {
    let best = null;
    let bestD = radius;
    for (const e of this.app.model.entities.values()) {
      if (e.k !== 'm' || !e.alive) continue;
      const d = Math.hypot(e.x - me.x, e.y - me.y);
      if (d <= bestD) {
        bestD = d;
        best = e;
      }
    }
    return best;
  }

  lock(id) {
    this.locked = id;
    emit('target', id);
  }

  cancelPending() {
    this.pending = null;
  }

  cooldownLeft(now = performance.now()) {
    return Math.max(0, this.cooldownUntil - now);
  }

  cast(index) {
    const slot = this.slots()[index];
    const { model, renderer } = this.app;
    const me = model.me();
    if (!slot || !me) return;
    if (me.ko) return this.say(t('reason.knocked out'));
    if (this.cooldownLeft() > 40) return;
    const reach = REACH[slot.spell] || 120;
    const fields = { spell: slot.send };
    if (GROUND.has(slot.spell)) {
      const aim = this.aim(me, reach);
      fields.x = Math.round(aim.x);
      fields.y = Math.round(aim.y);
    } else if (slot.spell !== 'arrow') {
      const tgt = this.locked && model.entities.get(this.locked);
      if (tgt && tgt.alive && Math.hypot(tgt.x - me.x, tgt.y - me.y) > reach - 6) {
        this.pending = { index, id: tgt.id, until: performance.now() + 8000 };
        this.app.net.send('goal', { x: Math.round(tgt.x), y: Math.round(tgt.y) });
        renderer.goal = null;
        return;
      }
    }
    this.pending = null;
    this.send(fields, slot.spell);
  }

  aim(me, range) {
    const { model, renderer } = this.app;
    const locked = this.locked && model.entities.get(this.locked);
    if (locked && locked.alive && Math.hypot(locked.x - me.x, locked.y - me.y) <= range) return locked;
    const near = this.nearest(me, range);
    if (near) return near;
    const hov = renderer.hover;
    if (hov && Math.hypot(hov.x - me.x, hov.y - me.y) <= range) return hov;
    return me;
  }

  async send(fields, spell) {
    const aspd = (this.app.model.you.stats && this.app.model.you.stats.aspd) || 0;
    const base = spell === 'flurry' ? 520 : 700;
    this.cooldownMs = Math.round(base * (1 - aspd * 0.5));
    this.cooldownUntil = performance.now() + this.cooldownMs;
    const ack = await this.app.net.request('cast', fields);
    if (ack.ok) return;
    if (ack.reason === 'cooldown' && ack.retryInMs) {
      this.cooldownUntil = performance.now() + ack.retryInMs;
      return;
    }
    this.cooldownUntil = Math.min(this.cooldownUntil, performance.now() + 150);
    const reason = ack.reason || ack.error;
    if (reason && reason !== 'no target') this.say(t(`reason.${reason}`));
  }

  say(text) {
    const me = this.app.model.me();
    if (me) this.app.renderer.effects.float(me.rx, me.ry - 64, text, 'info');
  }

  /** Called every frame: swing once a walked-to target is in reach. */
  tick(now) {
    const p = this.pending;
    if (!p) return;
    const me = this.app.model.me();
    const tgt = this.app.model.entities.get(p.id);
    if (!me || !tgt || !tgt.alive || now > p.until) {
      this.pending = null;
      return;
    }
    const slot = this.slots()[p.index];
    const reach = REACH[slot.spell] || 120;
    if (Math.hypot(tgt.x - me.x, tgt.y - me.y) <= reach - 10 && this.cooldownLeft(now) <= 0) {
      this.pending = null;
      this.send({ spell: slot.send }, slot.spell);
    }
  }
}
