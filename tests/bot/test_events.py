"""GET /api/bot/events: cursor/limit semantics, hasMore, pruning gaps, cursors ahead, kill events."""

from __future__ import annotations

import pytest

from clawtown.sim import commands as c


def thoughts(town, pid: str, n: int) -> None:
    """n thought events, written through the game like the route does (no rate limit in the way)."""
    for i in range(n):
        town.do(lambda ref, i=i: c.Thought(player_id=pid, text=f"t{i + 1}", ref=ref))
    town.advance(2)


def events(bot, query: str = "") -> dict:
    bot.town.limiter.buckets.clear()
    reply = bot.get("events" + query)
    assert reply.code == 200, reply
    return reply.json


def ids(body: dict) -> list[int]:
    return [e["id"] for e in body["events"]]


@pytest.fixture
def five(town, ann):
    town.teleport(ann.id, 100, 500)  # alone: no "nearby" events
    thoughts(town, ann.id, 5)
    assert [e["kind"] for e in town.events(ann.id)] == ["thought"] * 5
    return ann


def test_paging_with_cursor_and_limit(five):
    page = events(five, "?cursor=0&limit=2")
    assert ids(page) == [1, 2] and page["nextCursor"] == 2 and page["hasMore"] is True
    page = events(five, f"?cursor={page['nextCursor']}&limit=2")
    assert ids(page) == [3, 4] and page["nextCursor"] == 4 and page["hasMore"] is True
    page = events(five, f"?cursor={page['nextCursor']}&limit=2")
    assert ids(page) == [5] and page["nextCursor"] == 5 and page["hasMore"] is False
    page = events(five, "?cursor=5&limit=2")
    assert page == {"ok": True, "events": [], "nextCursor": 5, "hasMore": False}


def test_events_are_oldest_first_with_texts(five):
    page = events(five)
    assert [e["text"] for e in page["events"]] == ["t1", "t2", "t3", "t4", "t5"]
    assert page["nextCursor"] == 5 and isinstance(page["nextCursor"], int)
    ats = [e["at"] for e in page["events"]]
    assert ats == sorted(ats)


def test_exactly_limit_left_is_not_has_more(five):
    page = events(five, "?cursor=0&limit=5")
    assert ids(page) == [1, 2, 3, 4, 5] and page["hasMore"] is False


@pytest.mark.parametrize("query, expected", [
    ("", [1, 2, 3, 4, 5]), ("?cursor=2", [3, 4, 5]), ("?cursor=2.9", [3, 4, 5]), ("?cursor=-4", [1, 2, 3, 4, 5]),
    ("?cursor=abc", [1, 2, 3, 4, 5]), ("?cursor=", [1, 2, 3, 4, 5]), ("?limit=0", [1]), ("?limit=-3", [1]),
    ("?limit=2.7", [1, 2]), ("?limit=abc", [1, 2, 3, 4, 5]), ("?cursor=1&cursor=3", [4, 5]),
])
def test_query_parsing(five, query, expected):
    assert ids(events(five, query)) == expected


def test_limit_defaults_to_20_and_caps_at_60(town, ann):
    town.teleport(ann.id, 100, 500)
    thoughts(town, ann.id, 70)
    assert len(events(ann)["events"]) == 20
    page = events(ann, "?limit=1000")
    assert ids(page) == list(range(1, 61)) and page["hasMore"] is True and page["nextCursor"] == 60
    page = events(ann, "?cursor=60&limit=1000")
    assert ids(page) == list(range(61, 71)) and page["hasMore"] is False


def test_a_cursor_behind_retention_reports_the_gap(town, five):
    town.store.prune_events(five.id, keep_last=2)
    page = events(five)
    assert ids(page) == [4, 5]
    assert page["cursorExpired"] is True and page["gap"] == {"from": 1, "to": 3}
    assert page["nextCursor"] == 5
    page = events(five, "?cursor=1")
    assert page["cursorExpired"] is True and page["gap"] == {"from": 2, "to": 3}
    page = events(five, "?cursor=3")
    assert "cursorExpired" not in page and "gap" not in page and ids(page) == [4, 5]


def test_a_cursor_ahead_of_the_log_says_so_and_resets(five):
    page = events(five, "?cursor=99")
    assert page["events"] == [] and page["cursorAhead"] is True and page["nextCursor"] == 5
    assert page["hasMore"] is False
    page = events(five, f"?cursor={page['nextCursor']}")
    assert "cursorAhead" not in page


def test_a_cursor_ahead_of_an_empty_log_says_so(town, ann):
    """After a data wipe a bot may come back with an old cursor and no events exist yet."""
    town.teleport(ann.id, 100, 500)
    page = events(ann, "?cursor=7")
    assert page == {"ok": True, "events": [], "nextCursor": 0, "hasMore": False, "cursorAhead": True}
    thoughts(town, ann.id, 1)
    assert ids(events(ann, f"?cursor={page['nextCursor']}")) == [1]


def test_event_ids_keep_counting_after_pruning(town, five):
    town.store.prune_events(five.id, keep_last=0)
    thoughts(town, five.id, 1)
    page = events(five, "?cursor=5")
    assert ids(page) == [6] and "cursorAhead" not in page


def test_a_kill_event_names_the_monster(town, ann):
    town.teleport(ann.id, 520, 300)
    town.clear_monsters_near(ann.id, 200)
    town.spawn_monster(ann.id, "m_test_slime", 530, 300, name="Wobbly")
    ann.town.limiter.buckets.clear()
    result = ann.post("cast", {"spell": "signature"}).json["result"]
    assert result == {"ok": True, "target": "m_test_slime", "hp": 0, "alive": False, "dmg": result["dmg"]}
    kills = [e for e in events(ann, "?cursor=0&limit=30")["events"] if e["kind"] == "kill"]
    assert len(kills) == 1
    kill = kills[0]
    assert "Wobbly" in kill["text"] and kill["text"] == "Defeated Wobbly. (+8 XP)" and kill["important"] is False
    assert kill["data"]["monster"]["id"] == "m_test_slime" and kill["data"]["xp"] == 8
    assert ann.get("me").json["player"]["meta"]["kills"] == 1


def test_events_are_durable(town, five):
    """What the feed answers is already in the store."""
    page = events(five)
    stored = town.store.list_events(five.id, after_seq=0, limit=100)
    assert [e["id"] for e in stored] == ids(page)


def test_reading_events_is_not_an_action(town, five):
    events(five)
    town.advance(2)
    assert five.player.bot_action_at is None and five.player.bot_seen_at is not None
