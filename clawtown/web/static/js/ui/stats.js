// stats.js — the Stats panel: base stats with + buttons while points are left, combat
// numbers (ATK, MATK, DEF, CRIT, ASPD, HP) with explanations on hover, the adventure log
// and achievements.

import { on } from '../bus.js';
import { t } from '../i18n.js';
import { h, toast } from './dom.js';

const BASE = ['str', 'agi', 'vit', 'int', 'dex', 'luk'];
const ACH = {
  first_blood: 'First Blood', slime_hunter_1: 'Slime Hunter I', slime_hunter_2: 'Slime Hunter II',
  crafter: 'Crafter', workshop_regular: 'Workshop Regular', collector: 'Collector',
};

export function mountStats(app) {
  async function add(stat) {
    const ack = await app.net.request('alloc_stat', { stat, n: 1 });
    if (!ack.ok) toast(app.errText(ack.error || ''), 'warn');
  }

  function render() {
    const you = app.model.you || {};
    const base = you.baseStats || {};
    const st = you.stats || {};
    const pts = you.statPoints || 0;
    const pct = (v) => `${Math.round((v || 0) * 100)}%`;
    const derived = [
      ['atk', st.atk], ['matk', st.matk], ['def', st.def], ['crit', pct(st.crit)], ['aspd', pct(st.aspd)], ['hp', `${you.hp}/${you.maxHp}`],
    ];
    const meta = you.meta || {};
    return [
      h('div.points-line', { class: pts ? 'has' : '' }, t('stats.points', { n: pts })),
      h('h3', t('stats.base')),
      h('div.stat-grid', BASE.map((k) => h('div.stat', { 'data-tip': t(`tip.${k}`) },
        h('span.k', t(`stat.${k}`)), h('span.v', String(base[k] ?? 1)),
        h('button.plus', { disabled: pts < 1, 'aria-label': `${t('stats.add')} ${t(`stat.${k}`)}`, onclick: () => add(k) }, '+')))),
      h('h3', t('stats.derived')),
      h('div.stat-grid.derived', derived.map(([k, v]) => h('div.stat', { 'data-tip': t(`tip.${k}`) },
        h('span.k', t(`stat.${k}`)), h('span.v', String(v ?? 0))))),
      h('h3', t('stats.record')),
      h('ul.record',
        h('li', t('stats.kills'), h('b', String(meta.kills || 0))),
        h('li', t('stats.crafts'), h('b', String(meta.crafts || 0))),
        h('li', t('stats.pickups'), h('b', String(meta.pickups || 0)))),
      h('h3', t('stats.achievements')),
      (you.achievements || []).length
        ? h('div.badges', you.achievements.map((a) => h('span.badge-ach', ACH[a] || a)))
        : h('p.hint', t('stats.noAch')),
    ];
  }

  app.dock.register('stats', 'stats', { render, badge: () => (app.model.you.statPoints > 0 ? String(app.model.you.statPoints) : '') });
  on('you', () => app.dock.refresh('stats'));
}
