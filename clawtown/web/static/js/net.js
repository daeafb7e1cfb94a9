// net.js — talking to the server: JSON REST calls under /api and the game WebSocket
// (/ws?token=…) with acks for `seq`, and reconnection with backoff after any drop.
// Emits `frame` for every server frame and `net` for connection state changes.

import { emit } from './bus.js';

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

export async function api(path, { method = 'GET', token, json, body, type } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  let payload = body;
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(json);
  } else if (type) {
    headers['Content-Type'] = type;
  }
  let res;
  try {
    res = await fetch(`/api${path}`, { method, headers, body: payload, cache: 'no-store' });
  } catch (e) {
    throw new ApiError(0, { error: 'network error' });
  }
  let data = null;
  try { data = await res.json(); } catch (e) { data = null; }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

export const rest = {
  createPlayer: (name, job) => api('/players', { method: 'POST', json: { name, job } }),
  joinCodes: (token) => api('/join-codes', { method: 'POST', token }),
  meBot: (token) => api('/me/bot', { token }),
  hatQuestions: () => api('/hat/questions'),
  uploadAvatar: (token, blob) => api('/me/avatar', { method: 'POST', token, body: blob, type: blob.type || 'image/png' }),
  linkBot: (joinToken) => api('/bot/link', { method: 'POST', json: { joinToken } }),
};

const BACKOFF_MS = [300, 800, 1600, 3000, 5000];
const ACK_TIMEOUT_MS = 8000;

export class GameSocket {
  constructor() {
    this.ws = null;
    this.token = null;
    this.seq = 0;
    this.pending = new Map();
    this.attempt = 0;
    this.timer = 0;
    this.stopped = true;
    this.state = 'idle';
    this.retryAt = 0;
    this.everOnline = false;
  }

  start(token) {
    this.token = token;
    this.stopped = false;
    this.attempt = 0;
    this.open();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    const ws = this.ws;
    this.ws = null;
    if (ws) ws.close(1000, 'bye');
    this.failPending('stopped');
    this.setState('idle');
  }

  open() {
    clearTimeout(this.timer);
    if (this.stopped || !this.token) return;
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${proto}//${location.host}/ws?token=${encodeURIComponent(this.token)}`);
    this.ws = ws;
    this.setState(this.everOnline ? 'reconnecting' : 'connecting');
    ws.onmessage = (ev) => { if (this.ws === ws) this.onFrame(ev.data); };
    ws.onclose = (ev) => { if (this.ws === ws) this.onClose(ev); };
    ws.onerror = () => { /* a close event follows */ };
  }

  /** Try again at once (the tab became visible, or the player pressed "retry"). */
  retryNow() {
    if (!this.stopped && (!this.ws || this.ws.readyState > 1)) {
      this.attempt = Math.min(this.attempt, 1);
      this.open();
    }
  }

  onFrame(text) {
    let msg;
    try { msg = JSON.parse(text); } catch (e) { return; }
    if (!msg || typeof msg.t !== 'string') return;
    if (msg.t === 'hello') {
      this.attempt = 0;
      this.everOnline = true;
      this.setState('online');
    }
    if ((msg.t === 'ack' || msg.t === 'error') && msg.re != null) {
      const waiter = this.pending.get(msg.re);
      if (waiter) {
        this.pending.delete(msg.re);
        clearTimeout(waiter.timer);
        waiter.resolve(msg.t === 'ack' ? msg : { ok: false, error: msg.code, message: msg.message, retryInMs: msg.retryInMs });
      }
    }
    emit('frame', msg);
  }

  onClose(ev) {
    this.ws = null;
    this.failPending('offline');
    if (ev.code === 4001) {
      this.stopped = true;
      this.setState('auth');
      return;
    }
    if (ev.code === 4003) {
      this.stopped = true;
      this.setState('kicked');
      return;
    }
    if (this.stopped) return;
    const base = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    this.attempt += 1;
    this.retryAt = Date.now() + delay;
    this.setState('offline');
    this.timer = setTimeout(() => this.open(), delay);
  }

  setState(state) {
    this.state = state;
    emit('net', { state, retryAt: this.retryAt, everOnline: this.everOnline });
  }

  get online() {
    return this.state === 'online' && this.ws && this.ws.readyState === 1;
  }

  /** Fire and forget; false when not connected. */
  send(t, fields = {}) {
    if (!this.online) return false;
    this.ws.send(JSON.stringify({ t, ...fields }));
    return true;
  }

  /** Send with a `seq` and resolve with the ack (or a refusal) — never rejects. */
  request(t, fields = {}) {
    if (!this.online) return Promise.resolve({ ok: false, error: 'offline' });
    const seq = ++this.seq;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(seq);
        resolve({ ok: false, error: 'timeout' });
      }, ACK_TIMEOUT_MS);
      this.pending.set(seq, { resolve, timer });
      this.ws.send(JSON.stringify({ t, seq, ...fields }));
    });
  }

  failPending(error) {
    for (const [, waiter] of this.pending) {
      clearTimeout(waiter.timer);
      waiter.resolve({ ok: false, error });
    }
    this.pending.clear();
  }
}
