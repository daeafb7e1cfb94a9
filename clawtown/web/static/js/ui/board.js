// board.js — the Town Board panel: read the latest posts and pin a new one.

import { on } from '../bus.js';
import { t, ago } from '../i18n.js';
import { h, toast } from './dom.js';

export function mountBoard(app) {
  const area = h('textarea.post', { maxlength: 280, rows: 3 });
  let busy = false;

  async function post() {
    const content = area.value.trim();
    if (!content || busy) return;
    busy = true;
    const ack = await app.net.request('board_post', { content });
    busy = false;
    if (ack.ok && ack.post) {
      area.value = '';
      app.model.board.push(ack.post);
      app.dock.refresh('board');
    } else toast(app.errText(ack.error || ''), 'warn');
  }

  function render() {
    area.placeholder = t('board.ph');
    const posts = (app.model.board || []).slice().reverse();
    const now = app.model.serverNow();
    return [
      h('div.compose', area, h('button.primary', { onclick: post }, t('board.post'))),
      posts.length ? h('ul.posts', posts.map((p) => h('li.post',
        h('div.p-head', h('b', (p.author && p.author.name) || '?'), h('span.p-time', p.createdAt ? ago(now - p.createdAt) : '')),
        h('div.p-body', p.content)))) : h('p.hint', t('board.empty')),
    ];
  }

  app.dock.register('board', 'board', { render });
  on('hello', () => app.dock.refresh('board'));
  on('board', () => app.dock.refresh('board'));
}
