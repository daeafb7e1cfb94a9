// hud.js — the always-visible bits: your character card (picture, name, level, job, HP and
// EXP bars, Zeny, unspent points, H-Mode), the map/channel box over the minimap with a
// channel switch, and the offline banner with its countdown.

import { on } from '../bus.js';
import { t } from '../i18n.js';
import { h, $, fill, bar, toast } from './dom.js';
import { icon } from './icons.js';
import { portraitUrl } from '../render/sprites.js';
import { hashStr, HAIR } from '../render/palette.js';

export function xpProgress(you) {
  const lv = you.level || 1;
  const before = (lv - 1) * 10 + (5 * (lv - 1) * (lv - 2)) / 2;
  const need = you.xpToNext || 10;
  const into = Math.max(0, (you.xp || 0) - before);
  return { into, need, frac: Math.min(1, into / need) };
}

export function avatarUrl(you) {
  if (you.avatarVersion) return `/api/avatars/${encodeURIComponent(you.id)}.png?v=${you.avatarVersion}`;
  return portraitUrl(you.job || 'novice', hashStr(you.id || '') % HAIR.length, 96);
}

export function mountHud(app) {
  const card = $('#hud');
  const mapbox = $('#mapbox');
  const banner = $('#banner');

  const render = () => {
    const you = app.model.you;
    if (!you || !you.id) return;
    const xp = xpProgress(you);
    const points = you.statPoints > 0
      ? h('button.points', { onclick: () => app.dock.open('stats'), 'data-tip': t('stats.points', { n: you.statPoints }) },
        t('hud.points', { n: you.statPoints }))
      : null;
    fill(card,
      h('img.portrait', { src: avatarUrl(you), alt: '', onclick: () => app.dock.open('settings') }),
      h('div.who',
        h('div.name-row', h('span.name', you.name), you.mode === 'agent' ? h('span.hmode', t('hud.hmode')) : null),
        h('div.sub', `${t('hud.lv', { n: you.level })} · ${t(`job.${you.job}`)}`),
        bar('hp', you.maxHp ? you.hp / you.maxHp : 0, `${t('hud.hp')} ${you.hp} / ${you.maxHp}`),
        bar('xp', xp.frac, `${t('hud.xp')} ${Math.floor(xp.frac * 100)}%`),
        h('div.purse', icon('coin', 'ico coin'), h('span.zeny', String(you.zenny ?? 0)), points)));
    card.hidden = false;
  };

  const renderMap = () => {
    const inst = app.model.instance || {};
    const map = app.model.map;
    if (!map) return;
    const channels = inst.channels && inst.channels.length ? inst.channels : [inst.channel || 1];
    const select = h('select.channel', {
      'aria-label': t('map.switch'), title: t('map.switch'), disabled: channels.length < 2,
      onchange: async (ev) => {
        const n = Number(ev.target.value);
        const ack = await app.net.request('channel', { channel: n });
        if (!ack.ok) toast(ack.error || 'channel', 'warn');
      },
    }, channels.map((c) => h('option', { value: c, selected: c === inst.channel }, t('map.channel', { n: c }))));
    fill($('.map-title', mapbox), h('span.map-name', map.name || map.id), select);
  };

  let countdown = 0;
  const renderBanner = (st) => {
    clearInterval(countdown);
    if (st.state === 'online' || st.state === 'idle') {
      banner.hidden = true;
      return;
    }
    banner.hidden = false;
    banner.className = `banner ${st.state}`;
    if (st.state === 'kicked') {
      fill(banner, t('net.kicked'));
      return;
    }
    if (st.state === 'auth') {
      banner.hidden = true;
      return;
    }
    const draw = () => {
      const left = Math.max(0, Math.ceil((st.retryAt - Date.now()) / 1000));
      const text = st.state === 'offline' ? t('net.offline', { s: left })
        : st.everOnline ? t('net.reconnecting') : t('net.connecting');
      fill(banner, h('span.spinner'), h('span.msg', text),
        st.state === 'offline' ? h('button.retry', { onclick: () => app.net.retryNow() }, t('net.retry')) : null);
    };
    draw();
    if (st.state === 'offline') countdown = setInterval(draw, 250);
  };

  on('you', render);
  on('hello', () => { render(); renderMap(); });
  on('enter', () => { render(); renderMap(); });
  on('lang', () => { render(); renderMap(); renderBanner(app.net); });
  on('net', renderBanner);
}
