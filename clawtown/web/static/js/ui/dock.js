// dock.js — the side window that holds the panels (bag, stats, craft, party, board, bot,
// hat, settings): a menu of icon buttons, a tab strip, open/close/toggle, and re-rendering
// the open panel when the data it shows changes. On phones it becomes a bottom sheet.

import { on, emit } from '../bus.js';
import { t } from '../i18n.js';
import { h, $, fill } from './dom.js';
import { icon } from './icons.js';

export function mountDock(app) {
  const dock = $('#dock');
  const menu = $('#menu');
  const panels = new Map();
  let openId = null;

  const title = h('h2.title');
  const tabs = h('div.tabs');
  const body = h('div.body');
  dock.append(h('header', title, h('button.close', { 'aria-label': t('tab.close'), onclick: () => close() }, icon('close'))), tabs, body);

  function register(id, iconName, panel) {
    panels.set(id, { id, iconName, ...panel });
  }

  function renderMenu() {
    fill(menu,
      h('button.menu-toggle', { 'aria-label': 'menu', onclick: () => (openId ? close() : open('bag')) }, icon('menu')),
      [...panels.values()].map((p) => h('button.menu-btn', {
        class: p.id === openId ? 'active' : '', 'data-tip': t(`tab.${p.id}`), 'aria-label': t(`tab.${p.id}`),
        dataset: { panel: p.id }, onclick: () => toggle(p.id),
      }, icon(p.iconName), p.badge && p.badge() ? h('span.badge', p.badge()) : null)));
    fill(tabs, [...panels.values()].map((p) => h('button.tab', {
      class: p.id === openId ? 'active' : '', dataset: { panel: p.id }, title: t(`tab.${p.id}`), onclick: () => open(p.id),
    }, icon(p.iconName), h('span', t(`tab.${p.id}`)))));
  }

  function render() {
    renderMenu();
    if (!openId) return;
    const p = panels.get(openId);
    title.textContent = t(`tab.${openId}`);
    dock.dataset.panel = openId;
    fill(body, p.render());
  }

  function open(id) {
    if (!panels.has(id)) return;
    const prev = openId;
    openId = id;
    dock.hidden = false;
    document.body.classList.add('dock-open');
    if (prev !== id) {
      const p = panels.get(id);
      if (p.onOpen) p.onOpen();
    }
    render();
    emit('dock', id);
  }

  function close() {
    if (openId) {
      const p = panels.get(openId);
      if (p.onClose) p.onClose();
    }
    openId = null;
    dock.hidden = true;
    document.body.classList.remove('dock-open');
    renderMenu();
    emit('dock', null);
  }

  function toggle(id) {
    if (openId === id) close();
    else open(id);
  }

  /** Re-render if `id` (or any panel, when omitted) is the one showing. */
  function refresh(id) {
    if (openId && (!id || id === openId)) render();
    else renderMenu();
  }

  on('lang', () => refresh());
  app.dock = { register, open, close, toggle, refresh, isOpen: (id) => openId === id, get current() { return openId; } };
  return app.dock;
}
