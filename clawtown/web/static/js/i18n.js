// i18n.js — English and Traditional Chinese strings, the chosen language (remembered in
// localStorage), t(key, vars), and apply() for elements marked data-i18n / data-i18n-ph /
// data-i18n-title. Changing the language emits `lang` so panels re-render.

import { emit } from './bus.js';

const EN = {
  'app.tagline': 'A cozy town where people and AI agents adventure together',
  'ob.create': 'Create your character', 'ob.name': 'Name', 'ob.namePh': 'Your name', 'ob.job': 'Choose a job',
  'ob.start': 'Start adventure', 'ob.hat': 'Let the Sorting Hat decide',
  'ob.hatNote': 'Answer three questions and the hat picks your job and signature spell.',
  'ob.continue': 'Continue as {name}', 'ob.newChar': 'New character', 'ob.or': 'or',
  'ob.invited': 'You were invited to a party! Continue or create a character to join it.',
  'ob.lost': 'Your saved character could not be found. Please create a new one.',
  'ob.creating': 'Creating…', 'ob.nameRequired': 'Please enter a name.',
  'job.novice': 'Novice', 'job.mage': 'Mage', 'job.archer': 'Archer', 'job.knight': 'Knight', 'job.assassin': 'Assassin', 'job.bard': 'Bard',
  'jobd.novice': 'Balanced beginner', 'jobd.mage': 'Fire rain from afar', 'jobd.archer': 'Long-range shots',
  'jobd.knight': 'Sweeping blows', 'jobd.assassin': 'Lightning stabs', 'jobd.bard': 'Echoing songs',
  'hud.lv': 'Lv {n}', 'hud.hp': 'HP', 'hud.xp': 'EXP', 'hud.points': '+{n} points', 'hud.hmode': 'H-Mode',
  'map.channel': 'CH {n}', 'map.switch': 'Switch channel',
  'net.offline': 'Connection lost — reconnecting in {s}s…', 'net.connecting': 'Connecting to town…',
  'net.reconnecting': 'Reconnecting…', 'net.retry': 'Retry now', 'net.back': 'Reconnected!',
  'net.kicked': 'You were disconnected by an operator. Reload to come back.',
  'toast.entered': 'Entered {map}', 'toast.level': 'Level up! You reached level {n}',
  'toast.achievement': 'Achievement unlocked: {title}', 'toast.ko': 'You were knocked out… back in town soon',
  'toast.mention': '{name} mentioned you', 'toast.whisper': 'Whisper from {name}', 'toast.channel': 'Now on channel {n}',
  'spell.signature': 'Attack', 'spell.fireball': 'Fireball', 'spell.hail': 'Hail', 'spell.arrow': 'Arrow',
  'spell.cleave': 'Cleave', 'spell.flurry': 'Flurry',
  'reason.cooldown': 'cooldown', 'reason.no target': 'no target', 'reason.out of range': 'too far',
  'reason.knocked out': 'knocked out', 'reason.offline': 'offline', 'reason.unknown spell': 'unknown spell',
  'emote.title': 'Emotes', 'mark.title': 'Ping your spot',
  'tab.bag': 'Bag', 'tab.stats': 'Stats', 'tab.craft': 'Craft', 'tab.party': 'Party', 'tab.board': 'Board',
  'tab.bot': 'Bot', 'tab.hat': 'Hat', 'tab.settings': 'Settings', 'tab.chat': 'Chat', 'tab.close': 'Close',
  'chat.all': 'All', 'chat.people': 'People', 'chat.system': 'System', 'chat.bot': 'Bot',
  'chat.say': 'Say', 'chat.party': 'Party', 'chat.whisper': 'Whisper', 'chat.ph': 'Say something…  (/w name msg · /p msg)',
  'chat.send': 'Send', 'chat.to': 'To {name}', 'chat.from': 'From {name}', 'chat.rate': 'Slow down a little!',
  'chat.whoPh': 'name', 'chat.noTarget': 'Whisper to whom? Type /w name message', 'chat.empty': 'No messages yet — say hi!',
  'chat.partyTag': 'Party', 'chat.thought': 'thought',
  'inv.equipment': 'Equipment', 'inv.items': 'Items', 'slot.weapon': 'Weapon', 'slot.armor': 'Armor', 'slot.accessory': 'Accessory',
  'inv.empty': 'Your bag is empty. Defeat slimes to find loot!', 'inv.equip': 'Equip', 'inv.unequip': 'Unequip',
  'inv.equipped': 'equipped', 'inv.nothing': 'empty', 'inv.zeny': '{n} Zeny',
  'rarity.common': 'Common', 'rarity.uncommon': 'Uncommon', 'rarity.rare': 'Rare', 'rarity.epic': 'Epic',
  'stats.points': 'Points to spend: {n}', 'stats.base': 'Base stats', 'stats.derived': 'Combat', 'stats.record': 'Adventure log',
  'stats.kills': 'Monsters defeated', 'stats.crafts': 'Items crafted', 'stats.pickups': 'Items picked up',
  'stats.achievements': 'Achievements', 'stats.noAch': 'None yet — go adventure!', 'stats.add': 'Add a point',
  'stat.str': 'STR', 'stat.agi': 'AGI', 'stat.vit': 'VIT', 'stat.int': 'INT', 'stat.dex': 'DEX', 'stat.luk': 'LUK',
  'stat.atk': 'ATK', 'stat.matk': 'MATK', 'stat.def': 'DEF', 'stat.crit': 'CRIT', 'stat.aspd': 'ASPD', 'stat.hp': 'Max HP',
  'tip.str': 'Strength: +1 ATK per point.', 'tip.agi': 'Agility: +1% attack speed (shorter cooldown) per point.',
  'tip.vit': 'Vitality: +3 max HP per point, +1 DEF every 2 points.', 'tip.int': 'Intelligence: +1 MATK per point (fireball, hail).',
  'tip.dex': 'Dexterity: archers gain +1 ATK every 2 points.', 'tip.luk': 'Luck: +1% critical chance per point.',
  'tip.atk': 'Attack: the damage of your attacks and skills.', 'tip.matk': 'Magic attack: adds to fireball and hail damage.',
  'tip.def': 'Defence: lowers the damage monsters deal to you.', 'tip.crit': 'Critical: the chance to deal double damage.',
  'tip.aspd': 'Attack speed: shortens the cooldown between casts.', 'tip.hp': 'At 0 HP you are knocked out and wake in town.',
  'craft.title': 'Jelly Workshop', 'craft.desc': 'Squish 3 Poring Jelly together into a random piece of equipment.',
  'craft.have': 'You have {n} / 3 Poring Jelly', 'craft.go': 'Craft!', 'craft.got': 'You crafted {item}!',
  'craft.odds': 'Possible results', 'craft.fail': 'You need 3 Poring Jelly.',
  'party.none': "You're not in a party yet.", 'party.create': 'Create party', 'party.join': 'Join',
  'party.codePh': 'Invite code', 'party.invite': 'Copy invite link', 'party.leave': 'Leave',
  'party.summon': 'Summon elite (10 Zeny)', 'party.leader': 'Leader', 'party.promote': 'Make leader',
  'party.copied': 'Invite link copied!', 'party.joined': 'You joined the party!', 'party.members': 'Members',
  'party.offline': 'offline', 'party.shareHint': 'Friends who open this link join your party and appear next to you.',
  'party.summoned': 'An elite appeared!', 'party.chatHint': 'Party chat: start a message with /p',
  'err.invalid code': 'Party: that invite code is not valid.', 'err.expired code': 'Party: that invite has expired.',
  'err.not leader': 'Party: only the leader can do that.', 'err.summon on cooldown': 'Party: summon is on cooldown.',
  'err.needs 10 zenny': 'Party: you need 10 Zeny.', 'err.not in party': 'Party: join a party first.',
  'err.party missing': 'Party: that party is gone.', 'err.offline': 'You are offline right now.',
  'err.rate_limited': 'Too fast — try again in a moment.', 'err.generic': 'Something went wrong: {msg}',
  'board.title': 'Town Board', 'board.ph': 'Write a note for everyone in town…', 'board.post': 'Post',
  'board.empty': 'No posts yet. Be the first!',
  'bot.title': 'Link your bot', 'bot.intro': 'Let an AI agent play this character with you: get a join token, hand the prompt to your agent, and watch it here.',
  'bot.get': 'Get join token', 'bot.again': 'New token', 'bot.token': 'Join token', 'bot.sandbox': 'Sandbox token (agent in Docker)',
  'bot.prompt': 'Prompt for your agent', 'bot.copy': 'Copy', 'bot.copied': 'Copied!', 'bot.expires': 'Valid until {time} · reusable',
  'bot.status': 'Your bot', 'bot.online': 'online', 'bot.idle': 'idle', 'bot.offline': 'offline', 'bot.notLinked': 'not linked yet',
  'bot.thought': 'Latest thought', 'bot.noThought': 'No thoughts yet.', 'bot.hmode': 'H-Mode',
  'bot.hmodeOn': 'On — your character plays by itself (your bot, or the built-in autopilot). Moving takes control back.',
  'bot.hmodeOff': 'Off — you are in control.', 'bot.lastSeen': 'seen {ago} ago', 'bot.never': 'never seen',
  'bot.promptText': 'You are my Clawtown bot. Read {base}/skill.md and follow it.\nLink to my character with this join token: {token}\n{sandbox}Then play with me: check your status and events, hunt slimes, pick up loot, chat kindly, and share a short thought now and then.',
  'bot.sandboxLine': 'If you run inside a Docker sandbox, use this token instead: {token}\n',
  'hat.title': 'The Sorting Hat', 'hat.intro': 'Answer honestly — the hat chooses your job and signature spell.',
  'hat.submit': 'Put on the hat', 'hat.result': 'The hat has spoken!', 'hat.job': 'Your job: {job}',
  'hat.signature': 'Signature move: {name}', 'hat.again': 'Take the quiz again', 'hat.needAll': 'Please answer the first three questions.',
  'hat.freePh': 'optional', 'hat.loading': 'Loading the questions…', 'hat.skill': 'Job skill: {name}',
  'set.language': 'Language', 'set.avatar': 'Avatar picture', 'set.upload': 'Upload picture',
  'set.avatarHint': 'PNG or JPEG up to 512 KB; it is cropped to a square and shown on your character.',
  'set.avatarOk': 'Avatar updated!', 'set.remove': 'Remove', 'set.name': 'Name', 'set.rename': 'Rename',
  'set.logout': 'Switch character', 'set.logoutConfirm': 'Leave this character? It stays saved on the server, but this browser forgets its key.',
  'set.zoom': 'Zoom', 'set.help': 'Controls', 'set.interrupt': 'Bot interruptions',
  'set.helpText': 'WASD / arrow keys: move · Click: walk, or pick a target · 1–4: skills · Enter: chat · Esc: close panels · Mouse wheel: zoom',
  'interrupt.off': 'Off', 'interrupt.mentions': 'Mentions', 'interrupt.nearby': 'Nearby', 'interrupt.all': 'All',
  'ago.now': 'just now', 'ago.s': '{n}s', 'ago.m': '{n}m', 'ago.h': '{n}h',
};

const ZH = {
  'app.tagline': '人類與 AI 代理一起冒險的溫馨小鎮',
  'ob.create': '建立你的角色', 'ob.name': '名字', 'ob.namePh': '你的名字', 'ob.job': '選擇職業',
  'ob.start': '開始冒險', 'ob.hat': '讓分類帽決定', 'ob.hatNote': '回答三個問題，分類帽會為你選擇職業與專屬招式。',
  'ob.continue': '以 {name} 繼續', 'ob.newChar': '建立新角色', 'ob.or': '或',
  'ob.invited': '你收到了隊伍邀請！繼續或建立角色即可加入。', 'ob.lost': '找不到已儲存的角色，請建立新角色。',
  'ob.creating': '建立中…', 'ob.nameRequired': '請輸入名字。',
  'job.novice': '初心者', 'job.mage': '魔法師', 'job.archer': '弓箭手', 'job.knight': '騎士', 'job.assassin': '刺客', 'job.bard': '吟遊詩人',
  'jobd.novice': '均衡的新手', 'jobd.mage': '遠距離火球雨', 'jobd.archer': '遠程射擊', 'jobd.knight': '橫掃攻擊',
  'jobd.assassin': '閃電疾刺', 'jobd.bard': '回音之歌',
  'hud.lv': 'Lv {n}', 'hud.hp': 'HP', 'hud.xp': '經驗', 'hud.points': '+{n} 點', 'hud.hmode': 'H 模式',
  'map.channel': '頻道 {n}', 'map.switch': '切換頻道',
  'net.offline': '連線中斷 — {s} 秒後重新連線…', 'net.connecting': '正在連線到小鎮…', 'net.reconnecting': '重新連線中…',
  'net.retry': '立即重試', 'net.back': '已重新連線！', 'net.kicked': '你已被管理員中斷連線，重新整理即可回來。',
  'toast.entered': '進入 {map}', 'toast.level': '升級了！你達到 {n} 級', 'toast.achievement': '解鎖成就：{title}',
  'toast.ko': '你昏倒了…很快會在城鎮醒來', 'toast.mention': '{name} 提到了你', 'toast.whisper': '{name} 傳來密語',
  'toast.channel': '已切換到頻道 {n}',
  'spell.signature': '攻擊', 'spell.fireball': '火球術', 'spell.hail': '冰雹術', 'spell.arrow': '射擊', 'spell.cleave': '橫掃', 'spell.flurry': '疾刺',
  'reason.cooldown': '冷卻中', 'reason.no target': '沒有目標', 'reason.out of range': '太遠了', 'reason.knocked out': '昏倒中',
  'reason.offline': '離線中', 'reason.unknown spell': '未知技能',
  'emote.title': '表情', 'mark.title': '標記位置',
  'tab.bag': '背包', 'tab.stats': '能力', 'tab.craft': '製作', 'tab.party': '隊伍', 'tab.board': '公告板',
  'tab.bot': '機器人', 'tab.hat': '分類帽', 'tab.settings': '設定', 'tab.chat': '聊天', 'tab.close': '關閉',
  'chat.all': '全部', 'chat.people': '玩家', 'chat.system': '系統', 'chat.bot': '機器人',
  'chat.say': '說', 'chat.party': '隊伍', 'chat.whisper': '密語', 'chat.ph': '說點什麼…（/w 名字 訊息 · /p 訊息）',
  'chat.send': '送出', 'chat.to': '給 {name}', 'chat.from': '來自 {name}', 'chat.rate': '說話慢一點！',
  'chat.whoPh': '名字', 'chat.noTarget': '要密語誰？請輸入 /w 名字 訊息', 'chat.empty': '還沒有訊息 — 打聲招呼吧！',
  'chat.partyTag': '隊伍', 'chat.thought': '想法',
  'inv.equipment': '裝備', 'inv.items': '物品', 'slot.weapon': '武器', 'slot.armor': '防具', 'slot.accessory': '飾品',
  'inv.empty': '背包空空的，打倒史萊姆來找寶物吧！', 'inv.equip': '裝備', 'inv.unequip': '卸下', 'inv.equipped': '已裝備',
  'inv.nothing': '空', 'inv.zeny': '{n} 金幣',
  'rarity.common': '普通', 'rarity.uncommon': '精良', 'rarity.rare': '稀有', 'rarity.epic': '史詩',
  'stats.points': '可分配點數：{n}', 'stats.base': '基本能力', 'stats.derived': '戰鬥數值', 'stats.record': '冒險紀錄',
  'stats.kills': '擊敗怪物', 'stats.crafts': '製作物品', 'stats.pickups': '拾取物品', 'stats.achievements': '成就',
  'stats.noAch': '還沒有 — 出發冒險吧！', 'stats.add': '加一點',
  'stat.str': '力量', 'stat.agi': '敏捷', 'stat.vit': '體力', 'stat.int': '智力', 'stat.dex': '靈巧', 'stat.luk': '幸運',
  'stat.atk': '攻擊', 'stat.matk': '魔攻', 'stat.def': '防禦', 'stat.crit': '爆擊', 'stat.aspd': '攻速', 'stat.hp': '最大 HP',
  'tip.str': '力量：每點 +1 攻擊力。', 'tip.agi': '敏捷：每點 +1% 攻擊速度（冷卻縮短）。', 'tip.vit': '體力：每點 +3 最大 HP，每 2 點 +1 防禦。',
  'tip.int': '智力：每點 +1 魔法攻擊（火球術、冰雹術）。', 'tip.dex': '靈巧：弓箭手每 2 點 +1 攻擊力。', 'tip.luk': '幸運：每點 +1% 爆擊率。',
  'tip.atk': '攻擊力：普通攻擊與技能的傷害。', 'tip.matk': '魔法攻擊：提升火球術與冰雹術的傷害。', 'tip.def': '防禦：減少怪物對你造成的傷害。',
  'tip.crit': '爆擊：造成雙倍傷害的機率。', 'tip.aspd': '攻擊速度：縮短施法之間的冷卻。', 'tip.hp': 'HP 歸零會昏倒，之後在城鎮醒來。',
  'craft.title': '果凍工坊', 'craft.desc': '把 3 個波利果凍捏在一起，變成隨機的裝備。', 'craft.have': '你有 {n} / 3 個波利果凍',
  'craft.go': '製作！', 'craft.got': '你製作了 {item}！', 'craft.odds': '可能的結果', 'craft.fail': '需要 3 個波利果凍。',
  'party.none': '你還沒有隊伍。', 'party.create': '建立隊伍', 'party.join': '加入', 'party.codePh': '邀請碼',
  'party.invite': '複製邀請連結', 'party.leave': '離開', 'party.summon': '召喚精英（10 金幣）', 'party.leader': '隊長',
  'party.promote': '設為隊長', 'party.copied': '已複製邀請連結！', 'party.joined': '你加入了隊伍！', 'party.members': '成員',
  'party.offline': '離線', 'party.shareHint': '朋友打開這個連結就會加入你的隊伍，並出現在你身邊。', 'party.summoned': '精英出現了！',
  'party.chatHint': '隊伍聊天：訊息開頭輸入 /p',
  'err.invalid code': '隊伍：邀請碼無效', 'err.expired code': '隊伍：邀請碼已過期', 'err.not leader': '隊伍：只有隊長可以這麼做',
  'err.summon on cooldown': '隊伍：召喚冷卻中', 'err.needs 10 zenny': '隊伍：需要 10 金幣', 'err.not in party': '隊伍：請先加入隊伍',
  'err.party missing': '隊伍：隊伍不存在', 'err.offline': '你目前離線中。', 'err.rate_limited': '太快了，請稍後再試。',
  'err.generic': '發生錯誤：{msg}',
  'board.title': '城鎮公告板', 'board.ph': '寫點東西給小鎮的大家…', 'board.post': '張貼', 'board.empty': '還沒有公告，來當第一個吧！',
  'bot.title': '連結你的機器人', 'bot.intro': '讓 AI 代理和你一起操作這個角色：取得加入權杖，把提示交給你的代理，然後在這裡觀察它。',
  'bot.get': '取得加入權杖', 'bot.again': '新的權杖', 'bot.token': '加入權杖', 'bot.sandbox': '沙盒權杖（代理在 Docker 中）',
  'bot.prompt': '給代理的提示', 'bot.copy': '複製', 'bot.copied': '已複製！', 'bot.expires': '有效至 {time} · 可重複使用',
  'bot.status': '你的機器人', 'bot.online': '在線', 'bot.idle': '閒置', 'bot.offline': '離線', 'bot.notLinked': '尚未連結',
  'bot.thought': '最新想法', 'bot.noThought': '還沒有想法。', 'bot.hmode': 'H 模式',
  'bot.hmodeOn': '開啟 — 角色會自己行動（你的機器人或內建自動駕駛）。移動即可取回控制。', 'bot.hmodeOff': '關閉 — 由你操作。',
  'bot.lastSeen': '{ago}前出現', 'bot.never': '從未出現',
  'bot.promptText': '你是我的 Clawtown 機器人。請閱讀 {base}/skill.md 並照著做。\n用這個加入權杖連結我的角色：{token}\n{sandbox}然後和我一起玩：查看狀態與事件、獵史萊姆、撿寶物、友善聊天，偶爾分享一句想法。請用繁體中文與我交流。',
  'bot.sandboxLine': '如果你在 Docker 沙盒中執行，請改用這個權杖：{token}\n',
  'hat.title': '分類帽', 'hat.intro': '誠實回答——分類帽會為你選擇職業與專屬招式。', 'hat.submit': '戴上分類帽',
  'hat.result': '分類帽說話了！', 'hat.job': '你的職業：{job}', 'hat.signature': '專屬招式：{name}', 'hat.again': '重新測驗',
  'hat.needAll': '請回答前三個問題。', 'hat.freePh': '選填', 'hat.loading': '載入題目中…', 'hat.skill': '職業技：{name}',
  'set.language': '語言', 'set.avatar': '頭像', 'set.upload': '上傳圖片', 'set.avatarHint': 'PNG 或 JPEG，最大 512 KB；會裁成正方形並顯示在角色上。',
  'set.avatarOk': '頭像已更新！', 'set.remove': '移除', 'set.name': '名字', 'set.rename': '改名', 'set.logout': '切換角色',
  'set.logoutConfirm': '要離開這個角色嗎？角色會保存在伺服器上，但這個瀏覽器會忘記它的金鑰。', 'set.zoom': '縮放',
  'set.help': '操作說明', 'set.interrupt': '機器人打擾程度',
  'set.helpText': 'WASD／方向鍵：移動 · 點擊：走路或選擇目標 · 1–4：技能 · Enter：聊天 · Esc：關閉面板 · 滑鼠滾輪：縮放',
  'interrupt.off': '關閉', 'interrupt.mentions': '提及', 'interrupt.nearby': '附近', 'interrupt.all': '全部',
  'ago.now': '剛剛', 'ago.s': '{n} 秒', 'ago.m': '{n} 分', 'ago.h': '{n} 小時',
};

const TABLES = { en: EN, zh: ZH };
const KEY = 'clawtown.lang';
let current = pick();

function pick() {
  const saved = localStorage.getItem(KEY);
  if (saved === 'en' || saved === 'zh') return saved;
  return (navigator.language || '').toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

export function lang() {
  return current;
}

export function setLang(next) {
  if (next !== 'en' && next !== 'zh') return;
  current = next;
  localStorage.setItem(KEY, next);
  document.documentElement.lang = next === 'zh' ? 'zh-Hant' : 'en';
  apply(document);
  emit('lang', next);
}

export function t(key, vars) {
  let s = TABLES[current][key] ?? EN[key] ?? key;
  if (vars) for (const [k, v] of Object.entries(vars)) s = s.split(`{${k}}`).join(String(v));
  return s;
}

/** Is there a string for this key (e.g. a server error code we can translate)? */
export function has(key) {
  return key in EN;
}

export function apply(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-ph]')) el.placeholder = t(el.dataset.i18nPh);
  for (const el of root.querySelectorAll('[data-i18n-title]')) {
    el.title = t(el.dataset.i18nTitle);
    el.setAttribute('aria-label', el.title);
  }
}

export function ago(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 3) return t('ago.now');
  if (s < 60) return t('ago.s', { n: s });
  if (s < 3600) return t('ago.m', { n: Math.round(s / 60) });
  return t('ago.h', { n: Math.round(s / 3600) });
}

document.documentElement.lang = current === 'zh' ? 'zh-Hant' : 'en';
