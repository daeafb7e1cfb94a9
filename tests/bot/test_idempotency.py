"""`requestId` on mutating bot calls: a retry answers the first result and does not act twice."""

from __future__ import annotations

import pytest

from clawtown.engine.bots import IDEMPOTENCY_MS

from .conftest import ROUTE_IDS, ROUTES


def thoughts(town, pid: str) -> list[dict]:
    return [e for e in town.events(pid) if e["kind"] == "thought"]


def chat_lines(bot) -> list[str]:
    bot.town.limiter.buckets.clear()
    return [x["text"] for x in bot.get("world").json["snapshot"]["chats"] if x["kind"] == "chat"]


def test_a_retried_chat_is_posted_once(town, ann):
    first = ann.post("chat", {"text": "hello once", "requestId": "r-1"})
    town.run_for(1.5)  # past the chat gap: a second post would be accepted
    again = ann.post("chat", {"text": "hello once", "requestId": "r-1"})
    assert first.code == again.code == 200 and first.json == again.json == {"ok": True}
    assert chat_lines(ann) == ["hello once"]


def test_a_retried_thought_makes_one_event(town, ann):
    first = ann.post("thought", {"text": "hmm", "requestId": "t-1"})
    town.run_for(3)
    again = ann.post("thought", {"text": "hmm", "requestId": "t-1"})
    assert again.json == first.json and "thoughtAt" in first.json
    events = ann.get("events").json["events"]
    assert [(e["kind"], e["text"]) for e in events] == [("thought", "hmm")]


def test_a_retry_while_the_first_is_in_flight_waits_for_it(town, ann):
    boxes = [town.send("POST", "/api/bot/thought", {"text": "both", "requestId": "t-2"}, token=ann.token)
             for _ in range(2)]
    replies = [town.wait(box) for box in boxes]
    assert replies[0].json == replies[1].json and replies[0].code == 200
    assert len(thoughts(town, ann.id)) == 1


def test_a_retried_cast_hits_once(town, ann):
    town.clear_monsters_near(ann.id)
    town.spawn_monster(ann.id, "m_big", ann.player.x + 40, ann.player.y, hp=100, max_hp=100)
    first = ann.post("cast", {"spell": "signature", "requestId": "c-1"})
    hp = town.world.instance_of(ann.player).monsters["m_big"].hp
    town.run_for(1)  # past the cooldown
    again = ann.post("cast", {"spell": "signature", "requestId": "c-1"})
    assert again.json == first.json and first.json["result"]["ok"] is True
    assert town.world.instance_of(ann.player).monsters["m_big"].hp == hp
    other = ann.post("cast", {"spell": "signature", "requestId": "c-2"})
    assert other.json["result"]["ok"] is True and other.json["result"]["hp"] < hp


def test_a_retried_mode_answers_the_first_player_view(town, ann):
    first = ann.post("mode", {"mode": "agent", "requestId": "m-1"})
    town.run_for(1)
    ann.post("mode", {"mode": "manual"})
    town.run_for(1)
    again = ann.post("mode", {"mode": "agent", "requestId": "m-1"})
    assert again.json == first.json and again.json["player"]["mode"] == "agent"
    assert ann.player.mode == "manual"  # the retry did not act


def test_different_request_ids_act_each_time(town, ann):
    ann.post("thought", {"text": "a", "requestId": "x-1"})
    town.run_for(3)
    ann.post("thought", {"text": "b", "requestId": "x-2"})
    assert [e["text"] for e in thoughts(town, ann.id)] == ["a", "b"]


def test_without_a_request_id_every_call_acts(town, ann):
    ann.post("thought", {"text": "a"})
    town.run_for(3)
    ann.post("thought", {"text": "a"})
    assert len(thoughts(town, ann.id)) == 2


def test_a_failed_first_attempt_is_not_remembered(town, ann):
    assert ann.post("mode", {"mode": "bogus", "requestId": "f-1"}).code == 400
    town.run_for(1)
    reply = ann.post("mode", {"mode": "agent", "requestId": "f-1"})
    assert reply.code == 200 and ann.player.mode == "agent"


def test_a_refused_command_is_not_remembered(town, ann, bob):
    assert ann.post("party/join", {"code": "ZZZZZZ", "requestId": "p-1"}).code == 400
    bob.post("party/create")
    code = bob.post("party/code").json["joinCode"]
    assert ann.post("party/join", {"code": code, "requestId": "p-1"}).code == 200


def test_request_ids_are_per_player(town, ann, bob):
    ann.post("thought", {"text": "ann", "requestId": "same"})
    reply = bob.post("thought", {"text": "bob", "requestId": "same"})
    assert reply.code == 200 and [e["text"] for e in thoughts(town, bob.id)] == ["bob"]


def test_request_ids_are_per_route(town, ann):
    created = ann.post("party/create", {"requestId": "same"})
    code = ann.post("party/code", {"requestId": "same"})
    assert set(created.json) == {"ok", "partyId"}
    assert set(code.json) == {"ok", "joinCode", "expiresAt"}


def test_request_ids_expire(town, ann):
    ann.post("thought", {"text": "a", "requestId": "old"})
    town.clock.advance(IDEMPOTENCY_MS / 1000 + 1)
    town.advance(2)
    ann.post("thought", {"text": "a", "requestId": "old"})
    assert len(thoughts(town, ann.id)) == 2


@pytest.mark.parametrize("rid", ["", 5, "x" * 129, ["a"], {"a": 1}, True])
def test_bad_request_ids_are_400(town, ann, rid):
    reply = ann.post("thought", {"text": "a", "requestId": rid})
    assert (reply.code, reply.json) == (400, {"ok": False, "error": "requestId must be a string of 1-128 characters"})
    assert thoughts(town, ann.id) == []


@pytest.mark.parametrize("method, path, body, rule", [r for r in ROUTES if r[0] == "POST"],
                         ids=[i for i, r in zip(ROUTE_IDS, ROUTES) if r[0] == "POST"])
def test_every_post_route_accepts_a_request_id(town, ann, method, path, body, rule):
    plain = town.request(method, "/api/bot/" + path, body, token=ann.token)
    town.limiter.buckets.clear()
    town.run_for(1.5)
    with_id = town.request(method, "/api/bot/" + path, {**body, "requestId": "rid-" + path}, token=ann.token)
    assert with_id.code == plain.code
    town.limiter.buckets.clear()
    again = town.request(method, "/api/bot/" + path, {**body, "requestId": "rid-" + path}, token=ann.token)
    if with_id.code == 200:
        assert again.json == with_id.json
