// settings.js — the Settings panel: language, avatar picture upload (checked and cropped by
// the server), rename, bot interruption level, zoom, the controls, and switching character.

import { on } from '../bus.js';
import { t, lang, setLang } from '../i18n.js';
import { h, toast } from './dom.js';
import { icon } from './icons.js';
import { rest } from '../net.js';
import { avatarUrl } from './hud.js';

const MAX_AVATAR = 512 * 1024;

export function mountSettings(app) {
  const file = h('input', { type: 'file', accept: 'image/png,image/jpeg', hidden: true, onchange: () => upload() });
  const nameInput = h('input.rename', { maxlength: 24 });

  async function upload() {
    const f = file.files && file.files[0];
    file.value = '';
    if (!f) return;
    if (f.size > MAX_AVATAR) {
      toast(t('set.avatarHint'), 'warn');
      return;
    }
    try {
      await rest.uploadAvatar(app.session.sessionToken, f);
      toast(t('set.avatarOk'), 'good');
    } catch (e) {
      toast(app.errText((e.body && e.body.error) || e.message), 'warn');
    }
  }

  async function removeAvatar() {
    try {
      await rest.uploadAvatar(app.session.sessionToken, new Blob([JSON.stringify({ reset: true })], { type: 'application/json' }));
    } catch (e) {
      toast(app.errText((e.body && e.body.error) || e.message), 'warn');
    }
  }

  async function rename() {
    const name = nameInput.value.trim();
    if (!name) return;
    const ack = await app.net.request('set_name', { name });
    if (!ack.ok) toast(app.errText(ack.error || ''), 'warn');
  }

  function render() {
    const you = app.model.you || {};
    if (document.activeElement !== nameInput) nameInput.value = you.name || '';
    return [
      h('h3', t('set.language')),
      h('div.seg', ['en', 'zh'].map((l) => h('button', {
        class: lang() === l ? 'active' : '', dataset: { lang: l },
        onclick: () => { setLang(l); app.net.send('set_lang', { lang: l }); },
      }, l === 'en' ? 'English' : '繁體中文'))),
      h('h3', t('set.avatar')),
      h('div.avatar-row',
        h('img.avatar-preview', { src: avatarUrl(you), alt: '' }),
        h('div',
          h('button.primary', { onclick: () => file.click() }, icon('upload'), t('set.upload')),
          you.avatarVersion ? h('button.mini', { onclick: removeAvatar }, t('set.remove')) : null,
          h('p.hint.small', t('set.avatarHint')))),
      file,
      h('h3', t('set.name')),
      h('div.row', nameInput, h('button', { onclick: rename }, t('set.rename'))),
      h('h3', t('set.interrupt')),
      h('div.seg', ['off', 'mentions', 'nearby', 'all'].map((lv) => h('button', {
        class: you.interrupt === lv ? 'active' : '',
        onclick: () => app.net.request('interrupt', { level: lv }),
      }, t(`interrupt.${lv}`)))),
      h('h3', t('set.zoom')),
      h('div.seg',
        h('button', { onclick: () => app.renderer.cam.zoomBy(0.85) }, '−'),
        h('button', { onclick: () => { app.renderer.cam.userZoom = 1; app.renderer.cam.zoomBy(1); } }, '100%'),
        h('button', { onclick: () => app.renderer.cam.zoomBy(1.15) }, '+')),
      h('h3', t('set.help')),
      h('p.hint.small', t('set.helpText')),
      h('button.danger', { onclick: () => { if (confirm(t('set.logoutConfirm'))) app.logout(); } }, t('set.logout')),
    ];
  }

  app.dock.register('settings', 'settings', { render });
  on('you', () => app.dock.refresh('settings'));
}
