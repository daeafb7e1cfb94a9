// inventory.js — the Bag panel: equipment slots (weapon, armor, accessory) with unequip,
// the item grid with rarity frames and quantities, and an item card to equip with.
// Tooltips list each item's stats.

import { on } from '../bus.js';
import { t, lang } from '../i18n.js';
import { h, toast } from './dom.js';
import { itemIconUrl } from '../render/itemart.js';
import { itemName, iconKind, statLines } from '../items.js';

const SLOTS = ['weapon', 'armor', 'accessory'];

export function mountInventory(app) {
  let selected = null;

  const tip = (row) => [itemName(row.itemId, row.name, lang()), t(`rarity.${row.rarity}`), ...statLines(row.stats)].join(' · ');

  const cell = (row, extra = {}) => h('button.item', {
    class: `r-${row.rarity}${row.equipped ? ' equipped' : ''}${selected === row.uid ? ' selected' : ''}`,
    'data-tip': tip(row), 'aria-label': itemName(row.itemId, row.name, lang()),
    onclick: () => { selected = selected === row.uid ? null : row.uid; app.dock.refresh('bag'); },
    ...extra,
  }, h('img', { src: itemIconUrl(iconKind(row.itemId, row.slot)), alt: '' }),
  row.qty > 1 ? h('span.qty', String(row.qty)) : null, row.equipped ? h('span.eq', 'E') : null);

  async function act(type, fields) {
    const ack = await app.net.request(type, fields);
    if (!ack.ok) toast(app.errText(ack.error || ack.reason || ''), 'warn');
    selected = null;
    app.dock.refresh('bag');
  }

  function render() {
    const you = app.model.you || {};
    const inv = you.inventory || [];
    const byItem = (itemId) => inv.find((r) => r.itemId === itemId && r.equipped) || inv.find((r) => r.itemId === itemId);
    const equipment = h('div.equipment', SLOTS.map((slot) => {
      const itemId = you.equipment && you.equipment[slot];
      const row = itemId && byItem(itemId);
      return h('div.slot',
        h('div.slot-name', t(`slot.${slot}`)),
        row ? cell(row) : h('div.item.empty', t('inv.nothing')),
        row ? h('div.slot-item', itemName(row.itemId, row.name, lang())) : null,
        row ? h('button.mini', { onclick: () => act('unequip', { slot }) }, t('inv.unequip')) : null);
    }));
    const sel = selected && inv.find((r) => r.uid === selected);
    const card = sel ? h('div.item-card',
      h('img', { src: itemIconUrl(iconKind(sel.itemId, sel.slot), 64), alt: '' }),
      h('div',
        h('div.item-title', { class: `r-${sel.rarity}` }, itemName(sel.itemId, sel.name, lang()), sel.qty > 1 ? ` ×${sel.qty}` : ''),
        h('div.item-meta', t(`rarity.${sel.rarity}`), SLOTS.includes(sel.slot) ? ` · ${t(`slot.${sel.slot}`)}` : ''),
        h('div.item-stats', statLines(sel.stats).join('  ')),
        SLOTS.includes(sel.slot)
          ? (sel.equipped
            ? h('button.primary', { onclick: () => act('unequip', { slot: sel.slot }) }, t('inv.unequip'))
            : h('button.primary', { onclick: () => act('equip', { item: sel.uid }) }, t('inv.equip')))
          : null)) : null;
    return [
      h('h3', t('inv.equipment')), equipment,
      h('h3', t('inv.items'), h('span.right.zeny-line', t('inv.zeny', { n: you.zenny || 0 }))),
      inv.length ? h('div.grid', inv.map((row) => cell(row))) : h('p.hint', t('inv.empty')),
      card,
    ];
  }

  app.dock.register('bag', 'bag', { render });
  on('you', () => app.dock.refresh('bag'));
}
