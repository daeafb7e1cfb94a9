// main.js — starts the browser client: builds the model, socket, renderer and panels, routes
// server frames to them, runs the frame loop, and handles the character life cycle (create,
// resume from localStorage, switch), pending party invites and sorting-hat answers.

import { on, emit } from './bus.js';
import { Model } from './model.js';
import { GameSocket, rest } from './net.js';
import { Renderer } from './render/render.js';
import { Minimap } from './render/minimap.js';
import { Skills } from './skills.js';
import { installKeyboard } from './input/keyboard.js';
import { installPointer } from './input/pointer.js';
import { Joystick } from './input/joystick.js';
import { t, has, lang, apply as applyI18n } from './i18n.js';
import { loadSession, saveSession, clearSession, takePartyFromUrl, pendingParty, clearPendingParty } from './session.js';
import { $, toast, installTooltips } from './ui/dom.js';
import { mountHud } from './ui/hud.js';
import { mountHotbar } from './ui/hotbar.js';
import { mountChat } from './ui/chat.js';
import { mountDock } from './ui/dock.js';
import { mountInventory } from './ui/inventory.js';
import { mountStats } from './ui/stats.js';
import { mountCraft } from './ui/craft.js';
import { mountParty } from './ui/party.js';
import { mountBoard } from './ui/board.js';
import { mountBot } from './ui/bot.js';
import { mountHat } from './ui/hat.js';
import { mountSettings } from './ui/settings.js';
import { mountOnboarding } from './ui/onboarding.js';

const model = new Model();
const net = new GameSocket();
const renderer = new Renderer($('#game'), model);
const app = { model, net, renderer, session: null, pendingHat: null, hellos: 0 };
app.skills = new Skills(app);
renderer.targetFn = () => app.skills.target();
const minimap = new Minimap($('#minimap'), model, renderer.cam);
window.__ct = app;

app.errText = (code) => {
  const c = String(code || '').trim();
  if (has(`err.${c}`)) return t(`err.${c}`);
  if (has(`reason.${c}`)) return t(`reason.${c}`);
  return t('err.generic', { msg: c || '?' });
};

app.setMode = async (mode) => {
  const ack = await net.request('mode', { mode });
  if (!ack.ok) toast(app.errText(ack.error || ''), 'warn');
};

app.createCharacter = async (name, job, hatAnswers) => {
  const r = await rest.createPlayer(name, job);
  app.session = { playerId: r.playerId, sessionToken: r.sessionToken, name: (r.player && r.player.name) || name };
  saveSession(app.session);
  app.pendingHat = hatAnswers;
  connect();
};

app.resume = (saved) => {
  app.session = saved;
  connect();
};

app.logout = () => {
  net.stop();
  app.dock.close();
  app.onboarding.show();
};

function connect() {
  $('#app').classList.add('playing');
  net.stop();
  net.start(app.session.sessionToken);
}

// ---- server frames -----------------------------------------------------------------------
let wasOnline = false;
on('frame', (msg) => {
  switch (msg.t) {
    case 'hello':
    case 'enter': {
      const sameMap = model.map && msg.map && model.map.id === msg.map.id && model.instance.key === (msg.instance || {}).key;
      model.apply(msg);
      renderer.reset();
      app.skills.locked = null;
      emit(msg.t, msg);
      if (msg.t === 'hello') afterHello();
      else if (!sameMap) toast(t('toast.entered', { map: model.map.name }), 'map');
      break;
    }
    case 'sync': {
      const fx = model.apply(msg);
      for (const f of fx) renderer.effects.add(f, model);
      break;
    }
    case 'you': {
      const before = model.you || {};
      model.you = msg.you;
      if (!msg.you.partyId) model.party = null;
      if (before.name !== msg.you.name && app.session) {
        app.session.name = msg.you.name;
        saveSession(app.session);
      }
      if (!before.knockedOutUntil && msg.you.knockedOutUntil) toast(t('toast.ko'), 'warn');
      emit('you', msg.you);
      break;
    }
    case 'party':
      model.party = msg.party;
      emit('party', msg.party);
      break;
    case 'chat':
      emit('chat', msg.lines || []);
      break;
    case 'note':
      onNote(msg.note || {});
      emit('note', msg.note || {});
      break;
    case 'achievement':
      toast(t('toast.achievement', { title: msg.title }), 'good', 4000);
      break;
    case 'board': {
      const known = new Set((model.board || []).map((p) => p.id));
      model.board = (model.board || []).concat((msg.posts || []).filter((p) => !known.has(p.id))).slice(-50);
      emit('board', model.board);
      break;
    }
    case 'error':
      if (msg.re == null && msg.code === 'busy') toast(app.errText('rate_limited'), 'warn');
      break;
    default:
  }
});

function onNote(note) {
  const data = note.data || {};
  if (note.kind === 'level') toast(t('toast.level', { n: data.level }), 'level', 3500);
  else if (note.kind === 'mention') toast(t('toast.mention', { name: (data.from && data.from.name) || '?' }), 'mention');
  else if (note.kind === 'whisper') toast(t('toast.whisper', { name: (data.from && data.from.name) || '?' }), 'mention');
}

async function afterHello() {
  const you = model.you;
  app.hellos += 1;
  document.title = `${you.name} · Clawtown`;
  if (app.session && app.session.name !== you.name) {
    app.session.name = you.name;
    saveSession(app.session);
  }
  if (wasOnline) toast(t('net.back'), 'good');
  wasOnline = true;
  net.send('set_lang', { lang: lang() });
  const code = pendingParty();
  if (code) {
    const ack = await net.request('party_join', { code });
    if (ack.ok || (ack.error && ack.error !== 'offline' && ack.error !== 'timeout')) clearPendingParty();
    if (ack.ok) toast(t('party.joined'), 'good');
    else if (ack.error !== 'offline') toast(app.errText(ack.error), 'warn');
  }
  if (app.pendingHat) {
    const answers = app.pendingHat;
    app.pendingHat = null;
    const ack = await net.request('hat_submit', { answers });
    if (ack.ok) {
      app.hatResult(ack);
      app.dock.open('hat');
    }
  }
}

on('net', (st) => {
  document.body.dataset.net = st.state;
  if (st.state === 'auth') {
    clearSession();
    $('#app').classList.remove('playing');
    app.onboarding.show(t('ob.lost'));
  }
});

// ---- panels and input ---------------------------------------------------------------------
mountHud(app);
mountDock(app);
mountChat(app);
mountHotbar(app);
mountInventory(app);
mountStats(app);
mountCraft(app);
mountParty(app);
mountBoard(app);
mountBot(app);
mountHat(app);
mountSettings(app);
mountOnboarding(app);
app.dock.refresh();
installTooltips();
installKeyboard(app);
installPointer(app);
app.joystick = new Joystick($('#joystick'));
applyI18n(document);

$('#minimap').addEventListener('click', (ev) => {
  const r = ev.target.getBoundingClientRect();
  const w = minimap.toWorld(ev.clientX - r.left, ev.clientY - r.top);
  if (w && net.send('goal', { x: Math.round(w.x), y: Math.round(w.y) })) renderer.goal = { ...w, t0: performance.now() };
});

/** Keep yourself in the part of the screen that panels leave free. */
function refocus() {
  const dock = $('#dock');
  const chat = $('#chat');
  let x = 0;
  let y = 0;
  if (!dock.hidden) {
    const r = dock.getBoundingClientRect();
    if (r.width >= window.innerWidth * 0.9) y = r.height / 2;
    else x = r.width / 2;
  } else if (chat.classList.contains('open') && window.innerWidth <= 700) {
    y = chat.getBoundingClientRect().height / 2;
  }
  renderer.focus = { x, y };
}
on('dock', () => requestAnimationFrame(refocus));
new MutationObserver(() => refocus()).observe($('#chat'), { attributes: true, attributeFilter: ['class'] });

const resize = () => {
  renderer.resize();
  refocus();
};
window.addEventListener('resize', resize);
if (window.visualViewport) window.visualViewport.addEventListener('resize', resize);
document.addEventListener('visibilitychange', () => { if (!document.hidden) net.retryNow(); });
window.addEventListener('online', () => net.retryNow());

function loop(now) {
  try {
    app.skills.tick(now);
    renderer.frame(now);
    minimap.draw(now);
  } finally {
    requestAnimationFrame(loop);
  }
}
requestAnimationFrame(loop);

// ---- start -------------------------------------------------------------------------------
takePartyFromUrl();
const saved = loadSession();
if (saved) app.resume(saved);
else app.onboarding.show();
