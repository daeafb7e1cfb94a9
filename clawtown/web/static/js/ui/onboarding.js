// onboarding.js — the welcome screen: continue with the character saved in this browser, or
// create one (name + job, or let the Sorting Hat choose), with the language switch and a note
// when you arrived through a party invite link.

import { on } from '../bus.js';
import { t, lang, setLang } from '../i18n.js';
import { h, $, fill } from './dom.js';
import { icon } from './icons.js';
import { portraitUrl } from '../render/sprites.js';
import { quizForm, complete, loadQuestions } from './hat.js';
import { loadSession, pendingParty } from '../session.js';

const JOBS = ['novice', 'mage', 'archer', 'knight', 'assassin', 'bard'];

export function mountOnboarding(app) {
  const root = $('#onboarding');
  const nameInput = h('input.ob-name', { maxlength: 24, autocomplete: 'nickname', enterkeyhint: 'go' });
  let job = 'novice';
  let mode = 'pick';
  let creating = false;
  let error = '';
  let notice = '';
  const answers = {};
  nameInput.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') start(); });

  async function start() {
    const name = nameInput.value.trim();
    if (!name) {
      error = t('ob.nameRequired');
      render();
      nameInput.focus();
      return;
    }
    if (mode === 'hat' && !complete(answers)) {
      error = t('hat.needAll');
      render();
      return;
    }
    creating = true;
    error = '';
    render();
    try {
      await app.createCharacter(name, mode === 'hat' ? 'novice' : job, mode === 'hat' ? { ...answers, free: answers.free || '' } : null);
      hide();
    } catch (e) {
      error = app.errText((e.body && e.body.error) || e.message);
    }
    creating = false;
    render();
  }

  function render() {
    nameInput.placeholder = t('ob.namePh');
    const saved = loadSession();
    const showSaved = saved && mode !== 'new-forced';
    const langSwitch = h('div.seg.lang', ['en', 'zh'].map((l) => h('button', {
      class: lang() === l ? 'active' : '', onclick: () => setLang(l),
    }, l === 'en' ? 'EN' : '繁中')));
    const card = h('div.ob-card',
      langSwitch,
      h('div.logo', icon('claw', 'ico logo-ico'), h('span', 'Clawtown')),
      h('p.tagline', t('app.tagline')),
      pendingParty() ? h('p.notice.invite', icon('party'), t('ob.invited')) : null,
      notice ? h('p.notice', notice) : null,
      showSaved ? h('div.saved',
        h('button.primary.big.continue', { onclick: () => { hide(); app.resume(saved); } }, t('ob.continue', { name: saved.name || '…' })),
        h('div.or', h('span', t('ob.or')))) : null,
      h('h2', t('ob.create')),
      h('label.field', h('span', t('ob.name')), nameInput),
      mode === 'hat'
        ? h('div.ob-hat', h('p.hint', t('ob.hatNote')), quizForm(answers, () => { error = ''; }, render))
        : h('div.jobs', { role: 'radiogroup', 'aria-label': t('ob.job') }, JOBS.map((j) => h('button.job', {
          class: j === job ? 'picked' : '', role: 'radio', 'aria-checked': String(j === job), dataset: { job: j },
          onclick: () => { job = j; render(); },
        }, h('img', { src: portraitUrl(j, JOBS.indexOf(j) + 1, 96), alt: '' }), h('b', t(`job.${j}`)), h('small', t(`jobd.${j}`))))),
      error ? h('p.error', error) : null,
      h('div.actions',
        h('button.primary.big.start', { disabled: creating, onclick: start }, creating ? t('ob.creating') : mode === 'hat' ? t('hat.submit') : t('ob.start')),
        h('button.link', { onclick: () => { mode = mode === 'hat' ? 'pick' : 'hat'; error = ''; if (mode === 'hat') loadQuestions(); render(); } },
          icon(mode === 'hat' ? 'party' : 'hat'), mode === 'hat' ? t('ob.job') : t('ob.hat'))));
    fill(root, h('div.ob-sky'), card);
  }

  function show(message = '') {
    notice = message;
    root.hidden = false;
    document.body.classList.add('onboarding');
    render();
  }

  function hide() {
    root.hidden = true;
    document.body.classList.remove('onboarding');
  }

  on('lang', () => { if (!root.hidden) render(); });
  app.onboarding = { show, hide };
}
