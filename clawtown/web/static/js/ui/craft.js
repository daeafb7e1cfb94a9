// craft.js — the Craft panel: three Poring Jelly become a random piece of equipment.

import { on } from '../bus.js';
import { t, lang } from '../i18n.js';
import { h, toast } from './dom.js';
import { itemIconUrl } from '../render/itemart.js';
import { itemName, iconKind } from '../items.js';

const ODDS = [['dagger_1', 'Beginner Dagger', 35], ['sword_1', 'Training Sword', 30], ['bow_1', 'Feather Bow', 20], ['armor_1', 'Cloth Armor', 10], ['ring_1', 'Copper Ring', 5]];

export function mountCraft(app) {
  let busy = false;

  async function craft() {
    busy = true;
    app.dock.refresh('craft');
    const ack = await app.net.request('craft', { recipe: 'jelly_3' });
    busy = false;
    if (ack.ok) {
      const row = ODDS.find((o) => o[0] === ack.itemId);
      toast(t('craft.got', { item: itemName(ack.itemId, row ? row[1] : ack.itemId, lang()) }), 'good');
    } else toast(t('craft.fail'), 'warn');
    app.dock.refresh('craft');
  }

  function render() {
    const inv = (app.model.you && app.model.you.inventory) || [];
    const jelly = inv.filter((r) => r.itemId === 'jelly').reduce((a, r) => a + r.qty, 0);
    return [
      h('div.craft-hero',
        h('div.jellies', [0, 1, 2].map((i) => h('img', { class: i < jelly ? 'have' : 'missing', src: itemIconUrl('jelly', 56), alt: '' }))),
        h('div.arrow', '→'),
        h('img.result', { src: itemIconUrl('sword', 56), alt: '' })),
      h('h3', t('craft.title')),
      h('p', t('craft.desc')),
      h('p.have', { class: jelly >= 3 ? 'ok' : '' }, t('craft.have', { n: jelly })),
      h('button.primary.big', { disabled: busy || jelly < 3, onclick: craft }, t('craft.go')),
      h('h3', t('craft.odds')),
      h('ul.odds', ODDS.map(([id, name, w]) => h('li',
        h('img', { src: itemIconUrl(iconKind(id), 32), alt: '' }), h('span', itemName(id, name, lang())), h('b', `${w}%`)))),
    ];
  }

  app.dock.register('craft', 'craft', { render });
  on('you', () => app.dock.refresh('craft'));
}
