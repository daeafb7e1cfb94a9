// bot.js — the "Link your bot" panel: mint a join token (and the sandbox one), copy buttons,
// a ready prompt for an agent pointing at <baseUrl>/skill.md, the linked bot's status
// (online / idle / offline, polled from /api/me/bot) and latest thought, and H-Mode.

import { on } from '../bus.js';
import { t, ago } from '../i18n.js';
import { h, toast, copyText } from './dom.js';
import { icon } from './icons.js';
import { rest } from '../net.js';

const POLL_MS = 4000;

export function mountBot(app) {
  let join = null;
  let status = null;
  let busy = false;
  let timer = 0;

  async function getToken() {
    busy = true;
    app.dock.refresh('bot');
    try {
      join = await rest.joinCodes(app.session.sessionToken);
    } catch (e) {
      toast(app.errText(e.body && e.body.error ? e.body.error : e.message), 'warn');
    }
    busy = false;
    app.dock.refresh('bot');
  }

  async function poll() {
    try {
      status = await rest.meBot(app.session.sessionToken);
      app.dock.refresh('bot');
    } catch (e) { /* keep the last status */ }
  }

  const copyRow = (label, value, cls) => h('div.copy-row',
    h('label', label),
    h('div.row', h(`code.${cls}`, value),
      h('button.mini.copy', {
        'aria-label': t('bot.copy'),
        onclick: async () => { if (await copyText(value)) toast(t('bot.copied'), 'good'); },
      }, icon('copy'), t('bot.copy'))));

  function prompt() {
    const sandbox = join.sandboxJoinToken ? t('bot.sandboxLine', { token: join.sandboxJoinToken }) : '';
    return t('bot.promptText', { base: join.baseUrl, token: join.joinToken, sandbox });
  }

  function render() {
    const you = app.model.you || {};
    const agent = you.mode === 'agent';
    const linked = (status && status.linked) || you.linkedBot;
    const st = status ? status.status : 'offline';
    const serverNow = app.model.serverNow();
    const out = [h('p.hint', t('bot.intro'))];
    out.push(h('div.bot-card',
      h('div.bot-head', icon('robot', 'ico big'),
        h('div',
          h('div.b-title', t('bot.status')),
          h('div.bot-status', { class: linked ? st : 'none', dataset: { status: linked ? st : 'none' } },
            h('span.dot'), linked ? t(`bot.${st}`) : t('bot.notLinked'),
            linked && status && status.lastSeenAt ? h('span.seen', ` · ${t('bot.lastSeen', { ago: ago(serverNow - status.lastSeenAt) })}`) : null))),
      h('div.b-title', t('bot.thought')),
      h('div.thought', (status && status.thought) || you.thought || t('bot.noThought'))));
    out.push(h('label.switch', { 'data-tip': agent ? t('bot.hmodeOn') : t('bot.hmodeOff') },
      h('input', { type: 'checkbox', checked: agent, onchange: (ev) => app.setMode(ev.target.checked ? 'agent' : 'manual') }),
      h('span.track', h('span.thumb')), h('span.s-label', t('bot.hmode')),
      h('span.s-note', agent ? t('bot.hmodeOn') : t('bot.hmodeOff'))));
    out.push(h('button.primary.big.get-token', { disabled: busy, onclick: getToken }, icon('bot'), join ? t('bot.again') : t('bot.get')));
    if (join) {
      out.push(copyRow(t('bot.token'), join.joinToken, 'join-token'));
      if (join.sandboxJoinToken) out.push(copyRow(t('bot.sandbox'), join.sandboxJoinToken, 'sandbox-token'));
      const text = prompt();
      out.push(h('div.copy-row',
        h('label', t('bot.prompt')),
        h('textarea.bot-prompt', { readonly: true, rows: 7, value: text }),
        h('button.copy', { onclick: async () => { if (await copyText(text)) toast(t('bot.copied'), 'good'); } }, icon('copy'), t('bot.copy'))));
      out.push(h('p.hint.small', t('bot.expires', { time: new Date(join.expiresAt).toLocaleString() })));
    }
    return out;
  }

  app.dock.register('bot', 'bot', {
    render,
    onOpen: () => {
      poll();
      clearInterval(timer);
      timer = setInterval(poll, POLL_MS);
    },
    onClose: () => clearInterval(timer),
  });
  on('you', () => app.dock.refresh('bot'));
}
