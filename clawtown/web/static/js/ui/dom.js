// dom.js — small DOM helpers: h() builds elements, $ finds one, toast() shows a short message,
// copyText() copies with a fallback, and tooltips for anything with data-tip.

import { on } from '../bus.js';

/** h('button.primary', {onclick, title}, 'text', child…) */
export function h(tag, attrs, ...children) {
  const [name, ...classes] = tag.split('.');
  const el = document.createElement(name || 'div');
  if (classes.length) el.className = classes.join(' ');
  if (attrs && (typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className += ` ${v}`;
    else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k in el && (typeof v !== 'string' || k === 'value')) el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c == null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export const $ = (sel, root = document) => root.querySelector(sel);

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

/** Replace an element's children. */
export function fill(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}

let toastBox = null;

export function toast(text, kind = 'info', ms = 2600) {
  if (!toastBox) toastBox = $('#toasts');
  if (!toastBox) return;
  const el = h(`div.toast.${kind}`, { role: 'status' }, text);
  toastBox.append(el);
  while (toastBox.children.length > 4) toastBox.firstChild.remove();
  setTimeout(() => el.classList.add('out'), ms);
  setTimeout(() => el.remove(), ms + 400);
}

on('toast', (m) => toast(m.text, m.kind, m.ms));

export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch (e) {
    const ta = h('textarea', { style: { position: 'fixed', left: '-9999px' } });
    ta.value = text;
    document.body.append(ta);
    ta.select();
    let ok = false;
    try { ok = document.execCommand('copy'); } catch (err) { ok = false; }
    ta.remove();
    return ok;
  }
}

/** One floating tooltip for every element with data-tip (mouse) — touch shows it on tap. */
export function installTooltips() {
  const tip = $('#tooltip');
  if (!tip) return;
  let owner = null;
  const show = (el) => {
    owner = el;
    tip.textContent = el.dataset.tip;
    tip.hidden = false;
    const r = el.getBoundingClientRect();
    const w = tip.offsetWidth;
    const x = Math.min(Math.max(8, r.left + r.width / 2 - w / 2), window.innerWidth - w - 8);
    const above = r.top - tip.offsetHeight - 8;
    tip.style.left = `${x}px`;
    tip.style.top = `${above > 8 ? above : r.bottom + 8}px`;
  };
  const hide = () => { owner = null; tip.hidden = true; };
  document.addEventListener('pointerover', (ev) => {
    const el = ev.target.closest && ev.target.closest('[data-tip]');
    if (el && el !== owner && ev.pointerType === 'mouse') show(el);
    else if (!el && owner) hide();
  });
  document.addEventListener('click', (ev) => {
    const el = ev.target.closest && ev.target.closest('[data-tip]');
    if (el && ev.pointerType !== 'mouse') show(el);
    else if (!el) hide();
  });
  document.addEventListener('scroll', hide, true);
}

export function bar(cls, frac, text) {
  const pct = `${Math.round(Math.min(1, Math.max(0, frac)) * 1000) / 10}%`;
  return h(`div.bar.${cls}`, h('div.fill', { style: { width: pct } }), h('span', text));
}
