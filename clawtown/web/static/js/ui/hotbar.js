// hotbar.js — the skill bar: four skill buttons (keys 1–4) with a cooldown sweep, the
// H-Mode switch, an emote picker and a map ping. Buttons never zoom the page on touch.

import { on } from '../bus.js';
import { t } from '../i18n.js';
import { h, $, fill } from './dom.js';
import { icon } from './icons.js';

const EMOTES = ['wave', 'heart', 'laugh', 'cry', 'angry', 'sweat', 'music', 'sit'];
const EMOTE_ICON = { wave: 'Hi~', heart: '♥', laugh: '^o^', cry: 'T_T', angry: '#', sweat: '^^;', music: '♪', sit: 'zZ' };

export function mountHotbar(app) {
  const root = $('#hotbar');
  let buttons = [];
  let emotes = null;

  const render = () => {
    const slots = app.skills.slots();
    buttons = slots.map((s, i) => h('button.skill', {
      'data-tip': `${s.label}${s.sub && s.sub !== s.label ? ` — ${s.sub}` : ''} [${s.key}]`,
      'aria-label': `${s.label} (${s.key})`,
      onpointerdown: (ev) => { ev.preventDefault(); app.skills.cast(i); },
    }, icon(s.icon), h('span.key', s.key), h('span.label', s.label), h('span.cd')));
    const agent = app.model.you.mode === 'agent';
    emotes = h('div.emotes', { hidden: true },
      EMOTES.map((e) => h('button.emote', {
        title: e,
        onclick: () => { app.net.send('emote', { emote: e }); emotes.hidden = true; },
      }, EMOTE_ICON[e])));
    fill(root,
      h('div.skills', buttons),
      h('div.extras',
        h('button.small.hmode-toggle', {
          class: agent ? 'on' : '', 'data-tip': agent ? t('bot.hmodeOn') : t('bot.hmodeOff'),
          onclick: () => app.setMode(agent ? 'manual' : 'agent'),
        }, icon('robot'), h('span', t('hud.hmode'))),
        h('button.small', { 'data-tip': t('emote.title'), 'aria-label': t('emote.title'), onclick: () => { emotes.hidden = !emotes.hidden; } }, icon('smile')),
        h('button.small', { 'data-tip': t('mark.title'), 'aria-label': t('mark.title'), onclick: () => app.net.send('mark') }, icon('pin')),
        emotes));
  };

  const tick = () => {
    const left = app.skills.cooldownLeft();
    const frac = left > 0 ? left / Math.max(1, app.skills.cooldownMs) : 0;
    root.style.setProperty('--cd', frac.toFixed(3));
    root.classList.toggle('cooling', frac > 0);
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);

  on('hello', render);
  on('enter', render);
  on('you', render);
  on('lang', render);
}
