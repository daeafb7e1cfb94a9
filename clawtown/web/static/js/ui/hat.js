// hat.js — the Sorting Hat quiz (questions from /api/hat/questions, in English or Chinese):
// a reusable form used by the onboarding screen and the Hat panel, and the panel itself,
// which sends `hat_submit` and shows the job and signature spell the hat picked.

import { on } from '../bus.js';
import { t, lang } from '../i18n.js';
import { h, toast } from './dom.js';
import { icon } from './icons.js';
import { rest } from '../net.js';
import { portraitUrl } from '../render/sprites.js';

let questions = null;
let loading = null;

export function loadQuestions() {
  if (questions) return Promise.resolve(questions);
  if (!loading) {
    loading = rest.hatQuestions().then((r) => { questions = r.questions; return questions; })
      .catch(() => { loading = null; return null; });
  }
  return loading;
}

/** A quiz form. `onChange(answers, complete)` after every pick. */
export function quizForm(answers, onChange, rerender) {
  if (!questions) {
    loadQuestions().then(() => rerender && rerender());
    return h('p.hint', t('hat.loading'));
  }
  const L = lang();
  return h('div.quiz', questions.map((q, i) => h('fieldset.q',
    h('legend', h('span.qn', String(i + 1)), q.prompt[L] || q.prompt.en),
    q.kind === 'choice'
      ? h('div.options', q.options.map((o) => h('button.opt', {
        type: 'button', class: answers[q.id] === o.value ? 'picked' : '', dataset: { q: q.id, v: o.value },
        onclick: (ev) => {
          answers[q.id] = o.value;
          for (const b of ev.target.closest('.options').children) b.classList.toggle('picked', b === ev.target.closest('.opt'));
          onChange(answers, complete(answers));
        },
      }, o[L] || o.en)))
      : h('input.free', {
        maxlength: q.max_length || 240, placeholder: t('hat.freePh'), value: answers[q.id] || '',
        oninput: (ev) => { answers[q.id] = ev.target.value; onChange(answers, complete(answers)); },
      }))));
}

export function complete(answers) {
  return (questions || []).filter((q) => q.required).every((q) => answers[q.id]);
}

export function resultCard(r) {
  if (!r || !r.job) return null;
  return h('div.hat-result',
    h('img', { src: portraitUrl(r.job, 0, 96), alt: '' }),
    h('div',
      h('div.hr-title', t('hat.result')),
      h('div.hr-job', t('hat.job', { job: t(`job.${r.job}`) })),
      r.signature ? h('div.hr-sig', t('hat.signature', { name: r.signature.name })) : null,
      r.signature && r.signature.tagline ? h('div.hr-tag', r.signature.tagline) : null,
      r.jobSkill ? h('div.hr-skill', t('hat.skill', { name: r.jobSkill.name })) : null));
}

export function mountHat(app) {
  const answers = {};
  let result = null;
  let busy = false;

  async function submit() {
    if (!complete(answers)) {
      toast(t('hat.needAll'), 'warn');
      return;
    }
    busy = true;
    app.dock.refresh('hat');
    const ack = await app.net.request('hat_submit', { answers: { ...answers, free: answers.free || '' } });
    busy = false;
    if (ack.ok) result = ack;
    else toast(app.errText(ack.error || ack.message || ''), 'warn');
    app.dock.refresh('hat');
  }

  function render() {
    if (result) {
      return [resultCard(result), h('button', { onclick: () => { result = null; app.dock.refresh('hat'); } }, t('hat.again'))];
    }
    return [
      h('p.hint', t('hat.intro')),
      quizForm(answers, () => {}, () => app.dock.refresh('hat')),
      h('button.primary.big', { disabled: busy, onclick: submit }, icon('hat'), t('hat.submit')),
    ];
  }

  app.dock.register('hat', 'hat', { render });
  app.hatResult = (r) => { result = r; };
  on('lang', () => app.dock.refresh('hat'));
}
