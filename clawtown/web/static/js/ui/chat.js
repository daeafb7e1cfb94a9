// chat.js — the chat window: tabs All / People / System / Bot, say / party / whisper with
// /w name msg, /p msg and /r (reply), @mentions of you highlighted, private lines marked,
// clickable names to whisper back, and local feedback when the server refuses a line.

import { on } from '../bus.js';
import { t } from '../i18n.js';
import { h, $, fill } from './dom.js';
import { icon } from './icons.js';

const MAX_LINES = 200;
const TABS = ['all', 'people', 'system', 'bot'];

export function mountChat(app) {
  const root = $('#chat');
  let filter = 'all';
  let scope = 'say';
  let lastWhisperFrom = null;
  let lastWhisperTo = null;
  const seen = new Set();
  const names = new Map(); // player id → name, learned from chat lines and whisper acks

  const log = h('div.log', { role: 'log', 'aria-live': 'polite' });
  const empty = h('div.empty', t('chat.empty'));
  log.append(empty);
  const input = h('input.text', { maxlength: 280, autocomplete: 'off', enterkeyhint: 'send' });
  const who = h('input.who', { maxlength: 24, autocomplete: 'off', hidden: true });
  const scopeSel = h('select.scope', { onchange: () => setScope(scopeSel.value) });
  const tabs = h('div.tabs', { role: 'tablist' });
  const form = h('form.say', {
    onsubmit: (ev) => {
      ev.preventDefault();
      send();
    },
  }, scopeSel, who, input, h('button.send', { type: 'submit' }, icon('chat')));
  const toggle = h('button.chat-toggle', { onclick: () => root.classList.toggle('open') }, icon('chat'));
  root.append(toggle, tabs, log, form);

  input.addEventListener('focus', () => root.classList.add('open', 'typing'));
  input.addEventListener('blur', () => root.classList.remove('typing'));
  input.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') input.blur();
  });

  function setScope(s) {
    scope = s;
    scopeSel.value = s;
    who.hidden = s !== 'whisper';
  }

  function labels() {
    fill(tabs, TABS.map((k) => h('button.tab', {
      role: 'tab', class: k === filter ? 'active' : '', 'aria-selected': String(k === filter),
      onclick: () => { filter = k; root.dataset.filter = k; labels(); scrollDown(true); },
    }, t(`chat.${k}`))));
    fill(scopeSel, ['say', 'party', 'whisper'].map((s) => h('option', { value: s, selected: s === scope }, t(`chat.${s}`))));
    input.placeholder = t('chat.ph');
    who.placeholder = t('chat.whoPh');
    empty.textContent = t('chat.empty');
  }

  function atBottom() {
    return log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  }

  function scrollDown(force) {
    if (force || atBottom()) log.scrollTop = log.scrollHeight;
  }

  function category(line) {
    if (line.kind === 'bot' || /^\[BOT\]/.test(line.text || '')) return 'bot';
    if (line.kind === 'system') return 'system';
    return 'people';
  }

  function textWithMentions(text, myName) {
    const parts = [];
    const re = /@[^\s@.,!?;:)]{1,24}/g;
    let last = 0;
    let m;
    while ((m = re.exec(text))) {
      if (m.index > last) parts.push(text.slice(last, m.index));
      const mine = myName && m[0].slice(1).toLowerCase().startsWith(myName.toLowerCase().split(' ')[0]);
      parts.push(h(`span.at${mine ? '.me' : ''}`, m[0]));
      last = m.index + m[0].length;
    }
    if (last < text.length) parts.push(text.slice(last));
    return parts;
  }

  function add(line) {
    if (line.id && seen.has(line.id)) return;
    if (line.id) seen.add(line.id);
    if (line.from && line.from.id) names.set(line.from.id, line.from.name);
    const you = app.model.you || {};
    const stick = atBottom();
    const cat = category(line);
    const text = line.text || '';
    const mention = you.name && line.from && line.from.id !== you.id && text.toLowerCase().includes(`@${you.name.toLowerCase()}`);
    const cls = [`line`, `cat-${cat}`, `scope-${line.scope || 'local'}`];
    if (mention) cls.push('mention');
    if (line.local) cls.push('local-note');
    let prefix = null;
    if (line.scope === 'private') {
      const toMe = line.toPlayerId === you.id;
      prefix = h('span.tag.private', toMe ? t('chat.from', { name: line.from.name }) : t('chat.to', { name: names.get(line.toPlayerId) || nameOfVisible(line.toPlayerId) || lastWhisperTo || '…' }));
      if (toMe) lastWhisperFrom = line.from.name;
    } else if (line.scope === 'party') prefix = h('span.tag.party', t('chat.partyTag'));
    else if (line.thought) prefix = h('span.tag.thought', t('chat.thought'));
    const from = line.from && line.kind !== 'system'
      ? h('button.from', { onclick: () => line.from.id !== you.id && whisperTo(line.from.name) }, line.from.name)
      : null;
    const time = new Date(line.at ? line.at - app.model.serverOffset : Date.now());
    const el = h(`div.${cls.join('.')}`,
      h('span.time', `${String(time.getHours()).padStart(2, '0')}:${String(time.getMinutes()).padStart(2, '0')}`),
      prefix, from, from ? ': ' : null, h('span.msg', textWithMentions(text, you.name)));
    empty.remove();
    log.append(el);
    while (log.children.length > MAX_LINES) log.firstChild.remove();
    if (stick) scrollDown(true);
  }

  function nameOfVisible(id) {
    const e = app.model.entities.get(id);
    return e ? e.name : null;
  }

  function local(text) {
    add({ kind: 'system', scope: 'local', text, local: true, from: { id: 'system', name: 'Town' } });
  }

  async function send() {
    let text = input.value.trim();
    if (!text) return;
    let kind = scope;
    let to = who.value.trim();
    let m;
    if ((m = text.match(/^\/(?:w|whisper|msg|tell)\s+(\S+)\s+([\s\S]+)/i))) {
      kind = 'whisper';
      to = m[1];
      text = m[2];
    } else if ((m = text.match(/^\/r(?:eply)?\s+([\s\S]+)/i))) {
      kind = 'whisper';
      to = lastWhisperFrom || to;
      text = m[1];
    } else if ((m = text.match(/^\/p(?:arty)?\s+([\s\S]+)/i))) {
      kind = 'party';
      text = m[1];
    } else if ((m = text.match(/^\/(?:s|say)\s+([\s\S]+)/i))) {
      kind = 'say';
      text = m[1];
    } else if ((m = text.match(/^\/e(?:mote)?\s+(\w+)/i))) {
      input.value = '';
      app.net.send('emote', { emote: m[1].toLowerCase() });
      return;
    }
    if (kind === 'whisper' && !to) {
      local(t('chat.noTarget'));
      return;
    }
    const type = kind === 'whisper' ? 'whisper' : kind === 'party' ? 'party_chat' : 'chat';
    if (kind === 'whisper') lastWhisperTo = to;
    const fields = kind === 'whisper' ? { to, text } : { text };
    input.value = '';
    const ack = await app.net.request(type, fields);
    if (!ack.ok) {
      if (!input.value) input.value = text;
      const err = ack.error || ack.message || '';
      if (err === 'rate limited' || err === 'rate_limited') local(t('chat.rate'));
      else if (app.errText) local(app.errText(err));
    } else if (kind === 'whisper') {
      who.value = to;
      if (ack.to) names.set(ack.to, to);
    }
  }

  function whisperTo(name) {
    setScope('whisper');
    who.value = name;
    focus();
  }

  function focus() {
    root.classList.add('open');
    input.focus();
  }

  labels();
  root.dataset.filter = filter;
  on('chat', (lines) => lines.forEach(add));
  on('note', (note) => {
    if (note.kind === 'thought') {
      const you = app.model.you;
      add({ id: `n${note.id}`, kind: 'bot', scope: 'owner', thought: true, at: note.at, text: note.text, from: { id: you.id, name: you.name } });
    }
  });
  on('lang', labels);
  on('hello', () => scrollDown(true));

  app.chat = { focus, whisperTo, local };
}
