"""The browser client in headless Chromium against a real `twistd clawtown` (see conftest.py)."""

from __future__ import annotations

import math

import pytest

pytestmark = pytest.mark.e2e


FREE_SPOT_JS = """([dx, dy]) => {
  const ct = window.__ct, me = ct.model.me();
  const cx = me.x + dx, cy = me.y + dy, heading = Math.atan2(dy, dx) * 180 / Math.PI;
  for (let r = 0; r <= 240; r += 16) {
    for (let a = heading - 60; a <= heading + 60; a += (r ? 15 : 360)) {
      const x = cx + r * Math.cos(a * Math.PI / 180), y = cy + r * Math.sin(a * Math.PI / 180);
      if (x < 24 || y < 24 || x > 900 || y > 520) continue;
      const busy = [...ct.model.entities.values()].some((e) => e.id !== me.id && Math.hypot(e.x - x, e.y - y) < 48);
      if (!busy) { const s = ct.renderer.cam.toScreen(x, y); return {x: s.x, y: s.y, wx: x, wy: y}; }
    }
  }
  return null;
}"""


def click_ground(tab, dx: float, dy: float) -> dict:
    """Click the ground about (dx, dy) world px from you, where no entity stands; returns the spot."""
    spot = tab.page.evaluate(FREE_SPOT_JS, [dx, dy])
    assert spot, "no free ground to click"
    tab.page.mouse.click(spot["x"], spot["y"])
    return spot


def wait_you(tab, predicate_js: str, timeout: float = 10_000):
    tab.page.wait_for_function(f"() => {{ const you = window.__ct.model.you; return !!(you && ({predicate_js})); }}",
                               timeout=timeout)


def test_page_loads_without_console_errors_and_switches_language(town, tabs):
    tab = tabs(town).open()
    tab.page.wait_for_selector(".ob-card .start")
    tab.shot("01-welcome-desktop")
    you = tab.create("Mochi", "mage")
    assert you["name"] == "Mochi" and you["job"] == "mage"
    tab.page.wait_for_selector("#hud .name")
    assert tab.page.inner_text("#hud .name") == "Mochi"
    assert tab.page.is_hidden("#banner")
    tab.page.wait_for_function("() => window.__ct.renderer.frames > 10")
    tab.shot("02-town-desktop")
    tab.page.click("#menu .menu-btn[data-panel=settings]")
    tab.page.click(".seg button[data-lang=zh]")
    assert tab.page.inner_text("#dock .title") == "設定"
    tab.page.reload()
    tab.page.wait_for_function("() => window.__ct && window.__ct.model.me()")
    assert tab.page.evaluate("() => localStorage.getItem('clawtown.lang')") == "zh"
    assert tab.page.evaluate("() => document.documentElement.lang") == "zh-Hant"
    assert tab.you()["id"] == you["id"], "the stored character is resumed after a reload"
    assert "cts_" not in tab.page.url
    assert tab.errors == []


def test_two_browsers_see_each_other_move(town, tabs):
    a, b = tabs(town).open(), tabs(town).open()
    a.create("Ann")
    bob = b.create("Bob", "knight")
    a.page.wait_for_function("(id) => window.__ct.model.entities.has(id)", arg=bob["id"])
    start = a.entity(bob["id"])
    click_ground(b, 90, 0)  # click-to-move: walk right
    a.page.wait_for_function("([id, x]) => { const e = window.__ct.model.entities.get(id); return e && e.x > x + 40; }",
                             arg=[bob["id"], start["x"]])
    b.page.keyboard.down("KeyS")
    b.page.wait_for_timeout(500)
    b.page.keyboard.up("KeyS")
    a.page.wait_for_function("([id, y]) => { const e = window.__ct.model.entities.get(id); return e && e.y > y + 20; }",
                             arg=[bob["id"], start["y"]])
    a.shot("03-two-players")
    assert a.errors == [] and b.errors == []


def test_arrow_keys_and_wasd_move_the_player(town, tabs):
    tab = tabs(town).open()
    tab.create("Walker")
    start = tab.me()
    tab.page.keyboard.down("ArrowRight")
    tab.page.wait_for_timeout(700)
    tab.page.keyboard.up("ArrowRight")
    tab.page.wait_for_function("(x) => window.__ct.model.me().x >= x + 40", arg=start["x"])
    mid = tab.me()
    tab.page.keyboard.down("KeyW")
    tab.page.wait_for_timeout(500)
    tab.page.keyboard.up("KeyW")
    tab.page.wait_for_function("(y) => window.__ct.model.me().y <= y - 24", arg=mid["y"])
    assert tab.page.evaluate("() => window.scrollY") == 0


def test_killing_a_slime_with_key_1_raises_xp(town, tabs):
    tab = tabs(town).open()
    you = tab.create("Slayer", "knight")
    assert town.post("/api/debug/teleport", {"playerId": you["id"], "x": 160, "y": 480})[0] == 200
    tab.page.wait_for_function("() => { const e = window.__ct.model.me(); return e && e.x === 160 && e.y === 480; }")
    status, _ = town.post("/api/debug/spawn-monster", {"playerId": you["id"], "id": "m_test_target", "x": 190, "y": 480,
                                                        "maxHp": 1, "name": "Poring", "color": "rgba(251, 182, 206, 0.9)"})
    assert status == 200
    tab.page.wait_for_function("() => window.__ct.model.entities.has('m_test_target')")
    tab.page.keyboard.press("Digit1")
    wait_you(tab, "you.xp > 0")
    assert tab.you()["meta"]["kills"] == 1
    tab.page.wait_for_timeout(150)
    tab.shot("04-combat")
    tab.page.click("#menu .menu-btn[data-panel=stats]")
    tab.page.wait_for_selector("#dock .stat-grid")
    tab.shot("05-stats-panel")
    assert tab.errors == []


def test_join_token_panel_links_a_bot(town, tabs):
    tab = tabs(town).open()
    you = tab.create("Linker", "bard")
    tab.page.click("#menu .menu-btn[data-panel=bot]")
    tab.page.click("#dock .get-token")
    token = tab.page.inner_text("#dock code.join-token", timeout=10_000).strip()
    assert token.startswith("CT1|" + town.base + "|")
    prompt = tab.page.input_value("#dock textarea.bot-prompt")
    assert f"{town.base}/skill.md" in prompt and token in prompt
    status, body = town.post("/api/bot/link", {"joinToken": token})
    assert status == 200 and body["botToken"].startswith("ctbot_") and body["playerId"] == you["id"]
    bot = {"authorization": f"Bearer {body['botToken']}"}
    assert town.request("POST", "/api/bot/thought", {"text": "Hello from the bot!"}, headers=bot)[0] == 200
    wait_you(tab, "you.linkedBot === true")
    tab.page.wait_for_selector("#dock .bot-status[data-status=online]", timeout=10_000)
    tab.page.wait_for_function("() => document.querySelector('#dock .thought').textContent.includes('Hello from the bot!')",
                               timeout=10_000)
    tab.shot("06-bot-panel")
    assert tab.errors == []


def test_party_invite_link_puts_the_second_player_in_the_party(town, tabs):
    host, guest = tabs(town).open(), tabs(town, phone=True)
    leader = host.create("Leader", "archer")
    host.page.click("#menu .menu-btn[data-panel=party]")
    host.page.click("#dock button:has-text('Create party')")
    wait_you(host, "you.partyId")
    host.page.click("#dock button:has-text('Copy invite link')")
    link = host.page.input_value("#dock input.invite-link", timeout=10_000)
    assert link.startswith(town.base + "/?party=")
    guest.page.goto(link)
    guest.page.wait_for_selector(".notice.invite")
    assert "party=" not in guest.page.url
    guest.shot("07-invited-phone")
    friend = guest.create("Guest", "assassin")
    wait_you(guest, "you.partyId")
    party_id = host.you()["partyId"]
    assert guest.you()["partyId"] == party_id
    host.page.wait_for_function("() => window.__ct.model.party && window.__ct.model.party.members.length === 2")
    guest.page.wait_for_function("(id) => window.__ct.model.entities.has(id)", arg=leader["id"])
    a, b = host.me(), guest.me()
    assert math.hypot(a["x"] - b["x"], a["y"] - b["y"]) < 150, "the invited player appears next to the leader"
    assert friend["id"] != leader["id"]
    host.shot("08-party-panel")
    guest.shot("09-party-phone")
    assert host.errors == [] and guest.errors == []


def test_reconnects_after_a_server_restart_without_reloading(restartable, tabs):
    server = restartable.start()
    tab = tabs(server).open()
    you = tab.create("Steady")
    tab.page.evaluate("() => { window.__sameDocument = true; }")
    server.stop()
    tab.page.wait_for_selector("#banner:not([hidden])", timeout=10_000)
    assert "reconnect" in tab.page.inner_text("#banner").lower()
    tab.shot("10-offline-banner")
    server.start()  # same port, same data dir
    tab.page.wait_for_function("() => window.__ct.hellos >= 2", timeout=20_000)
    tab.page.wait_for_selector("#banner", state="hidden")
    assert tab.page.evaluate("() => window.__sameDocument") is True
    assert tab.you()["id"] == you["id"]
    start = tab.me()
    tab.page.keyboard.down("ArrowLeft")
    tab.page.wait_for_timeout(500)
    tab.page.keyboard.up("ArrowLeft")
    tab.page.wait_for_function("(x) => window.__ct.model.me().x < x - 16", arg=start["x"])


def test_phone_layout_has_a_joystick_and_no_touch_zoom(town, tabs):
    tab = tabs(town, phone=True).open()
    tab.page.wait_for_selector(".ob-card .start")
    tab.shot("11-welcome-phone")
    tab.create("Thumb", "bard")
    assert tab.page.is_visible("#joystick")
    for sel in ("#game", "#joystick", ".skill"):
        assert tab.page.eval_on_selector(sel, "el => getComputedStyle(el).touchAction") == "none", sel
    start = tab.me()
    box = tab.page.locator("#joystick").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    tab.page.mouse.move(cx, cy)
    tab.page.mouse.down()
    tab.page.mouse.move(cx + 50, cy, steps=4)
    tab.page.wait_for_timeout(600)
    tab.page.mouse.up()
    tab.page.wait_for_function("(x) => window.__ct.model.me().x > x + 24", arg=start["x"])
    tab.shot("12-town-phone")
    tab.page.click("#menu .menu-toggle")
    tab.page.wait_for_selector("#dock:not([hidden])")
    tab.shot("13-bag-phone")
    assert tab.errors == []


def test_walking_into_the_portal_changes_map_and_the_indicator_follows(town, tabs):
    tab = tabs(town).open()
    you = tab.create("Traveler", "archer")
    assert tab.page.inner_text("#mapbox .map-name") == "Clawtown Plaza"
    assert town.post("/api/debug/teleport", {"playerId": you["id"], "x": 880, "y": 288})[0] == 200
    tab.page.wait_for_function("() => window.__ct.model.me() && window.__ct.model.me().x === 880")
    tab.page.keyboard.down("ArrowRight")
    tab.page.wait_for_function("() => window.__ct.model.map && window.__ct.model.map.id === 'meadow'", timeout=10_000)
    tab.page.keyboard.up("ArrowRight")
    tab.page.wait_for_function("() => document.querySelector('#mapbox .map-name').textContent === 'Poring Meadow'")
    assert tab.page.inner_text("#mapbox select.channel").strip().startswith("CH 1")
    tab.page.wait_for_function("() => window.__ct.renderer.frames > 0 && window.__ct.model.me()")
    tab.page.wait_for_timeout(600)
    tab.shot("14-meadow")
    assert tab.errors == []


def test_sorting_hat_quiz_picks_the_job_at_creation(town, tabs):
    tab = tabs(town).open()
    page = tab.page
    page.wait_for_selector(".ob-name")
    page.fill(".ob-name", "Hatty")
    page.click("button.link:has-text('Sorting Hat')")
    page.click(".opt[data-q=goal][data-v=combat]")
    page.click(".opt[data-q=conflict][data-v=direct]")
    page.click(".opt[data-q=magic][data-v=power]")
    page.fill("input.free", "I like shiny swords")
    tab.shot("15-hat-quiz")
    page.click(".start")
    wait_you(tab, "you.job === 'knight' && you.signatureSpell && you.signatureSpell.name === 'Aegis Roar'")
    page.wait_for_selector("#dock .hat-result")
    assert "Knight" in page.inner_text("#dock .hat-result")
    tab.shot("16-hat-result")
    assert tab.errors == []


def test_chat_whispers_and_mentions(town, tabs):
    a, b = tabs(town).open(), tabs(town).open()
    a.create("Ann")
    b.create("Bob")
    a.page.click("#chat input.text")
    a.page.keyboard.type("/w Bob psst, a secret")
    a.page.keyboard.press("Enter")
    b.page.wait_for_selector("#chat .line.scope-private:has-text('psst, a secret')")
    assert "From Ann" in b.page.inner_text("#chat .line.scope-private")
    b.page.wait_for_timeout(1300)  # the server keeps 1.2 s between one player's lines
    b.page.click("#chat input.text")
    b.page.keyboard.type("hello @Ann, want to hunt?")
    b.page.keyboard.press("Enter")
    a.page.wait_for_selector("#chat .line.mention:has-text('want to hunt')")
    assert a.page.inner_text("#chat .line.mention .at.me") == "@Ann"
    a.page.click("#chat .tab:has-text('System')")
    assert a.page.is_hidden("#chat .line.mention")
    a.page.click("#chat .tab:has-text('People')")
    assert a.page.is_visible("#chat .line.mention")
    a.shot("17-chat-mention")
    assert a.errors == [] and b.errors == []


def test_bag_equip_and_craft(town, tabs):
    tab = tabs(town).open()
    you = tab.create("Smith", "knight")
    for item, qty in (("sword_1", 1), ("jelly", 3)):
        assert town.post("/api/debug/grant-item", {"playerId": you["id"], "itemId": item, "qty": qty})[0] == 200
    wait_you(tab, "you.inventory.length >= 2")
    atk = tab.you()["stats"]["atk"]
    tab.page.click("#menu .menu-btn[data-panel=bag]")
    tab.page.click("#dock .grid .item[aria-label='Training Sword']")
    tab.page.click("#dock .item-card button:has-text('Equip')")
    wait_you(tab, "you.equipment.weapon === 'sword_1'")
    assert tab.you()["stats"]["atk"] == atk + 2
    tab.page.wait_for_selector("#dock .equipment .item.r-common")
    tab.shot("18-bag")
    tab.page.click("#dock .tabs .tab[data-panel=craft], #menu .menu-btn[data-panel=craft]")
    tab.page.click("#dock button:has-text('Craft!')")
    wait_you(tab, "you.meta.crafts === 1")
    tab.shot("19-craft")
    tab.page.click("#menu .menu-btn[data-panel=stats]")
    tab.page.click("#dock .stat .plus >> nth=0")
    wait_you(tab, "you.baseStats.str === 2 && you.statPoints === 4")
    assert tab.errors == []


def test_board_post_and_avatar_upload(town, tabs, tmp_path):
    from PIL import Image

    tab = tabs(town).open()
    tab.create("Painter", "bard")
    tab.page.click("#menu .menu-btn[data-panel=board]")
    tab.page.fill("#dock textarea.post", "Slime hunt at the pond, 8pm!")
    tab.page.click("#dock button:has-text('Post')")
    tab.page.wait_for_selector("#dock .post:has-text('Slime hunt at the pond')")
    tab.shot("20-board")
    picture = tmp_path / "me.png"
    img = Image.new("RGB", (300, 200), (255, 200, 220))
    for x in range(100, 200):
        for y in range(50, 150):
            img.putpixel((x, y), (90, 60, 160))
    img.save(picture)
    tab.page.click("#menu .menu-btn[data-panel=settings]")
    tab.page.set_input_files("#dock input[type=file]", str(picture))
    wait_you(tab, "you.avatarVersion === 1")
    tab.page.wait_for_function("() => document.querySelector('#hud .portrait').src.includes('/api/avatars/')")
    tab.page.wait_for_timeout(400)
    tab.shot("21-avatar")
    assert tab.errors == []
