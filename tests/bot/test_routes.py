"""Every bot route: the answer's shape (original field names plus our additions) and each error path."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from clawtown.engine.images import RenderBusy
from clawtown.sim import commands as c
from clawtown.sim.constants import PARTY_CODE_TTL_MS

from .conftest import ROUTE_IDS, ROUTES, Town

ORIGINAL_PLAYER_FIELDS = {
    "id", "name", "avatarVersion", "x", "y", "facing", "mode", "intent", "interrupt", "hp", "maxHp", "level", "xp",
    "xpToNext", "statPoints", "baseStats", "zenny", "stats", "meta", "partyId", "job", "equipment", "inventory",
    "jobSkill", "signatureSpell", "linkedBot", "bot",
}
ISO_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
PNG = b"\x89PNG\r\n\x1a\n"


def error(status: int, message: str):
    return status, {"ok": False, "error": message}


def check_player(view: dict, p) -> None:
    assert ORIGINAL_PLAYER_FIELDS <= set(view)
    assert view["id"] == p.id and view["name"] == p.name
    assert set(view["stats"]) >= {"atk", "def", "crit", "aspd"}
    assert set(view["meta"]) == {"kills", "crafts", "pickups"}
    assert set(view["equipment"]) == {"weapon", "armor", "accessory"}
    assert set(view["bot"]) == {"lastSeenAt", "lastActionAt", "thought", "thoughtAt"}
    assert set(view["baseStats"]) == {"str", "agi", "vit", "int", "dex", "luk"}
    assert isinstance(view["x"], int) and isinstance(view["y"], int)


def wait_cooldown(town: Town) -> None:
    town.run_for(0.8)


# ---- every route: JSON, no-store --------------------------------------------------------
@pytest.mark.parametrize("method, path, body, rule", ROUTES, ids=ROUTE_IDS)
def test_every_route_answers_ok_or_a_json_error_and_is_not_cached(town, ann, method, path, body, rule):
    reply = town.request(method, "/api/bot/" + path, body, token=ann.token)
    assert reply.header(b"cache-control") == "no-store"
    if path.endswith(".png"):
        assert reply.code == 200 and reply.raw.startswith(PNG)
        return
    assert reply.header(b"content-type") == "application/json; charset=utf-8"
    if path in ("party/code", "party/join"):
        assert reply.json["ok"] is False and reply.code in (400, 403, 404)  # not in a party / unknown code
    else:
        assert reply.code == 200 and reply.json["ok"] is True, reply


@pytest.mark.parametrize("method, path, body, rule", [r for r in ROUTES if r[0] == "POST"],
                         ids=[i for i, r in zip(ROUTE_IDS, ROUTES) if r[0] == "POST"])
def test_post_routes_reject_broken_bodies(town, ann, method, path, body, rule):
    town.limiter.buckets.clear()
    assert town.request("POST", "/api/bot/" + path, raw=b"{nope", token=ann.token).json == \
        {"ok": False, "error": "invalid JSON body"}
    town.limiter.buckets.clear()
    reply = town.request("POST", "/api/bot/" + path, raw=b"[]", token=ann.token)
    assert (reply.code, reply.json) == error(400, "JSON body must be an object")
    town.limiter.buckets.clear()
    reply = town.request("POST", "/api/bot/" + path, raw=b" " * (257 * 1024), token=ann.token)
    assert (reply.code, reply.json) == error(413, "request body too large")


def test_unknown_bot_routes_are_json_404(town, ann):
    assert tuple(ann.get("nope")) == error(404, "not found")
    assert tuple(town.get("/api/nope")) == error(404, "not found")


def test_wrong_methods_are_json_405(town, ann):
    assert tuple(ann.post("me")) == error(405, "method not allowed")
    assert tuple(ann.get("mode")) == error(405, "method not allowed")


# ---- reads ---------------------------------------------------------------------------
def test_me(town, ann):
    reply = ann.get("me")
    assert set(reply.json) == {"ok", "player"}
    check_player(reply.json["player"], ann.player)
    player = reply.json["player"]
    assert player["linkedBot"] is True and player["mode"] == "manual" and player["level"] == 1


def test_status(town, ann, bob):
    town.teleport(bob.id, ann.player.x + 100, ann.player.y)
    body = ann.get("status").json
    assert set(body) == {"ok", "time", "you", "nearby", "hp", "maxHp", "level"}
    assert ISO_RE.match(body["time"])
    check_player(body["you"], ann.player)
    assert body["hp"] == body["you"]["hp"] and body["level"] == body["you"]["level"] and body["maxHp"] == 30
    nearby = body["nearby"]
    assert set(nearby) == {"players", "monsters", "drops", "radiusTiles"} and nearby["radiusTiles"] == 6
    assert nearby["players"] == 1  # Bob (offline counts), not you
    p = ann.player
    inst = town.world.instance_of(p)
    alive_near = sum(1 for m in inst.monsters.values() if m.alive and (m.x - p.x) ** 2 + (m.y - p.y) ** 2 <= 192 ** 2)
    assert nearby["monsters"] == alive_near
    town.teleport(bob.id, p.x + 250, p.y)
    town.limiter.buckets.clear()
    assert ann.get("status").json["nearby"]["players"] == 0


def test_world(town, ann, bob):
    body = ann.get("world").json
    assert set(body) == {"ok", "snapshot", "you", "entities"}
    snap = body["snapshot"]
    assert set(snap) == {"world", "you", "players", "monsters", "drops", "parties", "board", "chats", "hat"}
    assert {"width": 30, "height": 18, "tileSize": 32}.items() <= snap["world"].items()
    check_player(snap["you"], ann.player)
    assert body["you"] == snap["you"]
    assert {q["id"] for q in snap["players"]} == {ann.id, bob.id}
    slimes = [m for m in snap["monsters"] if m["kind"] == "slime" and m["alive"]]
    assert len(slimes) >= 5 and len({m["color"] for m in slimes}) >= 5
    for m in snap["monsters"]:
        assert set(m) == {"id", "kind", "name", "x", "y", "hp", "maxHp", "alive", "color"}
    assert set(snap["hat"]) == {"submittedAt", "answers", "localResult", "botResult"}
    for line in snap["chats"]:
        assert set(line) == {"id", "createdAt", "kind", "from", "text", "toPlayerId"} and ISO_RE.match(line["createdAt"])
    kinds = {e["kind"] for e in body["entities"]}
    assert kinds == {"player", "monster"}
    assert {e["id"] for e in body["entities"] if e["kind"] == "monster"} == {m["id"] for m in snap["monsters"]}
    me = [e for e in body["entities"] if e.get("isYou")]
    assert len(me) == 1 and me[0]["id"] == ann.id


def test_world_keeps_the_last_25_chats(town, ann, bob):
    for i in range(30):
        town.do(lambda ref, i=i: c.Chat(player_id=bob.id, text=f"line {i}", source="bot", ref=ref))
        town.run_for(1.25)
    chats = ann.get("world").json["snapshot"]["chats"]
    assert len(chats) == 25 and chats[-1]["text"] == "line 29"


def test_world_shows_drops(town, ann):
    town.clear_monsters_near(ann.id)
    town.spawn_monster(ann.id, "m_target", ann.player.x + 40, ann.player.y)
    assert ann.post("cast", {"spell": "signature"}).json["result"]["alive"] is False
    town.advance(2)
    body = ann.get("world").json
    assert body["snapshot"]["drops"], "a slime always drops zenny"
    for d in body["snapshot"]["drops"]:
        assert set(d) == {"id", "itemId", "name", "rarity", "x", "y", "qty", "expiresAt"}
    assert {e["id"] for e in body["entities"] if e["kind"] == "drop"} == {d["id"] for d in body["snapshot"]["drops"]}


def test_events_shape(town, ann):
    body = ann.get("events").json
    assert body == {"ok": True, "events": [], "nextCursor": 0, "hasMore": False}
    ann.post("thought", {"text": "hi"})
    body = ann.get("events").json
    assert body["nextCursor"] == 1 and isinstance(body["nextCursor"], int)
    (event,) = body["events"]
    assert set(event) == {"id", "at", "kind", "text", "important", "data"}
    assert event["id"] == 1 and event["kind"] == "thought" and event["text"] == "hi" and event["important"] is False
    assert event["data"] == {"text": "hi"} and isinstance(event["at"], int)


@pytest.mark.parametrize("path, size", [("map.png", (960, 576)), ("minimap.png", (480, 288)),
                                        ("map.png?w=640&h=400", (640, 400)), ("map.png?w=5000&h=10", (2048, 240)),
                                        ("minimap.png?w=10&h=5000", (180, 1024)), ("map.png?w=abc", (960, 576)),
                                        ("map.png?names=1", (960, 576))])
def test_images(town, ann, path, size):
    reply = ann.get(path)
    assert reply.code == 200
    assert reply.header(b"content-type") == "image/png" and reply.header(b"cache-control") == "no-store"
    assert reply.raw.startswith(PNG)
    assert Image.open(io.BytesIO(reply.raw)).size == size


def test_images_without_a_renderer_are_503(ann):
    town = ann.town
    town.bots.images = None
    for path in ("map.png", "minimap.png"):
        assert tuple(ann.get(path)) == error(503, "map rendering unavailable")


def test_a_busy_renderer_is_503_with_retry_in_ms(town, ann):
    class Busy:
        async def render(self, *args):
            raise RenderBusy("map renderer busy, try again")

    town.bots.images = Busy()
    reply = ann.get("map.png")
    assert (reply.code, reply.json) == (503, {"ok": False, "error": "map renderer busy, try again", "retryInMs": 500})


def test_images_draw_the_callers_map(town, ann, bob):
    town.teleport(bob.id, 100, 100, "meadow")
    ann.get("map.png")
    bob.get("minimap.png?w=200&h=150")
    assert set(town.images._cache) == {("town#1", "map", 960, 576, False, ann.id),
                                       ("meadow#1", "minimap", 200, 150, False, bob.id)}


# ---- mode ------------------------------------------------------------------------------
@pytest.mark.parametrize("mode, expected", [("agent", "agent"), ("AGENT", "agent"), (" Manual ", "manual")])
def test_mode(town, ann, mode, expected):
    reply = ann.post("mode", {"mode": mode})
    assert reply.code == 200 and set(reply.json) == {"ok", "player"}
    check_player(reply.json["player"], ann.player)
    assert reply.json["player"]["mode"] == expected == ann.player.mode


def test_manual_mode_clears_the_goal(town, ann):
    ann.post("mode", {"mode": "agent"})
    ann.post("goal", {"x": 100, "y": 100})
    assert ann.player.goal is not None
    town.run_for(0.8)
    ann.post("mode", {"mode": "manual"})
    assert ann.player.goal is None


@pytest.mark.parametrize("body", [{}, {"mode": "auto"}, {"mode": ""}, {"mode": 1}, {"mode": None}, {"mode": ["agent"]}])
def test_mode_errors(town, ann, body):
    town.limiter.buckets.clear()
    assert tuple(ann.post("mode", body)) == error(400, "invalid mode")
    assert ann.player.mode == "manual"


# ---- goal ------------------------------------------------------------------------------
def test_goal(town, ann):
    ann.post("mode", {"mode": "agent"})
    reply = ann.post("goal", {"x": 300.5, "y": 200})
    assert reply.code == 200 and reply.json == {"ok": True, "goal": {"x": 300.5, "y": 200.0}}
    town.run_for(5)
    assert ann.player.goal is None
    assert abs(ann.player.x - 300.5) <= 6 and abs(ann.player.y - 200) <= 6


def test_goal_is_clamped_to_the_map(town, ann):
    assert ann.post("goal", {"x": -50, "y": 99999}).json["goal"] == {"x": 0, "y": 544}


@pytest.mark.parametrize("body", [{}, {"x": 1}, {"y": 1}, {"x": "10", "y": 10}, {"x": True, "y": 1}, {"x": None, "y": 1},
                                  {"x": [1], "y": 1}, {"x": 1e400, "y": 1}])
def test_goal_errors(town, ann, body):
    town.limiter.buckets.clear()
    assert tuple(ann.post("goal", body)) == error(400, "invalid coords")
    assert ann.player.goal is None


# ---- cast ------------------------------------------------------------------------------
def test_cast_hits_and_is_always_http_200(town, ann):
    town.clear_monsters_near(ann.id)
    town.spawn_monster(ann.id, "m_big", ann.player.x + 50, ann.player.y, hp=100, max_hp=100, name="Tanky")
    reply = ann.post("cast", {"spell": "signature"})
    assert reply.code == 200 and set(reply.json) == {"ok", "result"} and reply.json["ok"] is True
    result = reply.json["result"]
    assert result["ok"] is True and result["target"] == "m_big" and result["alive"] is True and result["hp"] < 100
    cooldown = ann.post("cast", {"spell": "attack"})
    assert cooldown.code == 200 and cooldown.json["ok"] is True
    assert cooldown.json["result"]["ok"] is False and cooldown.json["result"]["reason"] == "cooldown"
    assert 0 < cooldown.json["result"]["retryInMs"] <= 700


def test_cast_defaults_to_signature(town, ann):
    town.clear_monsters_near(ann.id)
    town.spawn_monster(ann.id, "m_big", ann.player.x + 50, ann.player.y, hp=100, max_hp=100)
    assert ann.post("cast", {}).json["result"]["target"] == "m_big"
    wait_cooldown(town)
    assert ann.post("cast", {"spell": ""}).json["result"]["target"] == "m_big"


def test_cast_misses_are_results_not_errors(town, ann):
    town.clear_monsters_near(ann.id)
    reply = ann.post("cast", {"spell": "signature"})
    assert reply.code == 200 and reply.json == {"ok": True, "result": {"ok": False, "reason": "no target"}}
    wait_cooldown(town)
    reply = ann.post("cast", {"spell": "abracadabra"})
    assert reply.code == 200 and reply.json == {"ok": True, "result": {"ok": False, "reason": "unknown spell"}}


def test_cast_job_uses_the_job_skill(town):
    archer = town.post("/api/bot/spawn", {"name": "Robin", "job": "archer"}).json
    pid = archer["playerId"]
    town.clear_monsters_near(pid)
    p = town.world.players[pid]
    p.facing = "right"
    town.spawn_monster(pid, "m_far", p.x + 200, p.y, hp=100, max_hp=100)  # beyond melee, within arrow range
    result = town.post("/api/bot/cast", {"spell": "job"}, token=archer["botToken"]).json["result"]
    assert result["ok"] is True and result["target"] == "m_far"


def test_ground_spells_take_a_point(town, ann):
    town.clear_monsters_near(ann.id)
    p = ann.player
    town.spawn_monster(ann.id, "m_a", p.x + 200, p.y, hp=100, max_hp=100)
    result = ann.post("cast", {"spell": "fireball", "x": p.x + 200, "y": p.y}).json["result"]
    assert result["ok"] is True and result["spell"] == "fireball" and result["hits"]


@pytest.mark.parametrize("body, message", [({"spell": 5}, "invalid spell"), ({"spell": ["x"]}, "invalid spell"),
                                           ({"x": "1", "y": 2}, "invalid coords"), ({"x": 1, "y": False}, "invalid coords")])
def test_cast_errors(town, ann, body, message):
    assert tuple(ann.post("cast", body)) == error(400, message)
    assert ann.player.cooldown_until <= town.now_ms()


# ---- intent / chat / thought -----------------------------------------------------------
def test_intent(town, ann, bob):
    assert ann.post("intent", {"text": "  hunting\tporings  "}).json == {"ok": True}
    assert ann.player.intent == "hunting porings"
    others = {q["id"]: q for q in bob.get("world").json["snapshot"]["players"]}
    assert others[ann.id]["intent"] == "hunting porings"
    town.run_for(0.6)
    assert ann.post("intent", {"text": ""}).json == {"ok": True} and ann.player.intent == ""
    town.run_for(0.6)
    assert ann.post("intent", {}).json == {"ok": True} and ann.player.intent == ""


def test_intent_works_in_agent_mode(town, ann):
    ann.post("mode", {"mode": "agent"})
    assert ann.post("intent", {"text": "on autopilot"}).code == 200 and ann.player.intent == "on autopilot"


@pytest.mark.parametrize("route", ["intent", "chat", "thought"])
def test_text_errors(town, ann, route):
    assert tuple(ann.post(route, {"text": {"a": 1}})) == error(400, "text must be a string")
    town.run_for(2.6)
    assert tuple(ann.post(route, {"text": "x" * 4001})) == error(400, "text too long")


def test_chat(town, ann, bob):
    assert ann.post("chat", {"text": "hello\nbob"}).json == {"ok": True}
    for viewer in (ann, bob):
        lines = [line for line in viewer.get("world").json["snapshot"]["chats"] if line["kind"] == "chat"]
        assert [(line["from"], line["text"], line["toPlayerId"]) for line in lines] == \
            [({"id": ann.id, "name": "Ann"}, "hello bob", None)]


def test_chat_is_cut_to_280(town, ann):
    ann.post("chat", {"text": "y" * 1000})
    line = [x for x in ann.get("world").json["snapshot"]["chats"] if x["kind"] == "chat"][-1]
    assert line["text"] == "y" * 280


def test_empty_chat_posts_nothing_and_gives_no_xp(town, ann):
    for body in ({"text": ""}, {"text": "   "}, {}):
        assert ann.post("chat", body).json == {"ok": True}
        town.run_for(1.3)
    assert not [x for x in ann.get("world").json["snapshot"]["chats"] if x["kind"] == "chat"]
    assert ann.player.xp == 0


def test_chat_keeps_a_gap_between_lines(town, ann):
    assert ann.post("chat", {"text": "one"}).code == 200
    reply = ann.post("chat", {"text": "two"})
    assert reply.code == 429 and reply.json["error"] == "rate limited" and 50 <= reply.json["retryInMs"] <= 1200
    town.run_for(reply.json["retryInMs"] / 1000 + 0.1)
    assert ann.post("chat", {"text": "three"}).code == 200
    texts = [x["text"] for x in ann.get("world").json["snapshot"]["chats"] if x["kind"] == "chat"]
    assert texts == ["one", "three"]


def test_chat_mentions_notify(town, ann, bob):
    ann.post("chat", {"text": "hi @bob, want to party?"})
    events = [e for e in bob.get("events").json["events"] if e["kind"] != "nearby"]
    assert [(e["kind"], e["important"]) for e in events] == [("mention", True)]
    assert events[0]["data"]["from"] == {"id": ann.id, "name": "Ann"}


def test_thought(town, ann, bob):
    reply = ann.post("thought", {"text": "Auto-grinding… (tiny agent)"})
    assert reply.code == 200 and set(reply.json) == {"ok", "thoughtAt"}
    assert reply.json["thoughtAt"] == ann.player.thought_at and isinstance(reply.json["thoughtAt"], int)
    me = ann.get("me").json["player"]
    assert me["bot"]["thought"] == "Auto-grinding… (tiny agent)" and me["bot"]["thoughtAt"] == reply.json["thoughtAt"]
    others = {q["id"]: q for q in bob.get("world").json["snapshot"]["players"]}
    assert others[ann.id]["bot"]["thought"] == "Auto-grinding… (tiny agent)"
    assert [e["kind"] for e in ann.get("events").json["events"] if e["kind"] != "nearby"] == ["thought"]


def test_thought_is_cut_to_180(town, ann):
    ann.post("thought", {"text": "z" * 500})
    assert ann.player.thought == "z" * 180


@pytest.mark.parametrize("body", [{}, {"text": ""}, {"text": "   "}, {"text": None}])
def test_thought_needs_text(town, ann, body):
    assert tuple(ann.post("thought", body)) == error(400, "missing text")
    assert ann.player.thought == "" and not town.events(ann.id)


# ---- interrupt -------------------------------------------------------------------------
@pytest.mark.parametrize("level", ["off", "mentions", "nearby", "all", "OFF", " Mentions "])
def test_interrupt(town, ann, level):
    reply = ann.post("interrupt", {"level": level})
    assert reply.code == 200 and set(reply.json) == {"ok", "player"}
    assert reply.json["player"]["interrupt"] == level.strip().lower() == ann.player.interrupt


@pytest.mark.parametrize("body", [{}, {"level": "some"}, {"level": 3}, {"level": None}])
def test_interrupt_errors(town, ann, body):
    town.limiter.buckets.clear()
    assert tuple(ann.post("interrupt", body)) == error(400, "invalid level")
    assert ann.player.interrupt == "all"


def test_interrupt_filters_the_chats_world_shows(town, ann, bob):
    town.teleport(bob.id, ann.player.x + 300, ann.player.y)
    town.do(lambda ref: c.Chat(player_id=bob.id, text="anyone seen ann?", source="bot", ref=ref))
    town.run_for(1.3)
    town.do(lambda ref: c.Chat(player_id=bob.id, text="lovely weather", source="bot", ref=ref))

    def chat_texts():
        town.limiter.buckets.clear()
        return [x["text"] for x in ann.get("world").json["snapshot"]["chats"] if x["kind"] == "chat"]

    assert chat_texts() == ["anyone seen ann?", "lovely weather"]
    ann.post("interrupt", {"level": "mentions"})
    assert chat_texts() == ["anyone seen ann?"]
    ann.post("interrupt", {"level": "nearby"})
    assert chat_texts() == []
    town.teleport(bob.id, ann.player.x + 100, ann.player.y)
    assert chat_texts() == ["anyone seen ann?", "lovely weather"]
    ann.post("interrupt", {"level": "off"})
    world = ann.get("world").json["snapshot"]["chats"]
    assert world and all(x["kind"] == "system" for x in world)


# ---- hat-result ------------------------------------------------------------------------
def test_hat_result(town, ann):
    reply = ann.post("hat-result", {"job": "Knight", "reasons": ["brave", 7, "bold", "d", "e", "f"],
                                    "signature": {"name": "Aegis", "tagline": "Hold the line", "effect": "guard"}})
    assert reply.code == 200 and reply.json == {"ok": True}
    p = ann.player
    assert p.job == "knight" and p.job_skill["spell"] == "cleave"
    assert p.signature == {"name": "Aegis", "tagline": "Hold the line", "effect": "guard"}
    hat = ann.get("world").json["snapshot"]["hat"]
    assert hat["botResult"]["job"] == "knight" and hat["botResult"]["reasons"] == ["brave", "7", "bold", "d"]
    assert ISO_RE.match(hat["submittedAt"]) and hat["localResult"] is None
    chats = [x["text"] for x in ann.get("world").json["snapshot"]["chats"]]
    assert "Ann's fate was refined by their CloudBot." in chats


def test_hat_result_without_a_job_keeps_the_job(town, ann):
    assert ann.post("hat-result", {"reasons": ["x"]}).json == {"ok": True}
    assert ann.player.job == "novice"
    town.run_for(1.1)
    assert ann.post("hat-result", {"job": ""}).json == {"ok": True}


@pytest.mark.parametrize("body, message", [
    ({"job": "wizard"}, "invalid job"), ({"job": 3}, "invalid job"),
    ({"job": "mage", "reasons": "because"}, "reasons must be a list of strings"),
    ({"job": "mage", "signature": "Star"}, "signature must be an object"),
])
def test_hat_result_errors(town, ann, body, message):
    town.limiter.buckets.clear()
    assert tuple(ann.post("hat-result", body)) == error(400, message)
    assert ann.player.job == "novice"


# ---- party -----------------------------------------------------------------------------
def test_party_create_code_join_leave(town, ann, bob):
    created = ann.post("party/create")
    assert created.code == 200 and set(created.json) == {"ok", "partyId"}
    party_id = created.json["partyId"]
    assert ann.post("party/create").json == {"ok": True, "partyId": party_id}  # already in one
    code = ann.post("party/code")
    assert code.code == 200 and set(code.json) == {"ok", "joinCode", "expiresAt"}
    assert re.match(r"^[A-HJ-NP-Z2-9]{6}$", code.json["joinCode"])
    assert 0 <= town.now_ms() + PARTY_CODE_TTL_MS - code.json["expiresAt"] <= 200
    joined = bob.post("party/join", {"joinCode": code.json["joinCode"]})
    assert joined.code == 200 and joined.json == {"ok": True, "partyId": party_id}
    parties = ann.get("world").json["snapshot"]["parties"]
    assert [(p["id"], p["leaderId"], [m["id"] for m in p["members"]]) for p in parties] == \
        [(party_id, ann.id, [ann.id, bob.id])]
    assert bob.player.party_id == party_id and ann.get("me").json["player"]["partyId"] == party_id
    assert bob.post("party/leave").json == {"ok": True} and bob.player.party_id is None
    assert bob.post("party/leave").json == {"ok": True}  # also when not in a party


@pytest.mark.parametrize("key, transform", [("joinCode", str), ("code", str), ("code", str.lower),
                                            ("joinCode", str.lower), ("joinCode", lambda s: f" {s.lower()} ")])
def test_party_join_accepts_code_or_join_code_in_any_case(town, ann, bob, key, transform):
    party_id = ann.post("party/create").json["partyId"]
    code = ann.post("party/code").json["joinCode"]
    assert bob.post("party/join", {key: transform(code)}).json == {"ok": True, "partyId": party_id}


def test_party_join_does_not_teleport(town, ann, bob):
    town.teleport(bob.id, 100, 100)
    ann.post("party/create")
    code = ann.post("party/code").json["joinCode"]
    bob.post("party/join", {"code": code})
    assert (round(bob.player.x), round(bob.player.y)) == (100, 100)


def test_a_new_party_code_replaces_the_old_one(town, ann, bob):
    ann.post("party/create")
    old = ann.post("party/code").json["joinCode"]
    new = ann.post("party/code").json["joinCode"]
    assert tuple(bob.post("party/join", {"code": old})) == error(400, "invalid code")
    assert bob.post("party/join", {"code": new}).code == 200


@pytest.mark.parametrize("body", [{}, {"code": ""}, {"code": "ZZZZZZ"}, {"joinCode": 123456}, {"code": None}])
def test_party_join_errors(town, ann, body):
    town.limiter.buckets.clear()
    assert tuple(ann.post("party/join", body)) == error(400, "invalid code")
    assert ann.player.party_id is None


def test_an_expired_party_code(town, ann, bob):
    ann.post("party/create")
    code = ann.post("party/code").json["joinCode"]
    town.clock.advance(PARTY_CODE_TTL_MS / 1000 + 1)
    town.advance(2)
    assert tuple(bob.post("party/join", {"code": code})) == error(400, "expired code")
    assert bob.player.party_id is None


def test_party_code_errors(town, ann, bob):
    assert tuple(ann.post("party/code")) == error(400, "not in party")
    ann.post("party/create")
    bob.post("party/join", {"code": ann.post("party/code").json["joinCode"]})
    assert tuple(bob.post("party/code")) == error(403, "not leader")
