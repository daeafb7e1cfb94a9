// items.js — what the client shows about items: translated names, icon kind and stat labels.
// The server stays the authority on what an item does; this is presentation only.

export const ITEM_INFO = {
  zenny: { icon: 'coin', zh: '金幣' },
  jelly: { icon: 'jelly', zh: '波利果凍' },
  leaf: { icon: 'leaf', zh: '綠草葉' },
  fluff: { icon: 'fluff', zh: '絨毛' },
  dagger_1: { icon: 'dagger', zh: '新手短劍' },
  sword_1: { icon: 'sword', zh: '訓練之劍' },
  bow_1: { icon: 'bow', zh: '羽毛弓' },
  rod_1: { icon: 'rod', zh: '學徒法杖' },
  armor_1: { icon: 'vest', zh: '布衣' },
  armor_2: { icon: 'vest2', zh: '襯墊背心' },
  ring_1: { icon: 'ring', zh: '銅戒指' },
  clip_1: { icon: 'clip', zh: '幸運髮夾' },
  sword_2: { icon: 'moon', zh: '月光之刃' },
};

export function itemName(itemId, fallback, lang) {
  const info = ITEM_INFO[itemId];
  if (lang === 'zh' && info && info.zh) return info.zh;
  return fallback || itemId;
}

export function iconKind(itemId, slot) {
  const info = ITEM_INFO[itemId];
  if (info) return info.icon;
  if (slot === 'weapon') return 'sword';
  if (slot === 'armor') return 'vest';
  if (slot === 'accessory') return 'ring';
  return 'jelly';
}

/** Stat lines like "ATK +2", "CRIT +5%". */
export function statLines(stats) {
  const out = [];
  for (const [k, v] of Object.entries(stats || {})) {
    if (!v) continue;
    if (k === 'crit' || k === 'aspd') out.push(`${k.toUpperCase()} +${Math.round(v * 100)}%`);
    else if (k === 'hp') out.push(`Max HP +${v}`);
    else if (k === 'int') out.push(`INT +${v}`);
    else out.push(`${k.toUpperCase()} +${v}`);
  }
  return out;
}
