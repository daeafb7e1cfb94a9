"""Parties (codes, join, leave, promote, summon) and social rules (chat, whisper, mentions, emotes,
board, intents, thoughts, nearby notes)."""

import math

from clawtown.sim import commands as c
from clawtown.sim.constants import (
    BOARD_KEEP, CHAT_GAP_MS, NEARBY_PAIR_MS, NEARBY_PLAYER_MS, PARTY_CODE_TTL_MS, SUMMON_COOLDOWN_MS,
    SUMMON_COST, TEXT_INTENT, TEXT_THOUGHT,
)
from clawtown.sim.social import EMOTES


def create(s, pid, party_id="party_1"):
    return s.do(c.PartyCreate(player_id=pid, party_id=party_id))


def code(s, pid, value="ABCD23"):
    return s.do(c.PartyCode(player_id=pid, code=value))


def join(s, pid, value="ABCD23", teleport=True):
    return s.do(c.PartyJoin(player_id=pid, code=value, teleport=teleport))


# ---- party ---------------------------------------------------------------------------------

def test_create_code_and_join(sim):
    a = sim.add_player("p_a", x=200, y=150)
    b = sim.add_player("p_b", x=800, y=500)
    assert create(sim, "p_a") == {"ok": True, "partyId": "party_1"}
    assert create(sim, "p_a")["partyId"] == "party_1"  # already in one
    res = code(sim, "p_a", "abcd23")
    assert res["ok"] and res["joinCode"] == "ABCD23" and res["expiresAt"] == sim.now + PARTY_CODE_TTL_MS
    assert join(sim, "p_b", " abcd23 ") == {"ok": True, "partyId": "party_1"}
    assert b.party_id == "party_1" and sim.world.parties["party_1"].members == ["p_a", "p_b"]
    assert math.dist((a.x, a.y), (b.x, b.y)) <= 70 * math.sqrt(2) + 1
    assert join(sim, "p_b")["ok"]  # joining your own party again is harmless
    assert sim.world.parties["party_1"].members == ["p_a", "p_b"]


def test_join_teleports_across_maps(sim):
    a = sim.add_player("p_a")
    b = sim.add_player("p_b")
    create(sim, "p_a")
    code(sim, "p_a")
    sim.world.transfer(a, "meadow", 1000, 1000)
    assert join(sim, "p_b")["ok"]
    assert (b.map_id, b.channel) == (a.map_id, a.channel)
    assert math.dist((a.x, a.y), (b.x, b.y)) <= 100
    assert sim.relocations("p_b")[-1].new == "meadow#1"


def test_join_without_teleport_stays_put(sim):
    sim.add_player("p_a", x=200, y=150)
    b = sim.add_player("p_b", x=800, y=500)
    create(sim, "p_a")
    code(sim, "p_a")
    assert join(sim, "p_b", teleport=False)["ok"]
    assert (b.x, b.y) == (800, 500)


def test_only_the_leader_makes_codes_and_a_new_code_replaces_the_old(sim):
    sim.add_player("p_a")
    sim.add_player("p_b")
    sim.add_player("p_c")
    assert code(sim, "p_a")["error"] == "not in party"
    create(sim, "p_a")
    code(sim, "p_a", "AAAA22")
    join(sim, "p_b", "AAAA22")
    assert code(sim, "p_b", "BBBB33")["error"] == "not leader"
    code(sim, "p_a", "CCCC44")
    assert join(sim, "p_c", "AAAA22")["error"] == "invalid code"
    assert join(sim, "p_c", "CCCC44")["ok"]


def test_invalid_and_expired_codes(sim):
    sim.add_player("p_a")
    b = sim.add_player("p_b")
    create(sim, "p_a")
    code(sim, "p_a")
    assert join(sim, "p_b", "ZZZZ99") == {"ok": False, "error": "invalid code", "status": 400}
    assert join(sim, "p_b", "") ["error"] == "invalid code"
    sim.step(dt=PARTY_CODE_TTL_MS)  # the clock jumps an hour
    res = join(sim, "p_b")
    assert res["ok"] is False and res["error"] in ("expired code", "invalid code")
    assert b.party_id is None
    sim.ticks(25)  # the periodic purge forgets it
    assert "ABCD23" not in sim.world.party_codes


def test_leave_hands_over_leadership_and_empty_party_disbands(sim):
    for pid in ("p_a", "p_b", "p_c"):
        sim.add_player(pid)
    create(sim, "p_a")
    code(sim, "p_a")
    join(sim, "p_b")
    join(sim, "p_c")
    party = sim.world.parties["party_1"]
    assert sim.do(c.PartyLeave(player_id="p_a"))["ok"]
    assert party.leader_id == "p_b" and party.members == ["p_b", "p_c"]
    assert sim.world.players["p_a"].party_id is None
    sim.do(c.PartyLeave(player_id="p_c"))
    sim.do(c.PartyLeave(player_id="p_b"))
    assert "party_1" not in sim.world.parties and "party_1" in sim.world.parties_deleted
    assert "ABCD23" not in sim.world.party_codes
    assert sim.do(c.PartyLeave(player_id="p_b"))["ok"]  # leaving no party is harmless


def test_joining_another_party_leaves_the_old_one(sim):
    for pid in ("p_a", "p_b"):
        sim.add_player(pid)
    create(sim, "p_a", "party_a")
    create(sim, "p_b", "party_b")
    code(sim, "p_a", "AAAA22")
    join(sim, "p_b", "AAAA22")
    assert "party_b" not in sim.world.parties
    assert sim.world.parties["party_a"].members == ["p_a", "p_b"]


def test_promote(sim):
    for pid in ("p_a", "p_b", "p_c"):
        sim.add_player(pid)
    create(sim, "p_a")
    code(sim, "p_a")
    join(sim, "p_b")
    assert sim.do(c.PartyPromote(player_id="p_b", member_id="p_b"))["error"] == "not leader"
    assert sim.do(c.PartyPromote(player_id="p_a", member_id="p_c"))["error"] == "not a member"
    assert sim.do(c.PartyPromote(player_id="p_c", member_id="p_a"))["error"] == "not in party"
    assert sim.do(c.PartyPromote(player_id="p_a", member_id="p_b")) == {"ok": True, "leaderId": "p_b"}
    assert sim.world.parties["party_1"].leader_id == "p_b"
    assert code(sim, "p_a", "XXXX22")["error"] == "not leader"


def test_summon_leader_only_costs_zenny_and_has_a_cooldown(sim):
    a = sim.add_player("p_a")
    b = sim.add_player("p_b")
    assert sim.do(c.PartySummon(player_id="p_a"))["error"] == "not in party"
    create(sim, "p_a")
    code(sim, "p_a")
    join(sim, "p_b")
    b.zenny = 50
    assert sim.do(c.PartySummon(player_id="p_b"))["error"] == "not leader"
    a.zenny = SUMMON_COST - 1
    res = sim.do(c.PartySummon(player_id="p_a"))
    assert res["ok"] is False and a.zenny == SUMMON_COST - 1
    a.zenny = SUMMON_COST + 5
    res = sim.do(c.PartySummon(player_id="p_a"))
    assert res["ok"] and a.zenny == 5
    elite = sim.inst().monsters[res["monsterId"]]
    assert (elite.kind, elite.hp, elite.wander, elite.respawn_ms) == ("elite", 80, False, None)
    assert abs(elite.x - (a.x + 18)) < 1e-6
    assert any(ch.text == "An elite appeared: King Poring!" for ch in sim.chats())
    a.zenny = 100
    sim.advance_ms(1000)
    res = sim.do(c.PartySummon(player_id="p_a"))
    assert res["error"] == "summon on cooldown" and res["status"] == 429
    assert 0 < res["retryInMs"] <= SUMMON_COOLDOWN_MS - 1000 and a.zenny == 100
    sim.advance_ms(SUMMON_COOLDOWN_MS)
    assert sim.do(c.PartySummon(player_id="p_a"))["ok"] and a.zenny == 90


# ---- chat ----------------------------------------------------------------------------------

def chat(s, pid, text, dt=50):
    return s.do(c.Chat(player_id=pid, text=text), dt=dt)


def test_chat_rate_gap(sim):
    sim.add_player("p_a")
    assert chat(sim, "p_a", "hello") == {"ok": True}
    res = chat(sim, "p_a", "again", dt=200)
    assert res["ok"] is False and res["status"] == 429 and res["retryInMs"] == CHAT_GAP_MS - 200
    assert chat(sim, "p_a", "now", dt=CHAT_GAP_MS - 200)["ok"]


def test_empty_chat_is_refused_and_chat_gives_no_xp(sim):
    p = sim.add_player("p_a")
    for text in ("", "   ", "\n\t"):
        assert chat(sim, "p_a", text)["ok"] is False
    assert chat(sim, "p_a", "hi there")["ok"]
    assert p.xp == 0
    [line] = [ch for ch in sim.chats() if ch.from_id == "p_a"]
    assert (line.scope, line.text, line.instance) == ("local", "hi there", "town#1")


def test_chat_is_cleaned_and_cut(sim):
    sim.add_player("p_a")
    chat(sim, "p_a", "a\nb\x00c" + "x" * 400)
    [line] = [ch for ch in sim.chats() if ch.from_id == "p_a"]
    assert "\n" not in line.text and "\x00" not in line.text and len(line.text) == 280


def test_whisper_reaches_only_its_target(sim):
    sim.add_player("p_a", name="Alice")
    sim.add_player("p_b", name="Bob")
    sim.add_player("p_c", name="Carol")
    res = sim.do(c.Whisper(player_id="p_a", to="bob", text="psst"))
    assert res == {"ok": True, "to": "p_b"}
    [line] = [ch for ch in sim.chats() if ch.from_id == "p_a"]
    assert (line.scope, line.to_id, line.text) == ("private", "p_b", "psst")
    assert [n.player_id for n in sim.notes(kind="whisper")] == ["p_b"]
    assert sim.do(c.Whisper(player_id="p_a", to="p_c", text="hi", ), dt=CHAT_GAP_MS)["ok"]  # by id
    assert sim.do(c.Whisper(player_id="p_a", to="Nobody", text="x"), dt=CHAT_GAP_MS)["status"] == 404
    assert sim.do(c.Whisper(player_id="p_a", to="Alice", text="x"), dt=CHAT_GAP_MS)["ok"] is False
    assert sim.do(c.Whisper(player_id="p_a", to="Bob", text=" "), dt=CHAT_GAP_MS)["ok"] is False


def test_party_chat(sim):
    sim.add_player("p_a")
    sim.add_player("p_b")
    assert sim.do(c.PartyChat(player_id="p_a", text="hi"))["error"] == "not in party"
    create(sim, "p_a")
    assert sim.do(c.PartyChat(player_id="p_a", text="team"))["ok"]
    line = sim.chats()[-1]
    assert (line.scope, line.party_id) == ("party", "party_1")


def test_mentions_note_only_the_mentioned(sim):
    sim.add_player("p_a", name="Alice")
    sim.add_player("p_b", name="Bob")
    sim.add_player("p_c", name="Carol Ann")
    sim.add_player("p_d", name="Dave")
    sim.add_player("p_x", name="X")  # one-letter names are never mentioned
    assert chat(sim, "p_a", "hey @BOB, @alice and @carol ann! also @x and @Dav")["ok"]
    notes = sim.notes(kind="mention")
    assert sorted(n.player_id for n in notes) == ["p_b", "p_c"]
    assert all(n.important and n.data["from"]["id"] == "p_a" for n in notes)


def test_mention_of_someone_not_in_the_world_is_ignored(sim):
    sim.add_player("p_a", name="Alice")
    sim.add_player("p_b", name="Bob")
    sim.do(c.Park(player_id="p_b"))
    assert chat(sim, "p_a", "@bob?")["ok"]
    assert not sim.notes(kind="mention")


def test_emote_whitelist(sim):
    sim.add_player("p_a")
    for e in EMOTES:
        assert sim.do(c.Emote(player_id="p_a", emote=e.upper()))["ok"]
    assert "wave" in EMOTES
    for bad in ("dance", "", "<script>"):
        assert sim.do(c.Emote(player_id="p_a", emote=bad))["ok"] is False


def test_board_keeps_the_last_50(sim):
    sim.add_player("p_a")
    for i in range(BOARD_KEEP + 7):
        assert sim.do(c.BoardPost(player_id="p_a", content=f"post {i}", post_id=f"b{i}"))["ok"]
    assert len(sim.world.board) == BOARD_KEEP == 50
    assert sim.world.board[0]["id"] == "b7" and sim.world.board[-1]["id"] == f"b{BOARD_KEEP + 6}"
    assert sim.do(c.BoardPost(player_id="p_a", content="  ", post_id="e"))["ok"] is False


def test_intent_and_thought_lengths(sim):
    p = sim.add_player("p_a")
    assert sim.do(c.SetIntent(player_id="p_a", text="i" * 500))["ok"]
    assert len(p.intent) == TEXT_INTENT == 140
    assert sim.do(c.SetIntent(player_id="p_a", text=""))["ok"] and p.intent == ""
    res = sim.do(c.Thought(player_id="p_a", text="t" * 500))
    assert res["ok"] and len(p.thought) == TEXT_THOUGHT == 180 and p.thought_at == sim.now
    assert sim.notes("p_a", "thought")[-1].text == p.thought
    assert sim.do(c.Thought(player_id="p_a", text=" "))["ok"] is False


# ---- nearby --------------------------------------------------------------------------------

def test_nearby_notes_once_a_minute_and_once_per_pair_per_ten_minutes(arena):
    arena.add_player("p_a", name="A", x=300, y=300)
    arena.add_player("p_b", name="B", x=350, y=300)
    arena.add_player("p_far", name="Far", x=900, y=540)
    arena.advance_ms(2000)
    assert [n.data["names"] for n in arena.notes("p_a", "nearby")] == [["B"]]
    assert [n.data["names"] for n in arena.notes("p_b", "nearby")] == [["A"]]
    assert not arena.notes("p_far", "nearby")
    assert arena.notes("p_a", "nearby")[0].text == "Met B."
    arena.add_player("p_c", name="C", x=300, y=340)
    arena.advance_ms(NEARBY_PLAYER_MS - 5000)
    assert len(arena.notes("p_a", "nearby")) == 1  # at most one a minute
    assert [n.data["names"] for n in arena.notes("p_c", "nearby")] == [["A", "B"]]
    arena.advance_ms(10_000)
    assert [n.data["names"] for n in arena.notes("p_a", "nearby")] == [["B"], ["C"]]  # B not repeated
    arena.advance_ms(NEARBY_PLAYER_MS * 3)
    assert len(arena.notes("p_a", "nearby")) == 2
    arena.advance_ms(NEARBY_PAIR_MS)
    notes = arena.notes("p_a", "nearby")
    assert len(notes) >= 3 and {"B", "C"} <= {name for n in notes[2:] for name in n.data["names"]}
    for pid in ("p_a", "p_b", "p_c"):
        notes = arena.notes(pid, "nearby")
        assert all(b.at - a.at >= NEARBY_PLAYER_MS for a, b in zip(notes, notes[1:]))
        seen = {}
        for n in notes:
            for name in n.data["names"]:
                assert n.at - seen.get(name, -NEARBY_PAIR_MS) >= NEARBY_PAIR_MS
                seen[name] = n.at


def test_nearby_text_lists_three_names_and_a_count(arena):
    arena.add_player("p_a", name="A", x=300, y=300)
    for i in range(5):
        arena.add_player(f"p_{i}", name=f"N{i}", x=320 + i, y=300)
    arena.advance_ms(2000)
    [note] = arena.notes("p_a", "nearby")
    assert note.text == "Met N0, N1, N2 +2." and note.important
