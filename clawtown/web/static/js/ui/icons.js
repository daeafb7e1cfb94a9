// icons.js — small inline SVG icons for buttons and tabs (no icon fonts, no emoji needed).

const P = {
  bag: '<path d="M7 8V6a5 5 0 0 1 10 0v2" fill="none" stroke="currentColor" stroke-width="2"/><rect x="4" y="8" width="16" height="13" rx="4" fill="currentColor"/><rect x="9" y="12" width="6" height="3" rx="1.5" fill="#fff" opacity=".8"/>',
  stats: '<rect x="4" y="12" width="4" height="8" rx="1.5" fill="currentColor"/><rect x="10" y="7" width="4" height="13" rx="1.5" fill="currentColor"/><rect x="16" y="3" width="4" height="17" rx="1.5" fill="currentColor"/>',
  craft: '<path d="M4 20l8-8" stroke="currentColor" stroke-width="3" stroke-linecap="round"/><rect x="11" y="3" width="10" height="6" rx="2" transform="rotate(45 16 6)" fill="currentColor"/>',
  party: '<circle cx="8" cy="8" r="3.5" fill="currentColor"/><circle cx="16.5" cy="9" r="3" fill="currentColor" opacity=".75"/><path d="M2 20c0-4 3-6.5 6-6.5s6 2.5 6 6.5z" fill="currentColor"/><path d="M13 20c.3-3.5 2-5.5 4-5.5s4 2 4.5 5.5z" fill="currentColor" opacity=".75"/>',
  board: '<rect x="4" y="3" width="16" height="18" rx="3" fill="currentColor"/><path d="M8 8h8M8 12h8M8 16h5" stroke="#fff" stroke-width="1.8" stroke-linecap="round" opacity=".9"/>',
  bot: '<rect x="4" y="8" width="16" height="12" rx="4" fill="currentColor"/><circle cx="9" cy="14" r="1.8" fill="#fff"/><circle cx="15" cy="14" r="1.8" fill="#fff"/><path d="M12 8V4" stroke="currentColor" stroke-width="2"/><circle cx="12" cy="3.5" r="1.8" fill="currentColor"/>',
  hat: '<path d="M3 18c3 1.5 15 1.5 18 0l-3-2-4-12c-1-1-3-1-4 1l-3 11z" fill="currentColor"/><path d="M7.6 15.5c3 1 6 1 8.8 0" stroke="#ffd35a" stroke-width="1.8" fill="none"/>',
  settings: '<path d="M12 2l2 3 3.5-.5.5 3.5 3 2-2 3 .5 3.5-3.5.5-2 3-3-2-3 2-2-3-3.5-.5.5-3.5-2-3 3-2 .5-3.5L10 5z" fill="currentColor"/><circle cx="12" cy="12" r="3.2" fill="#fff"/>',
  chat: '<path d="M4 5h16a2 2 0 0 1 2 2v8a2 2 0 0 1-2 2h-8l-5 4v-4H4a2 2 0 0 1-2-2V7a2 2 0 0 1 2-2z" fill="currentColor"/>',
  close: '<path d="M6 6l12 12M18 6L6 18" stroke="currentColor" stroke-width="2.6" stroke-linecap="round"/>',
  smile: '<circle cx="12" cy="12" r="9" fill="currentColor"/><circle cx="9" cy="10" r="1.4" fill="#fff"/><circle cx="15" cy="10" r="1.4" fill="#fff"/><path d="M8 14c2 2.5 6 2.5 8 0" stroke="#fff" stroke-width="1.8" fill="none" stroke-linecap="round"/>',
  pin: '<path d="M12 22s7-7 7-12a7 7 0 0 0-14 0c0 5 7 12 7 12z" fill="currentColor"/><circle cx="12" cy="10" r="2.6" fill="#fff"/>',
  copy: '<rect x="8" y="8" width="12" height="13" rx="2.5" fill="none" stroke="currentColor" stroke-width="2"/><path d="M5 16V5a2 2 0 0 1 2-2h9" fill="none" stroke="currentColor" stroke-width="2"/>',
  crown: '<path d="M3 18l2-11 5 5 2-7 2 7 5-5 2 11z" fill="currentColor"/>',
  menu: '<path d="M4 7h16M4 12h16M4 17h16" stroke="currentColor" stroke-width="2.6" stroke-linecap="round"/>',
  sword: '<path d="M14 4l6-1-1 6-9 9-4-4z" fill="currentColor"/><path d="M4 16l4 4M3 21l3-3" stroke="currentColor" stroke-width="2.2" stroke-linecap="round"/>',
  fire: '<path d="M12 2c1 4 6 6 6 12a6 6 0 0 1-12 0c0-3 2-5 3-6 0 2 1 3 2 3 0-3-1-6 1-9z" fill="currentColor"/>',
  snow: '<path d="M12 2v20M3.3 7l17.4 10M3.3 17L20.7 7" stroke="currentColor" stroke-width="2.2" stroke-linecap="round"/>',
  arrow: '<path d="M4 20L19 5" stroke="currentColor" stroke-width="2.4" stroke-linecap="round"/><path d="M20 4l-7 1 6 6z" fill="currentColor"/><path d="M4 20l1-4M4 20l4-1" stroke="currentColor" stroke-width="2" stroke-linecap="round"/>',
  swirl: '<path d="M12 12m-8 0a8 8 0 1 0 16 0a6 6 0 1 0-12 0a4 4 0 1 0 8 0" fill="none" stroke="currentColor" stroke-width="2.4" stroke-linecap="round"/>',
  dagger: '<path d="M6 18L17 7l2-3-3 2L5 17z" fill="currentColor"/><path d="M4 20l3-3M8 14l2 2" stroke="currentColor" stroke-width="2.2" stroke-linecap="round"/><path d="M15 15l4 4M11 19l4-4" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" opacity=".7"/>',
  note: '<path d="M9 18V5l11-2v13" fill="none" stroke="currentColor" stroke-width="2.2"/><circle cx="6.5" cy="18" r="3" fill="currentColor"/><circle cx="17.5" cy="16" r="3" fill="currentColor"/>',
  robot: '<rect x="5" y="7" width="14" height="11" rx="3" fill="currentColor"/><circle cx="9.5" cy="12.5" r="1.6" fill="#fff"/><circle cx="14.5" cy="12.5" r="1.6" fill="#fff"/><path d="M12 7V4" stroke="currentColor" stroke-width="2"/>',
  upload: '<path d="M12 16V4M7 9l5-5 5 5" stroke="currentColor" stroke-width="2.4" fill="none" stroke-linecap="round" stroke-linejoin="round"/><path d="M4 16v3a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2v-3" stroke="currentColor" stroke-width="2.4" fill="none" stroke-linecap="round"/>',
  claw: '<path d="M3.5 21.5c-.6-2.6.2-5 2.2-6.6l2.2-1.7c-.9-3.6.6-7.6 4.1-9.4 2.3-1.2 5-1.2 7.2 0l-3.4 3.1c-1.6 1.5-1.6 3.5-.1 4.3l3.8-1.2c.4 2.9-1.3 5.6-4.2 6.5-2.1.7-4.2.2-5.6-1.1l-2 1.9c-1.2 1.2-2.1 2.6-2.3 4.2z" fill="#ff6b5b" stroke="#c2413a" stroke-width="1.1" stroke-linejoin="round"/><circle cx="11.6" cy="8.2" r="1.1" fill="#fff" opacity=".85"/>',
  coin: '<circle cx="12" cy="12" r="9" fill="#ffd447" stroke="#c98a12" stroke-width="2"/><circle cx="12" cy="12" r="5" fill="none" stroke="#e0a521" stroke-width="1.6"/>',
};

export function icon(name, cls = 'ico') {
  const span = document.createElement('span');
  span.className = cls;
  span.innerHTML = `<svg viewBox="0 0 24 24" aria-hidden="true">${P[name] || P.smile}</svg>`;
  return span;
}
