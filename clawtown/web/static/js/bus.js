// bus.js — a tiny publish/subscribe hub, so modules can talk without importing each other.
// Topics used: frame, net, hello, enter, world, you, party, chat, note, fx, achievement,
// lang, toast, session, target, dock.

const handlers = new Map();

export function on(topic, fn) {
  if (!handlers.has(topic)) handlers.set(topic, new Set());
  handlers.get(topic).add(fn);
  return () => off(topic, fn);
}

export function off(topic, fn) {
  const set = handlers.get(topic);
  if (set) set.delete(fn);
}

export function emit(topic, data) {
  const set = handlers.get(topic);
  if (!set) return;
  for (const fn of [...set]) fn(data);
}
