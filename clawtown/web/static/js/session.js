// session.js — the character kept in this browser (localStorage) and a pending party invite.
// The secret session token never goes into a page URL; `/?party=CODE` is read once, kept in
// sessionStorage until the socket is up, and removed from the address bar.

const KEY = 'clawtown.session';
const PARTY_KEY = 'clawtown.pendingParty';

export function loadSession() {
  try {
    const s = JSON.parse(localStorage.getItem(KEY) || 'null');
    if (s && typeof s.sessionToken === 'string' && typeof s.playerId === 'string') return s;
  } catch (e) { /* unreadable: start fresh */ }
  return null;
}

export function saveSession(s) {
  localStorage.setItem(KEY, JSON.stringify({ playerId: s.playerId, sessionToken: s.sessionToken, name: s.name || '' }));
}

export function clearSession() {
  localStorage.removeItem(KEY);
}

/** Read `?party=CODE` from the address (once), remember it, and clean the URL. */
export function takePartyFromUrl() {
  const url = new URL(location.href);
  const code = (url.searchParams.get('party') || '').trim().toUpperCase();
  if (url.searchParams.has('party')) {
    url.searchParams.delete('party');
    history.replaceState(null, '', url.pathname + (url.search || '') + url.hash);
  }
  if (/^[A-Z0-9]{4,16}$/.test(code)) sessionStorage.setItem(PARTY_KEY, code);
  return pendingParty();
}

export function pendingParty() {
  return sessionStorage.getItem(PARTY_KEY);
}

export function clearPendingParty() {
  sessionStorage.removeItem(PARTY_KEY);
}

export function inviteLink(code) {
  return `${location.origin}/?party=${encodeURIComponent(code)}`;
}
