"""The Store contract, run against every backend (memory and sqlite)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from store_records import (
    FakeClock,
    StoreFactory,
    bot_link,
    codes,
    event,
    join_code,
    player,
    token_hash,
)

from clawtown.store import (
    Store,
    StoreError,
)
from clawtown.store.base import MAX_BOT_LINK_LOOKUP
from clawtown.store.migrations import (
    SCHEMA_VERSION,
)


@pytest.fixture
def store(make_store: StoreFactory) -> Store:
    return make_store()


# ---------------------------------------------------------------- contract


def test_implements_the_protocol(store: Store) -> None:
    assert isinstance(store, Store)


def test_bad_arguments_leave_join_codes_and_bot_links_alone(store: Store) -> None:
    store.mint_join_code("EXPIRD", "p1", created_at=100, expires_at=200)
    store.save_bot_link("p1", 0, token_hash("t"), linked_at=100)

    for call in (
        lambda: store.mint_join_code("SHORT", "p1", created_at=300, expires_at=400),
        lambda: store.mint_join_code("NEW000", "p1", created_at=300, expires_at=300),
        lambda: store.save_bot_link("p1", 1, "not-a-hash", linked_at=300),
        lambda: store.revoke_bot_tokens("p1", at=-1),
    ):
        with pytest.raises(StoreError):
            call()

    assert codes(store) == ["EXPIRD"]  # a refused mint cleaned nothing up
    assert store.get_bot_link("p1") == bot_link("p1", 0, token_hash("t"), 100)


def test_the_token_never_shows_in_a_refusal(store: Store) -> None:
    raw_token = "ct_bot_" + "s3cr3t" * 10
    with pytest.raises(StoreError) as caught:
        store.save_bot_link("p1", 0, raw_token, linked_at=1)
    assert "s3cr3t" not in str(caught.value)


def test_a_new_store_is_empty(store: Store) -> None:
    assert store.load_players() == []
    assert store.count_players() == 0
    assert store.get_player("p1") is None
    assert store.find_player_by_session_hash("h") is None
    assert store.find_players_by_name("Ann") == []
    assert store.list_events("p1") == []
    assert store.oldest_event_seq("p1") is None
    assert store.newest_event_seq("p1") is None
    assert store.load_parties() == []
    assert store.load_board() == []
    assert store.get_meta("schema_version") == str(SCHEMA_VERSION)
    assert store.get_meta("anything") is None
    assert store.get_join_code("ABC123") is None
    assert store.list_join_codes() == []
    assert store.list_join_codes("p1", now=0) == []
    assert store.revoke_join_code("ABC123", at=1) is False
    assert store.purge_join_codes(now=1) == 0
    assert store.get_bot_link("p1") is None
    assert store.find_bot_link(token_hash("t")) is None
    assert store.prune_all_events(keep_last=0) == 0


def test_players_round_trip_whole_records(store: Store) -> None:
    ann = player("p1", "Ann", level=3, items=[{"kind": "potion", "n": 2}], pos={"x": 1.5})
    bob = player("p2", "Bøb ☃", sessionHash="h2", inventory={})
    store.save_batch(players=[bob, ann])

    assert store.load_players() == [ann, bob]  # ordered by id
    assert store.get_player("p2") == bob
    assert store.count_players() == 2


def test_saving_a_player_again_replaces_it(store: Store) -> None:
    store.save_batch(players=[player("p1", "Ann", level=1)])
    store.save_batch(players=[player("p1", "Anna", level=2)])

    assert store.count_players() == 1
    assert store.get_player("p1") == player("p1", "Anna", level=2)
    assert store.find_players_by_name("ann") == []
    assert store.find_players_by_name("ANNA") == [player("p1", "Anna", level=2)]


def test_the_store_shares_no_mutable_state_with_callers(store: Store) -> None:
    record = player("p1", "Ann", items=["sword"])
    store.save_batch(players=[record])
    record["items"].append("shield")
    loaded = store.get_player("p1")
    loaded["items"].append("bow")

    assert store.get_player("p1") == player("p1", "Ann", items=["sword"])


def test_find_players_by_name_ignores_case(store: Store) -> None:
    store.save_batch(players=[player("p2", "ann"), player("p1", "ANN"), player("p3", "Bob")])

    assert [p["id"] for p in store.find_players_by_name("Ann")] == ["p1", "p2"]
    assert [p["id"] for p in store.find_players_by_name("bob")] == ["p3"]


def test_session_hash_finds_the_most_recently_updated_holder(make_store: StoreFactory) -> None:
    clock = FakeClock(1.0)
    store = make_store(clock=clock)
    store.save_batch(players=[player("p1", sessionHash="h")])
    clock.now = 2.0
    store.save_batch(players=[player("p2", sessionHash="h")])
    assert store.find_player_by_session_hash("h")["id"] == "p2"

    clock.now = 3.0
    store.save_batch(players=[player("p1", sessionHash="h")])
    assert store.find_player_by_session_hash("h")["id"] == "p1"

    # an explicit updatedAt wins over the clock
    store.save_batch(players=[player("p2", sessionHash="h", updatedAt=10_000)])
    assert store.find_player_by_session_hash("h")["id"] == "p2"


def test_clearing_a_session_hash_forgets_it(store: Store) -> None:
    store.save_batch(players=[player("p1", sessionHash="h")])
    store.save_batch(players=[player("p1", sessionHash=None)])

    assert store.find_player_by_session_hash("h") is None


def test_events_are_listed_in_order_with_cursor_and_limit(store: Store) -> None:
    store.save_batch(events=[event("p1", seq) for seq in (3, 1, 2, 5, 4)])
    store.save_batch(events=[event("p2", 1)])

    assert [e["id"] for e in store.list_events("p1")] == [1, 2, 3, 4, 5]
    assert [e["id"] for e in store.list_events("p1", after_seq=2)] == [3, 4, 5]
    assert [e["id"] for e in store.list_events("p1", after_seq=1, limit=2)] == [2, 3]
    assert store.list_events("p1", after_seq=5) == []
    assert [e["id"] for e in store.list_events("p2")] == [1]
    assert store.oldest_event_seq("p1") == 1
    assert store.newest_event_seq("p1") == 5


def test_events_keep_every_field(store: Store) -> None:
    full = event("p1", 1, important=True, data={"xp": 10, "from": ["slime"]})
    plain = event("p1", 2)
    store.save_batch(events=[full, plain])

    assert store.list_events("p1") == [
        full,
        {**plain, "important": False, "data": None},
    ]


def test_saving_an_event_seq_again_replaces_it(store: Store) -> None:
    store.save_batch(events=[event("p1", 1, text="old")])
    store.save_batch(events=[event("p1", 1, text="new")])

    assert [e["text"] for e in store.list_events("p1")] == ["new"]


def test_prune_events_keeps_the_newest(store: Store) -> None:
    store.save_batch(events=[event("p1", seq) for seq in range(1, 11)])
    store.save_batch(events=[event("p2", 1)])

    assert store.prune_events("p1", keep_last=3) == 7
    assert [e["id"] for e in store.list_events("p1")] == [8, 9, 10]
    assert store.oldest_event_seq("p1") == 8
    assert store.prune_events("p1", keep_last=3) == 0
    assert store.list_events("p2") != []  # other players untouched
    assert store.prune_events("p1", keep_last=0) == 3
    assert store.oldest_event_seq("p1") is None


def test_prune_events_keeps_1000_by_default(store: Store) -> None:
    store.save_batch(events=[event("p1", seq) for seq in range(1, 1006)])

    assert store.prune_events("p1") == 5
    assert store.oldest_event_seq("p1") == 6
    assert store.newest_event_seq("p1") == 1005


def test_parties_are_saved_updated_and_deleted(store: Store) -> None:
    a = {"id": "a", "leaderId": "p1", "members": ["p1", "p2"]}
    b = {"id": "b", "leaderId": "p3", "members": ["p3"]}
    store.save_batch(parties=[b, a])
    assert store.load_parties() == [a, b]

    a2 = {**a, "members": ["p1"]}
    store.save_batch(parties=[a2], deleted_parties=["b", "never-existed"])
    assert store.load_parties() == [a2]


def test_a_party_cannot_be_saved_and_deleted_in_one_batch(store: Store) -> None:
    with pytest.raises(StoreError, match="both saved and deleted.*: a"):
        store.save_batch(parties=[{"id": "a", "members": []}], deleted_parties=["a"])
    assert store.load_parties() == []


def test_board_returns_the_newest_posts_newest_last(store: Store) -> None:
    posts = [{"id": f"b{i}", "createdAt": 100 + i, "text": f"hi {i}"} for i in range(5)]
    store.save_batch(board=list(reversed(posts)))
    store.save_batch(board=[{"id": "a-tie", "createdAt": 104, "text": "same ms"}])

    assert store.load_board() == posts[:4] + [
        {"id": "a-tie", "createdAt": 104, "text": "same ms"},
        posts[4],
    ]
    assert [p["id"] for p in store.load_board(limit=2)] == ["a-tie", "b4"]


def test_prune_board_keeps_the_newest(store: Store) -> None:
    store.save_batch(board=[{"id": f"b{i}", "createdAt": i} for i in range(60)])

    assert store.prune_board() == 10
    assert [p["id"] for p in store.load_board(limit=100)] == [f"b{i}" for i in range(10, 60)]
    assert store.prune_board(keep_last=1) == 49
    assert store.load_board() == [{"id": "b59", "createdAt": 59}]


def test_meta_values_are_stored(store: Store) -> None:
    store.set_meta("world_seed", "42")
    store.set_meta("world_seed", "43")
    store.set_meta("empty", "")

    assert store.get_meta("world_seed") == "43"
    assert store.get_meta("empty") == ""


def test_schema_version_cannot_be_set_by_hand(store: Store) -> None:
    with pytest.raises(StoreError, match="reserved"):
        store.set_meta("schema_version", "99")
    assert store.get_meta("schema_version") == str(SCHEMA_VERSION)


def test_prune_all_events_keeps_the_newest_of_every_player(store: Store) -> None:
    store.save_batch(events=[event("p1", seq) for seq in range(1, 11)])
    store.save_batch(events=[event("p2", seq) for seq in (5, 7, 9)])
    store.save_batch(events=[event("p3", seq) for seq in range(1, 5)])

    assert store.prune_all_events(keep_last=3) == 7 + 0 + 1
    assert [e["id"] for e in store.list_events("p1")] == [8, 9, 10]
    assert [e["id"] for e in store.list_events("p2")] == [5, 7, 9]
    assert [e["id"] for e in store.list_events("p3")] == [2, 3, 4]
    assert store.prune_all_events(keep_last=3) == 0
    assert store.prune_all_events(keep_last=1) == 2 + 2 + 2
    assert [store.oldest_event_seq(p) for p in ("p1", "p2", "p3")] == [10, 9, 4]
    assert store.prune_all_events(keep_last=0) == 3
    assert store.newest_event_seq("p1") is None


def test_prune_all_events_keeps_1000_by_default(store: Store) -> None:
    store.save_batch(events=[event(p, seq) for p in ("p1", "p2") for seq in range(1, 1004)])
    store.save_batch(events=[event("p3", 1)])

    assert store.prune_all_events() == 6
    assert [store.oldest_event_seq(p) for p in ("p1", "p2", "p3")] == [4, 4, 1]
    assert store.newest_event_seq("p2") == 1003


def test_mint_join_code_stores_and_returns_the_record(store: Store) -> None:
    minted = store.mint_join_code("ABC123", "p1", created_at=1000, expires_at=61_000)

    assert minted == join_code("ABC123", "p1", 1000, 61_000)
    assert store.get_join_code("ABC123") == minted
    assert store.list_join_codes() == [minted]
    assert store.list_join_codes("p1", now=60_999) == [minted]
    assert store.get_join_code("abc123") is None  # codes are compared exactly
    assert store.get_join_code("ABC1234") is None  # looking up any text is fine
    assert store.revoke_join_code("ABC12", at=1) is False


def test_a_join_code_collision_changes_nothing(store: Store) -> None:
    store.mint_join_code("AAAAAA", "p1", created_at=100, expires_at=200)
    store.mint_join_code("BBBBBB", "p2", created_at=100, expires_at=200)
    store.revoke_join_code("BBBBBB", at=150)

    # another player's live code, and the player's own expired or revoked code (still
    # stored until purged) all collide, before any of the player's codes is cleaned up
    for code, pid in (("AAAAAA", "p2"), ("AAAAAA", "p1"), ("BBBBBB", "p2")):
        with pytest.raises(StoreError, match="^join code collision$"):
            store.mint_join_code(code, pid, created_at=500, expires_at=900)

    assert store.list_join_codes() == [
        join_code("AAAAAA", "p1", 100, 200),
        join_code("BBBBBB", "p2", 100, 200, revoked=150),
    ]
    # the caller retries with a new code
    assert store.mint_join_code("CCCCCC", "p2", created_at=500, expires_at=900)
    assert codes(store) == ["AAAAAA", "CCCCCC"]


def test_minting_drops_the_players_expired_and_revoked_codes(store: Store) -> None:
    store.mint_join_code("EXPIRD", "p1", created_at=100, expires_at=500)
    store.mint_join_code("REVOKD", "p1", created_at=200, expires_at=9000)
    store.mint_join_code("LIVE01", "p1", created_at=300, expires_at=501)
    store.mint_join_code("OTHERS", "p2", created_at=100, expires_at=500)
    store.revoke_join_code("REVOKD", at=400)

    store.mint_join_code("NEW001", "p1", created_at=500, expires_at=9000)

    # expires_at == created_at counts as expired; other players' codes are left alone
    assert codes(store) == ["OTHERS", "LIVE01", "NEW001"]


def test_minting_evicts_the_oldest_live_codes_beyond_max_live(store: Store) -> None:
    for code, created in (("E", 30), ("D", 20), ("B", 10), ("A", 10), ("C", 20)):
        store.mint_join_code(code * 6, "p1", created_at=created, expires_at=10_000)
    store.mint_join_code("ZZZZZZ", "p2", created_at=1, expires_at=10_000)
    assert codes(store, "p1") == ["AAAAAA", "BBBBBB", "CCCCCC", "DDDDDD", "EEEEEE"]

    store.mint_join_code("FFFFFF", "p1", created_at=40, expires_at=10_000)  # max_live=5
    assert codes(store, "p1") == ["BBBBBB", "CCCCCC", "DDDDDD", "EEEEEE", "FFFFFF"]

    store.mint_join_code("GGGGGG", "p1", created_at=50, expires_at=10_000, max_live=2)
    assert codes(store, "p1") == ["FFFFFF", "GGGGGG"]

    store.mint_join_code("HHHHHH", "p1", created_at=60, expires_at=10_000, max_live=1)
    assert codes(store, "p1") == ["HHHHHH"]
    assert codes(store, "p2") == ["ZZZZZZ"]  # never touched


def test_evicted_room_counts_only_live_codes(store: Store) -> None:
    for i in range(4):
        store.mint_join_code(f"LIVE0{i}", "p1", created_at=100 + i, expires_at=10_000)
    store.mint_join_code("SHORT0", "p1", created_at=104, expires_at=150)

    store.mint_join_code("NEW000", "p1", created_at=200, expires_at=10_000)

    # the expired code made the room: no live code was evicted
    assert codes(store, "p1") == ["LIVE00", "LIVE01", "LIVE02", "LIVE03", "NEW000"]


def test_list_join_codes_filters_by_player_and_liveness(store: Store) -> None:
    store.mint_join_code("P1LATE", "p1", created_at=300, expires_at=1000)
    store.mint_join_code("P2CODE", "p2", created_at=200, expires_at=1000)
    store.mint_join_code("P1SOON", "p1", created_at=100, expires_at=500)
    store.mint_join_code("P1GONE", "p1", created_at=100, expires_at=1000)
    store.revoke_join_code("P1GONE", at=150)

    assert codes(store) == ["P1GONE", "P1SOON", "P2CODE", "P1LATE"]
    assert codes(store, "p1") == ["P1GONE", "P1SOON", "P1LATE"]
    assert codes(store, now=499) == ["P1SOON", "P2CODE", "P1LATE"]
    assert codes(store, "p1", now=500) == ["P1LATE"]  # expires_at == now is expired
    assert codes(store, now=1000) == []
    assert codes(store, "p3") == []
    # the record is kept, whatever its state, until purged
    assert store.get_join_code("P1GONE") == join_code("P1GONE", "p1", 100, 1000, revoked=150)
    assert store.get_join_code("P1SOON") == join_code("P1SOON", "p1", 100, 500)


def test_revoke_join_code_reports_whether_it_revoked(store: Store) -> None:
    store.mint_join_code("ABC123", "p1", created_at=100, expires_at=200)

    assert store.revoke_join_code("ABC123", at=300) is True  # expired codes too
    assert store.get_join_code("ABC123") == join_code("ABC123", "p1", 100, 200, revoked=300)
    assert store.revoke_join_code("ABC123", at=400) is False  # the first revocation stays
    assert store.get_join_code("ABC123")["revokedAt"] == 300
    assert store.revoke_join_code("NOSUCH", at=400) is False
    assert store.get_join_code("NOSUCH") is None


def test_purge_join_codes_deletes_expired_and_revoked_ones(store: Store) -> None:
    store.mint_join_code("OLD000", "p1", created_at=100, expires_at=200)
    store.mint_join_code("EDGE00", "p2", created_at=100, expires_at=300)
    store.mint_join_code("REVOKD", "p2", created_at=100, expires_at=9000)
    store.mint_join_code("LIVE00", "p1", created_at=100, expires_at=301)
    store.revoke_join_code("REVOKD", at=150)

    assert store.purge_join_codes(now=300) == 3
    assert codes(store) == ["LIVE00"]
    assert store.purge_join_codes(now=300) == 0
    # a purged code may be minted again
    assert store.mint_join_code("OLD000", "p2", created_at=400, expires_at=500)


def test_bot_links_are_saved_found_and_replaced(store: Store) -> None:
    first, second = token_hash("gen0"), token_hash("gen0-rotated")

    assert store.save_bot_link("p1", 0, first, linked_at=100) == bot_link("p1", 0, first, 100)
    assert store.get_bot_link("p1") == bot_link("p1", 0, first, 100)
    assert store.find_bot_link(first) == bot_link("p1", 0, first, 100)
    assert store.get_bot_link("p2") is None

    # the same generation may be saved again (the same player may keep its hash)
    store.save_bot_link("p1", 0, first, linked_at=150)
    assert store.save_bot_link("p1", 0, second, linked_at=200) == bot_link("p1", 0, second, 200)
    assert store.find_bot_link(first) is None
    assert store.find_bot_link(second) == bot_link("p1", 0, second, 200)
    store.save_bot_link("p1", 3, first, linked_at=300)  # a newer generation is fine
    assert store.get_bot_link("p1") == bot_link("p1", 3, first, 300)


def test_bot_links_are_found_by_many_hashes_at_once(store: Store) -> None:
    first, second, revoked = token_hash("p1"), token_hash("p2"), token_hash("p3")
    store.save_bot_link("p1", 0, first, linked_at=100)
    store.save_bot_link("p2", 4, second, linked_at=200)
    store.save_bot_link("p3", 0, revoked, linked_at=300)
    store.revoke_bot_tokens("p3", at=400)

    found = store.find_bot_links([first, token_hash("nobody"), second, revoked, first])
    assert found == {first: bot_link("p1", 0, first, 100), second: bot_link("p2", 4, second, 200)}
    assert store.find_bot_links([]) == {}

    with pytest.raises(StoreError, match=r"token_hashes\[1\] must be a SHA-256 hex digest"):
        store.find_bot_links([first, "raw-token"])
    with pytest.raises(StoreError, match="token_hashes must be a list"):
        store.find_bot_links(first)
    too_many = [token_hash(f"t{i}") for i in range(MAX_BOT_LINK_LOOKUP + 1)]
    with pytest.raises(StoreError, match=f"at most {MAX_BOT_LINK_LOOKUP} token hashes"):
        store.find_bot_links(too_many)


def test_a_stale_generation_is_refused(store: Store) -> None:
    store.save_bot_link("p1", 2, token_hash("gen2"), linked_at=100)

    with pytest.raises(StoreError, match="stale bot link for player 'p1': generation 1 is older"):
        store.save_bot_link("p1", 1, token_hash("gen1"), linked_at=200)
    assert store.get_bot_link("p1") == bot_link("p1", 2, token_hash("gen2"), 100)
    assert store.find_bot_link(token_hash("gen1")) is None


def test_a_token_hash_belongs_to_one_player(store: Store) -> None:
    shared = token_hash("shared")
    store.save_bot_link("p1", 0, shared, linked_at=100)

    with pytest.raises(StoreError, match="^token_hash is already linked to another player$"):
        store.save_bot_link("p2", 0, shared, linked_at=200)
    assert store.get_bot_link("p2") is None
    assert store.find_bot_link(shared) == bot_link("p1", 0, shared, 100)


def test_revoking_bot_tokens_bumps_the_generation(store: Store) -> None:
    old = token_hash("gen0")
    store.save_bot_link("p1", 0, old, linked_at=100)

    assert store.revoke_bot_tokens("p1", at=200) == 1
    assert store.get_bot_link("p1") == bot_link("p1", 1, None, 100, revoked=200)
    assert store.find_bot_link(old) is None
    assert store.revoke_bot_tokens("p1", at=300) == 2
    assert store.get_bot_link("p1") == bot_link("p1", 2, None, 100, revoked=300)

    # a writer still on an older generation cannot bring a token back
    with pytest.raises(StoreError, match="stale bot link"):
        store.save_bot_link("p1", 1, old, linked_at=400)
    assert store.find_bot_link(old) is None

    new = token_hash("gen2")
    assert store.save_bot_link("p1", 2, new, linked_at=500) == bot_link(
        "p1", 2, new, 500, revoked=300
    )
    assert store.find_bot_link(new)["generation"] == 2


def test_revoking_an_unknown_players_tokens_starts_at_generation_1(store: Store) -> None:
    assert store.revoke_bot_tokens("p1", at=100) == 1
    assert store.revoke_bot_tokens("p2", at=200) == 1  # many links may hold no hash

    assert store.get_bot_link("p1") == bot_link("p1", 1, None, None, revoked=100)
    assert store.get_bot_link("p2") == bot_link("p2", 1, None, None, revoked=200)
    with pytest.raises(StoreError, match="stale bot link"):
        store.save_bot_link("p1", 0, token_hash("gen0"), linked_at=300)


def test_the_bot_generation_cannot_overflow(store: Store) -> None:
    top = 2**63 - 1
    store.save_bot_link("p1", top, token_hash("top"), linked_at=100)

    with pytest.raises(StoreError, match="generation of player 'p1' cannot go higher"):
        store.revoke_bot_tokens("p1", at=200)
    assert store.get_bot_link("p1") == bot_link("p1", top, token_hash("top"), 100)


def test_one_bad_item_rejects_the_whole_batch(store: Store) -> None:
    store.save_batch(players=[player("p1", level=1)], parties=[{"id": "old"}])

    with pytest.raises(StoreError, match=r"events\[1\]\.at"):
        store.save_batch(
            players=[player("p1", level=2), player("p2")],
            events=[event("p1", 1), {**event("p1", 2), "at": "noon"}],
            parties=[{"id": "new"}],
            deleted_parties=["old"],
            board=[{"id": "b", "createdAt": 1}],
        )

    assert store.load_players() == [player("p1", level=1)]
    assert store.list_events("p1") == []
    assert store.load_parties() == [{"id": "old"}]
    assert store.load_board() == []


@pytest.mark.parametrize(
    ("batch", "message"),
    [
        ({"players": "p1"}, "players must be a list, got str"),
        ({"players": {"id": "p1"}}, "players must be a list, got dict"),
        ({"players": [["p1"]]}, r"players\[0\] must be a dict, got list"),
        ({"players": [{"name": "Ann"}]}, r"players\[0\]\.id must be a string, got NoneType"),
        ({"players": [{"id": "p1", "name": ""}]}, r"players\[0\]\.name must not be empty"),
        ({"players": [player("p1", sessionHash=5)]}, r"players\[0\]\.sessionHash must be a"),
        ({"players": [player("p1", updatedAt=1.5)]}, r"players\[0\]\.updatedAt must be an int"),
        ({"players": [player("p1", bag={1, 2})]}, r"players\[0\] is not JSON-serialisable"),
        ({"players": [{**player("p1"), 7: "x"}]}, r"players\[0\] is not JSON-serialisable"),
        ({"players": [player("p1", "\ud800")]}, r"players\[0\]\.name is not valid text"),
        ({"events": [{**event("p1", 1), "id": True}]}, r"events\[0\]\.id must be an integer"),
        ({"events": [event("p1", 2**70)]}, r"events\[0\]\.id must be between"),
        ({"events": [event("p1", 1, important="yes")]}, r"events\[0\]\.important must be a"),
        ({"events": [event("p1", 1, data=object())]}, r"events\[0\]\.data is not JSON"),
        ({"events": [{"id": 1, "at": 1, "kind": "x", "text": ""}]}, r"events\[0\]\.playerId"),
        ({"parties": [{"leaderId": "p1"}]}, r"parties\[0\]\.id must be a string"),
        ({"deleted_parties": [5]}, r"deleted_parties\[0\] must be a string, got int"),
        ({"board": [{"id": "b"}]}, r"board\[0\]\.createdAt must be an integer"),
    ],
)
def test_bad_input_raises_a_clear_store_error(
    store: Store, batch: dict[str, Any], message: str
) -> None:
    with pytest.raises(StoreError, match=message):
        store.save_batch(**batch)
    assert store.count_players() == 0


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: s.get_player(5), "player_id must be a string"),
        (lambda s: s.list_events("p1", limit=0), "limit must be between 1"),
        (lambda s: s.list_events("p1", after_seq="3"), "after_seq must be an integer"),
        (lambda s: s.prune_events("p1", keep_last=-1), "keep_last must be between 0"),
        (lambda s: s.load_board(limit=0), "limit must be between 1"),
        (lambda s: s.set_meta("k", 1), "meta value for 'k' must be a string"),
        (lambda s: s.get_meta(""), "meta key must not be empty"),
        (lambda s: s.prune_all_events(keep_last=-1), "keep_last must be between 0"),
        (lambda s: s.prune_all_events(keep_last="5"), "keep_last must be an integer"),
        (lambda s: s.mint_join_code(123456, "p1", 1, 2), "code must be a string, got int"),
        (lambda s: s.mint_join_code("", "p1", 1, 2), "code must not be empty"),
        (lambda s: s.mint_join_code("ABC12", "p1", 1, 2), "code must be 6 characters long, got 5"),
        (lambda s: s.mint_join_code("ABC1234", "p1", 1, 2), "must be 6 characters long, got 7"),
        (lambda s: s.mint_join_code("ABC123", "", 1, 2), "player_id must not be empty"),
        (lambda s: s.mint_join_code("ABC123", None, 1, 2), "player_id must be a string"),
        (lambda s: s.mint_join_code("ABC123", "p1", 1.0, 2), "created_at must be an integer"),
        (lambda s: s.mint_join_code("ABC123", "p1", -1, 2), "created_at must be between 0"),
        (lambda s: s.mint_join_code("ABC123", "p1", 1, True), "expires_at must be an integer"),
        (lambda s: s.mint_join_code("ABC123", "p1", 5, 5), r"expires_at \(5\) must be after"),
        (lambda s: s.mint_join_code("ABC123", "p1", 1, 2, max_live=0), "max_live must be betw"),
        (lambda s: s.get_join_code(""), "code must not be empty"),
        (lambda s: s.get_join_code(None), "code must be a string"),
        (lambda s: s.list_join_codes(player_id=""), "player_id must not be empty"),
        (lambda s: s.list_join_codes(now="now"), "now must be an integer"),
        (lambda s: s.revoke_join_code(b"ABC123", 1), "code must be a string, got bytes"),
        (lambda s: s.revoke_join_code("ABC123", None), "at must be an integer"),
        (lambda s: s.purge_join_codes(None), "now must be an integer"),
        (lambda s: s.purge_join_codes(-5), "now must be between 0"),
        (lambda s: s.get_bot_link(""), "player_id must not be empty"),
        (lambda s: s.find_bot_link(""), "token_hash must not be empty"),
        (lambda s: s.find_bot_link("raw-token"), "token_hash must be a SHA-256 hex digest"),
        (lambda s: s.find_bot_link(token_hash("t").upper()), "token_hash must be a SHA-256"),
        (lambda s: s.save_bot_link("", 0, token_hash("t"), 1), "player_id must not be empty"),
        (lambda s: s.save_bot_link("p1", -1, token_hash("t"), 1), "generation must be between 0"),
        (lambda s: s.save_bot_link("p1", "1", token_hash("t"), 1), "generation must be an int"),
        (lambda s: s.save_bot_link("p1", 0, None, 1), "token_hash must be a string"),
        (lambda s: s.save_bot_link("p1", 0, "ab" * 31 + "g0", 1), "token_hash must be a SHA"),
        (lambda s: s.save_bot_link("p1", 0, token_hash("t"), None), "linked_at must be an int"),
        (lambda s: s.revoke_bot_tokens("", 1), "player_id must not be empty"),
        (lambda s: s.revoke_bot_tokens("p1", 1.5), "at must be an integer"),
    ],
)
def test_bad_arguments_raise_a_clear_store_error(
    store: Store, call: Callable[[Store], Any], message: str
) -> None:
    with pytest.raises(StoreError, match=message):
        call(store)


def test_a_closed_store_refuses_work(store: Store) -> None:
    store.close()
    store.close()  # twice is fine

    with pytest.raises(StoreError):
        store.load_players()
    with pytest.raises(StoreError):
        store.save_batch(players=[player("p1")])
    for call in (
        lambda: store.prune_all_events(),
        lambda: store.mint_join_code("ABC123", "p1", 1, 2),
        lambda: store.get_join_code("ABC123"),
        lambda: store.list_join_codes(),
        lambda: store.revoke_join_code("ABC123", 1),
        lambda: store.purge_join_codes(1),
        lambda: store.get_bot_link("p1"),
        lambda: store.save_bot_link("p1", 0, token_hash("t"), 1),
        lambda: store.find_bot_link(token_hash("t")),
        lambda: store.revoke_bot_tokens("p1", 1),
    ):
        with pytest.raises(StoreError):
            call()



# ---------------------------------------------------------------- start-up and resets


def test_load_players_in_mode_returns_only_that_mode(store: Store) -> None:
    store.save_batch(players=[
        {"id": "p_a", "name": "A", "mode": "agent"},
        {"id": "p_b", "name": "B", "mode": "manual"},
        {"id": "p_c", "name": "C", "mode": "agent"},
        {"id": "p_d", "name": "D"},
    ])
    assert [r["id"] for r in store.load_players_in_mode("agent")] == ["p_a", "p_c"]
    assert [r["id"] for r in store.load_players_in_mode("manual")] == ["p_b"]
    with pytest.raises(StoreError):
        store.load_players_in_mode("")


def test_wipe_forgets_everything_but_keeps_the_schema(store: Store) -> None:
    store.save_batch(
        players=[{"id": "p_a", "name": "A"}],
        events=[{"playerId": "p_a", "id": 1, "at": 5, "kind": "kill", "text": "x"}],
        parties=[{"id": "party_1", "leaderId": "p_a", "members": ["p_a"]}],
        board=[{"id": "post_1", "createdAt": 5, "content": "hi"}],
    )
    store.mint_join_code("ABCDEF", "p_a", 1, 10**12)
    store.save_bot_link("p_a", 0, "a" * 64, 1)
    store.wipe()
    assert store.count_players() == 0 and store.list_events("p_a") == []
    assert store.load_parties() == [] and store.load_board() == []
    assert store.get_join_code("ABCDEF") is None and store.get_bot_link("p_a") is None
    store.save_batch(players=[{"id": "p_b", "name": "B"}])
    assert store.count_players() == 1
