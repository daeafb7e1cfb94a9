// party.js — the Party panel: create or join by code, copy an invite link (/?party=CODE),
// members with level, job, HP and where they are, leader tools (summon an elite, promote),
// and leaving. Joining from a link happens in main.js once the socket is up.

import { on } from '../bus.js';
import { t } from '../i18n.js';
import { h, toast, copyText, bar } from './dom.js';
import { icon } from './icons.js';
import { inviteLink } from '../session.js';

export function mountParty(app) {
  let link = '';
  const codeInput = h('input.code', { maxlength: 12, autocomplete: 'off', autocapitalize: 'characters' });
  const linkInput = h('input.invite-link', { readonly: true, onclick: (ev) => ev.target.select() });

  async function act(type, fields = {}) {
    const ack = await app.net.request(type, fields);
    if (!ack.ok) toast(app.errText(ack.error || ''), 'warn');
    return ack;
  }

  async function invite() {
    const ack = await act('party_invite');
    if (!ack.ok || !ack.joinCode) return;
    link = inviteLink(ack.joinCode);
    linkInput.value = link;
    const ok = await copyText(link);
    if (ok) toast(t('party.copied'), 'good');
    app.dock.refresh('party');
  }

  async function join() {
    const code = codeInput.value.trim().toUpperCase();
    if (!code) return;
    const ack = await act('party_join', { code });
    if (ack.ok) {
      codeInput.value = '';
      toast(t('party.joined'), 'good');
    }
  }

  function render() {
    const you = app.model.you || {};
    const party = app.model.party;
    if (!party || !you.partyId) {
      return [
        h('p.hint', t('party.none')),
        h('button.primary.big', { onclick: () => act('party_create') }, icon('party'), t('party.create')),
        h('div.row', codeInput, h('button', { onclick: join }, t('party.join'))),
        h('p.hint.small', t('party.shareHint')),
      ];
    }
    codeInput.placeholder = t('party.codePh');
    const leader = party.leaderId === you.id;
    return [
      h('h3', t('party.members'), h('span.right', `${party.members.length}`)),
      h('ul.members', party.members.map((m) => h('li.member', { class: m.online === false ? 'off' : '' },
        h('div.m-top',
          m.id === party.leaderId ? icon('crown', 'ico crown') : null,
          h('span.m-name', m.name || '…'), h('span.m-lv', m.level ? `Lv${m.level} ${t(`job.${m.job}`)}` : ''),
          m.online === false ? h('span.m-off', t('party.offline')) : null,
          leader && m.id !== you.id && m.online !== false
            ? h('button.mini', { onclick: () => act('party_promote', { memberId: m.id }) }, t('party.promote')) : null),
        m.maxHp ? bar('hp', m.hp / m.maxHp, `${m.hp}/${m.maxHp}`) : null,
        m.map ? h('div.m-where', `${m.map}${m.channel ? ` · ${t('map.channel', { n: m.channel })}` : ''}${m.mode === 'agent' ? ' · H' : ''}`) : null))),
      leader ? h('button.primary', { onclick: invite }, icon('copy'), t('party.invite')) : null,
      link ? h('div.row', linkInput, h('button.mini', { onclick: async () => { if (await copyText(link)) toast(t('party.copied'), 'good'); } }, icon('copy'))) : null,
      leader ? h('p.hint.small', t('party.shareHint')) : null,
      leader ? h('button', { onclick: async () => { const a = await act('party_summon'); if (a.ok) toast(t('party.summoned'), 'good'); } }, icon('crown'), t('party.summon')) : null,
      h('p.hint.small', t('party.chatHint')),
      h('button.danger', { onclick: () => { link = ''; act('party_leave'); } }, t('party.leave')),
    ];
  }

  app.dock.register('party', 'party', { render });
  on('party', () => app.dock.refresh('party'));
  on('you', () => app.dock.refresh('party'));
}
