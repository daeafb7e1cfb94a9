"""Join codes, join tokens, POST /api/bot/link and POST /api/bot/spawn (reference §1.2, §4)."""

from __future__ import annotations

import re

import pytest

from clawtown.engine.bots import JOIN_CODE_TTL_MS, MAX_LIVE_CODES
from clawtown.engine.ids import hash_secret
from clawtown.sim import commands as c

from .conftest import BASE, Town

CODE_RE = re.compile(r"^[ABCDEFGHJKLMNPQRSTUVWXYZ23456789]{6}$")
TOKEN_RE = re.compile(r"^ctbot_[A-Za-z0-9_-]{32}$")
LINK_FIELDS = {"ok", "botToken", "playerId", "apiBaseUrl", "wsUrl"}


# ---- POST /api/join-codes ----------------------------------------------------------------
def test_join_code_shape(town):
    created = town.create_player("Ann")
    reply = town.post("/api/join-codes", {}, token=created["sessionToken"])
    assert reply.code == 200
    body = reply.json
    assert set(body) == {"ok", "joinCode", "expiresAt", "baseUrl", "joinToken", "sandboxBaseUrl", "sandboxJoinToken"}
    assert body["ok"] is True and CODE_RE.match(body["joinCode"])
    assert body["expiresAt"] == town.now_ms() + JOIN_CODE_TTL_MS
    assert body["baseUrl"] == BASE
    assert body["joinToken"] == f"CT1|{BASE}|{body['joinCode']}"
    assert body["sandboxBaseUrl"] == "http://host.docker.internal:8080"
    assert body["sandboxJoinToken"] == f"CT1|http://host.docker.internal:8080|{body['joinCode']}"


def test_join_codes_without_a_port_have_no_sandbox_variant():
    town = Town(public_base_url="https://clawtown.example")
    try:
        created = town.create_player("Ann")
        body = town.mint_code(created["sessionToken"])
        assert body["baseUrl"] == "https://clawtown.example"
        assert body["joinToken"] == f"CT1|https://clawtown.example|{body['joinCode']}"
        assert body["sandboxBaseUrl"] is None and body["sandboxJoinToken"] is None
        linked = town.link({"joinToken": body["joinToken"]}).json
        assert linked["apiBaseUrl"] == "https://clawtown.example" and linked["wsUrl"] == "wss://clawtown.example/ws"
    finally:
        town.stop()


@pytest.mark.parametrize("token", [None, "cts_" + "z" * 43, "", "ctbot_" + "z" * 32])
def test_join_codes_need_the_session_token(town, token):
    town.create_player("Ann")
    reply = town.post("/api/join-codes", {}, token=token)
    assert (reply.code, reply.json) == (401, {"ok": False, "error": "unauthorized"})


def test_a_bot_token_is_not_a_session_token(town, ann):
    assert town.post("/api/join-codes", {}, token=ann.token).code == 401


def test_at_most_five_live_codes_the_oldest_goes(town):
    created = town.create_player("Ann")
    codes = []
    for _ in range(MAX_LIVE_CODES + 1):
        codes.append(town.mint_code(created["sessionToken"])["joinCode"])
        town.run_for(2.1)  # the join-code rate limit
    assert town.link({"joinCode": codes[0]}).json == {"ok": False, "error": "invalid joinCode"}
    tokens = {town.link({"joinCode": code}).json["botToken"] for code in codes[1:]}
    assert len(tokens) == 1


# ---- POST /api/bot/link ------------------------------------------------------------------
def test_link_with_a_join_token(town):
    created = town.create_player("Ann")
    minted = town.mint_code(created["sessionToken"])
    reply = town.link({"joinToken": minted["joinToken"]})
    assert reply.code == 200 and set(reply.json) == LINK_FIELDS
    body = reply.json
    assert body["ok"] is True and TOKEN_RE.match(body["botToken"])
    assert body["playerId"] == created["playerId"]
    assert body["apiBaseUrl"] == BASE and body["wsUrl"] == "ws://127.0.0.1:8080/ws"


def test_link_marks_the_player_linked_and_says_so(town):
    created = town.create_player("Ann")
    minted = town.mint_code(created["sessionToken"])
    assert town.world.players[created["playerId"]].linked_bot is False
    token = town.link({"joinCode": minted["joinCode"]}).json["botToken"]
    p = town.world.players[created["playerId"]]
    assert p.linked_bot is True and p.bot_seen_at is not None and p.bot_action_at is None
    chats = town.get("/api/bot/world", token=token).json["snapshot"]["chats"]
    assert any(c["text"] == "Ann's CloudBot is now linked." and c["kind"] == "system" for c in chats)


def test_only_the_token_hash_is_stored(town, ann):
    link = town.store.get_bot_link(ann.id)
    assert link["tokenHash"] == hash_secret(ann.token)
    assert ann.token not in repr(vars(town.store))


@pytest.mark.parametrize("variant", ["joinCode", "lower", "padded", "joinToken", "joinToken lower", "token other base"])
def test_link_accepts_the_code_in_every_form(town, variant):
    created = town.create_player("Ann")
    code = town.mint_code(created["sessionToken"])["joinCode"]
    body = {
        "joinCode": {"joinCode": code},
        "lower": {"joinCode": code.lower()},
        "padded": {"joinCode": f"  {code}\n"},
        "joinToken": {"joinToken": f"CT1|{BASE}|{code}"},
        "joinToken lower": {"joinToken": f"CT1|{BASE}| {code.lower()} "},
        "token other base": {"joinToken": f"CT9|https://elsewhere.example|{code}"},  # only the code counts
    }[variant]
    reply = town.link(body)
    assert reply.code == 200 and reply.json["playerId"] == created["playerId"]


def test_join_code_wins_over_join_token(town):
    ann = town.create_player("Ann")
    bob = town.create_player("Bob")
    ann_code = town.mint_code(ann["sessionToken"])["joinCode"]
    bob_code = town.mint_code(bob["sessionToken"])["joinCode"]
    reply = town.link({"joinCode": ann_code, "joinToken": f"CT1|{BASE}|{bob_code}"})
    assert reply.json["playerId"] == ann["playerId"]
    reply = town.link({"joinCode": "", "joinToken": f"CT1|{BASE}|{bob_code}"})
    assert reply.json["playerId"] == bob["playerId"]


@pytest.mark.parametrize("body", [
    {}, {"joinCode": "ZZZZZZ"}, {"joinCode": ""}, {"joinCode": 123456}, {"joinCode": None},
    {"joinToken": "ZZZZZZ"}, {"joinToken": "CT1|ZZZZZZ"}, {"joinToken": "CT1|a|b|ZZZZZZ"}, {"joinToken": 5},
    {"joinCode": "Z" * 40},
])
def test_unknown_codes_are_404_invalid_join_code(town, body):
    reply = town.link(body)
    assert (reply.code, reply.json) == (404, {"ok": False, "error": "invalid joinCode"})


def test_a_join_token_needs_exactly_three_parts(town):
    created = town.create_player("Ann")
    code = town.mint_code(created["sessionToken"])["joinCode"]
    assert town.link({"joinToken": code}).code == 404
    assert town.link({"joinToken": f"CT1|{BASE}|{code}|x"}).code == 404
    assert town.link({"joinToken": f"||{code}"}).code == 200


def test_an_expired_code_is_410(town):
    created = town.create_player("Ann")
    code = town.mint_code(created["sessionToken"])["joinCode"]
    town.clock.advance(JOIN_CODE_TTL_MS / 1000 - 1)
    town.advance(2)
    assert town.link({"joinCode": code}).code == 200
    town.clock.advance(2)
    town.advance(2)
    reply = town.link({"joinCode": code})
    assert (reply.code, reply.json) == (410, {"ok": False, "error": "joinCode expired"})


@pytest.mark.parametrize("raw, error", [
    (b"{", "invalid JSON body"), (b"[1, 2]", "JSON body must be an object"), (b'"x"', "JSON body must be an object"),
])
def test_link_with_a_broken_body_is_400_json(town, raw, error):
    reply = town.request("POST", "/api/bot/link", raw=raw)
    assert (reply.code, reply.json) == (400, {"ok": False, "error": error})


def test_a_huge_body_is_413_json(town):
    reply = town.request("POST", "/api/bot/link", raw=b'{"joinCode": "' + b"A" * (300 * 1024) + b'"}')
    assert (reply.code, reply.json) == (413, {"ok": False, "error": "request body too large"})


def test_relinking_with_a_live_code_returns_the_same_token(town, ann):
    for _ in range(3):
        reply = town.link({"joinCode": ann.code})
        assert reply.json["botToken"] == ann.token and reply.json["playerId"] == ann.id
    assert town.get("/api/bot/me", token=ann.token).code == 200


def test_two_minted_codes_link_to_the_same_token(town):
    created = town.create_player("Ann")
    first = town.mint_code(created["sessionToken"])
    second = town.mint_code(created["sessionToken"])
    assert first["joinCode"] != second["joinCode"]
    token_a = town.link({"joinToken": first["joinToken"]}).json["botToken"]
    token_b = town.link({"joinToken": second["joinToken"]}).json["botToken"]
    assert token_a == token_b
    # and the first code still works after the second was minted and used
    assert town.link({"joinCode": first["joinCode"]}).json["botToken"] == token_a


def test_tokens_differ_between_players(town, ann, bob):
    assert ann.token != bob.token
    assert town.get("/api/bot/me", token=ann.token).json["player"]["id"] == ann.id
    assert town.get("/api/bot/me", token=bob.token).json["player"]["id"] == bob.id


def test_link_brings_a_parked_player_back(town, ann):
    town.do(lambda ref: c.Park(player_id=ann.id, ref=ref))
    town.advance(4)
    assert ann.id not in town.world.players
    reply = town.link({"joinCode": ann.code})
    assert reply.code == 200 and reply.json["botToken"] == ann.token
    assert ann.id in town.world.players and town.world.players[ann.id].linked_bot is True


def test_a_bot_call_brings_a_parked_player_back(town, ann):
    town.do(lambda ref: c.Park(player_id=ann.id, ref=ref))
    town.advance(4)
    assert ann.id not in town.world.players
    reply = ann.get("me")
    assert reply.code == 200 and reply.json["player"]["id"] == ann.id
    assert ann.id in town.world.players


# ---- POST /api/bot/spawn -----------------------------------------------------------------
def test_spawn_shape(town):
    reply = town.post("/api/bot/spawn", {"name": "Mochi", "job": "archer"})
    assert reply.code == 200
    body = reply.json
    assert set(body) == LINK_FIELDS | {"character"}
    assert body["ok"] is True and TOKEN_RE.match(body["botToken"]) and body["playerId"].startswith("p_")
    assert body["character"] == {"name": "Mochi", "job": "archer", "level": 1, "hp": 30, "maxHp": 30, "xp": 0,
                                 "x": 480, "y": 288}
    assert body["apiBaseUrl"] == BASE and body["wsUrl"] == "ws://127.0.0.1:8080/ws"
    p = town.world.players[body["playerId"]]
    assert p.linked_bot is True and p.job == "archer" and p.job_skill["spell"] == "arrow"
    me = town.get("/api/bot/me", token=body["botToken"]).json["player"]
    assert me["id"] == body["playerId"] and me["linkedBot"] is True
    chats = town.get("/api/bot/world", token=body["botToken"]).json["snapshot"]["chats"]
    assert any(c["text"] == "Mochi entered the town." for c in chats)


@pytest.mark.parametrize("job, expected", [(None, "novice"), ("", "novice"), ("MAGE", "mage"), (" Knight ", "knight"),
                                           ("assassin", "assassin"), ("bard", "bard")])
def test_spawn_jobs(town, job, expected):
    body = {"name": "Mochi"} if job is None else {"name": "Mochi", "job": job}
    assert town.post("/api/bot/spawn", body).json["character"]["job"] == expected


@pytest.mark.parametrize("job", ["wizard", "Novice2", 5, ["mage"]])
def test_spawn_rejects_unknown_jobs(town, job):
    reply = town.post("/api/bot/spawn", {"name": "Mochi", "job": job})
    assert (reply.code, reply.json) == (
        400, {"ok": False, "error": "invalid job (must be one of: novice, mage, archer, knight, assassin, bard)"})


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": "   "}, {"name": None}, {"name": {"a": 1}}, {"name": []},
                                  {"job": "mage"}])
def test_spawn_needs_a_name(town, body):
    reply = town.post("/api/bot/spawn", body)
    assert (reply.code, reply.json) == (400, {"ok": False, "error": "name required"})


def test_spawn_stringifies_a_numeric_name_like_the_original(town):
    assert town.post("/api/bot/spawn", {"name": 123}).json["character"]["name"] == "123"


def test_spawn_cuts_long_names(town):
    assert town.post("/api/bot/spawn", {"name": "M" * 100}).json["character"]["name"] == "M" * 24


def test_every_spawn_is_a_new_character_with_its_own_token(town):
    a = town.post("/api/bot/spawn", {"name": "Mochi"}).json
    b = town.post("/api/bot/spawn", {"name": "Mochi"}).json
    assert a["playerId"] != b["playerId"] and a["botToken"] != b["botToken"]


def test_spawned_bots_are_stored(town):
    body = town.post("/api/bot/spawn", {"name": "Mochi", "job": "bard"}).json
    town.advance(4)
    stored = town.store.get_player(body["playerId"])
    assert stored["name"] == "Mochi" and stored["job"] == "bard" and stored["linkedBot"] is True
