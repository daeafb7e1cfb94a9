"""A bot token only ever reads or acts on its own player: for every route, Ann's token leaves Bob alone."""

from __future__ import annotations

import pytest

from clawtown.sim import commands as c

from .conftest import ROUTE_IDS, ROUTES, Town


def state_of(town: Town, pid: str) -> dict:
    """Everything about a player that a call could change: live state, store rows, timestamps."""
    p = town.world.players[pid]
    return {
        "record": p.to_record(),
        "seen": (p.bot_seen_at, p.bot_action_at, p.cooldown_until, p.last_chat_at, p.online),
        "stored": town.store.get_player(pid),
        "events": town.events(pid),
        "link": town.store.get_bot_link(pid),
        "codes": town.store.list_join_codes(pid),
    }


@pytest.fixture
def cy(town):
    return town.linked_player("Cy")


@pytest.fixture
def apart(town, ann, bob, cy):
    """Bob plays on another map, with things of his own that Ann must never see or touch."""
    town.teleport(bob.id, 300, 300, "meadow")
    town.do(lambda ref: c.GrantItem(player_id=bob.id, item="sword_1", qty=1, ref=ref))
    town.do(lambda ref: c.GrantItem(player_id=bob.id, item="zenny", qty=25, ref=ref))
    bob.post("thought", {"text": "bob's secret plan"})
    bob.post("party/create")
    town.clear_monsters_near(ann.id, 200)
    town.spawn_monster(ann.id, "m_target", ann.player.x + 40, ann.player.y, hp=50, max_hp=50)
    town.run_for(1)
    town.limiter.buckets.clear()
    return ann, bob, cy


@pytest.mark.parametrize("method, path, body, rule", ROUTES, ids=ROUTE_IDS)
def test_ann_s_token_never_reads_or_changes_bob(town, apart, method, path, body, rule):
    ann, bob, cy = apart
    if path in ("party/code", "party/leave"):
        ann.post("party/create")
    if path == "party/join":
        cy.post("party/create")
        body = {"code": cy.post("party/code").json["joinCode"]}
    town.run_for(0.5)
    before = state_of(town, bob.id)
    reply = town.request(method, "/api/bot/" + path, body, token=ann.token)
    assert reply.code == 200, reply
    town.run_for(1)
    assert state_of(town, bob.id) == before
    for secret in (bob.id, bob.token, "bob's secret plan", bob.player.party_id):
        assert secret.encode() not in reply.raw, secret
    if reply.json is not None:
        for key in ("player", "you"):
            if key in reply.json:
                assert reply.json[key]["id"] == ann.id
        if "snapshot" in reply.json:
            assert reply.json["snapshot"]["you"]["id"] == ann.id
        if "playerId" in reply.json:
            assert reply.json["playerId"] == ann.id


def test_ann_acts_only_on_ann(town, apart):
    ann, bob, _ = apart
    ann.post("mode", {"mode": "agent"})
    ann.post("goal", {"x": 100, "y": 100})
    ann.post("intent", {"text": "ann's intent"})
    ann.post("interrupt", {"level": "off"})
    assert ann.player.mode == "agent" and ann.player.intent == "ann's intent" and ann.player.interrupt == "off"
    assert bob.player.mode == "manual" and bob.player.intent == "" and bob.player.interrupt == "all"
    assert bob.player.goal is None


def test_on_the_same_map_other_players_are_public_views_only(town, ann, bob):
    town.do(lambda ref: c.GrantItem(player_id=bob.id, item="sword_1", qty=1, ref=ref))
    town.do(lambda ref: c.GrantItem(player_id=bob.id, item="zenny", qty=25, ref=ref))
    town.teleport(bob.id, ann.player.x + 30, ann.player.y)
    body = ann.get("world").json
    others = {q["id"]: q for q in body["snapshot"]["players"]}
    assert others[bob.id]["inventory"] == [] and "zenny" not in others[bob.id]
    assert body["you"]["id"] == ann.id
    assert bob.get("me").json["player"]["zenny"] == 25  # Bob's own view has it
    # Ann's event log and Bob's are separate
    bob.post("thought", {"text": "only mine"})
    assert [e for e in ann.get("events").json["events"] if e["kind"] != "nearby"] == []
    assert [e["text"] for e in bob.get("events").json["events"] if e["kind"] != "nearby"] == ["only mine"]


def test_a_session_token_mints_codes_only_for_its_own_player(town):
    ann = town.create_player("Ann")
    bob = town.create_player("Bob")
    code = town.mint_code(ann["sessionToken"])["joinCode"]
    assert town.link({"joinCode": code}).json["playerId"] == ann["playerId"]
    assert town.store.list_join_codes(bob["playerId"]) == []


SPAWN_META = {"twitterHandle": "@mochi_handle_x", "preferredAnimal": "axolotl_pref"}


def test_spawn_metadata_is_never_shown(town, ann):
    spawned = town.post("/api/bot/spawn", {"name": "Mochi", **SPAWN_META}).json
    token, pid = spawned["botToken"], spawned["playerId"]
    town.teleport(pid, ann.player.x + 20, ann.player.y)
    assert town.world.players[pid].private_meta == {"twitterHandle": "@mochi_handle_x", "preferredAnimal": "axolotl_pref"}
    seen = [
        ann.get("world").raw, ann.get("status").raw, ann.get("me").raw,
        town.get("/api/bot/world", token=token).raw,
        town.get("/api/bot/status", token=token).raw,
        town.get("/api/bot/me", token=token).raw,
    ]
    town.run_for(0.6)
    seen.append(town.post("/api/bot/mode", {"mode": "agent"}, token=token).raw)
    seen.append(ann.post("interrupt", {"level": "all"}).raw)
    for raw in seen:
        assert b"mochi_handle_x" not in raw and b"axolotl_pref" not in raw
        assert b"twitterHandle" not in raw and b"preferredAnimal" not in raw
    world = ann.get("events").raw + str(town.chatlog.by_instance).encode()
    assert b"mochi_handle_x" not in world


def test_spawn_metadata_is_bounded(town):
    spawned = town.post("/api/bot/spawn", {"name": "Mochi", "twitterHandle": "h" * 500, "preferredAnimal": 7}).json
    meta = town.world.players[spawned["playerId"]].private_meta
    assert meta == {"twitterHandle": "h" * 64, "preferredAnimal": "7"}
