"""Join code ids and restored placeholders: the Store contract, run against every backend.

Every join code row has an opaque id the store draws (unrelated to the code).  A snapshot
carries the ids and the metadata but never the codes, so an import puts back placeholders
(``restore_join_codes``): same id and times, no code, never redeemable, never live.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from store_records import (
    JOIN_CODE_ID,
    code_ids,
    codes,
    join_code,
    placeholder,
)

from clawtown.store import Store, StoreError

LIVE_ID = "jc_LiveLiveLiveLive"
GONE_ID = "jc_GoneGoneGoneGone"
OLD_ID = "jc_OldOldOldOldOld0"


@pytest.fixture
def store(make_store: Callable[..., Store]) -> Store:
    return make_store()


def test_minting_draws_an_opaque_id_and_keeps_it(store: Store) -> None:
    first = store.mint_join_code("ABC123", "p1", created_at=100, expires_at=9000)
    second = store.mint_join_code("XYZ789", "p1", created_at=200, expires_at=9000)

    assert JOIN_CODE_ID.fullmatch(first["id"]) and JOIN_CODE_ID.fullmatch(second["id"])
    assert first["id"] != second["id"]
    assert "ABC123" not in first["id"].upper()
    assert store.get_join_code("ABC123")["id"] == first["id"]
    assert code_ids(store) == [first["id"], second["id"]]
    store.revoke_join_code("ABC123", at=300)
    assert store.get_join_code("ABC123") == join_code("ABC123", "p1", 100, 9000, revoked=300, code_id=first["id"])
    assert store.get_join_code(first["id"]) is None  # an id is not a code


def test_restored_placeholders_keep_the_metadata_and_hold_no_code(store: Store) -> None:
    restored = store.restore_join_codes(
        [placeholder(LIVE_ID, "p1", 100, 9000), placeholder(GONE_ID, "p2", 50, 9000, revoked=70)]
    )

    assert restored == [
        join_code(None, "p1", 100, 9000, code_id=LIVE_ID),
        join_code(None, "p2", 50, 9000, revoked=70, code_id=GONE_ID),
    ]
    assert store.list_join_codes() == [restored[1], restored[0]]  # by createdAt
    assert store.list_join_codes("p1") == [restored[0]]
    assert store.restore_join_codes([]) == []


def test_a_placeholder_can_never_be_redeemed(store: Store) -> None:
    store.restore_join_codes([placeholder(LIVE_ID, "p1", 100, 9000)])

    # not live, whatever its times say; no lookup by code finds it, not even by its id
    assert store.list_join_codes("p1", now=200) == []
    assert store.list_join_codes(now=200) == []
    for text in (LIVE_ID, LIVE_ID.upper(), "None", "null", " "):
        assert store.get_join_code(text) is None
        assert store.revoke_join_code(text, at=300) is False
    # minting any code is fine: a placeholder collides with nothing
    assert store.mint_join_code("ABC123", "p1", created_at=200, expires_at=9000)
    assert store.list_join_codes(now=200) == [join_code("ABC123", "p1", 200, 9000)]


def test_placeholders_do_not_count_toward_the_live_limit(store: Store) -> None:
    store.restore_join_codes([placeholder(f"jc_restored{i:08d}", "p1", 10 + i, 9000) for i in range(5)])
    for i in range(5):
        store.mint_join_code(f"LIVE0{i}", "p1", created_at=100 + i, expires_at=9000)

    assert codes(store, "p1", now=200) == ["LIVE00", "LIVE01", "LIVE02", "LIVE03", "LIVE04"]

    store.mint_join_code("LIVE05", "p1", created_at=200, expires_at=9000)  # max_live=5

    # the oldest real code made room; the (older) placeholders were neither counted nor evicted
    assert codes(store, "p1", now=200) == ["LIVE01", "LIVE02", "LIVE03", "LIVE04", "LIVE05"]
    assert codes(store, "p1") == [None] * 5 + ["LIVE01", "LIVE02", "LIVE03", "LIVE04", "LIVE05"]


def test_placeholders_sort_before_codes_of_the_same_time(store: Store) -> None:
    store.mint_join_code("AAAAAA", "p1", created_at=100, expires_at=9000)
    store.restore_join_codes([placeholder("jc_b", "p1", 100, 9000), placeholder("jc_a", "p1", 100, 9000)])

    assert code_ids(store)[:2] == ["jc_a", "jc_b"]
    assert codes(store) == [None, None, "AAAAAA"]


def test_purge_deletes_expired_and_revoked_placeholders_like_codes(store: Store) -> None:
    store.restore_join_codes(
        [
            placeholder(OLD_ID, "p1", 100, 200),
            placeholder(GONE_ID, "p2", 100, 9000, revoked=150),
            placeholder(LIVE_ID, "p1", 100, 301),
        ]
    )
    store.mint_join_code("OLD000", "p1", created_at=100, expires_at=200)

    assert store.purge_join_codes(now=300) == 3
    assert code_ids(store) == [LIVE_ID]  # kept until its original expiry, as the code would be
    assert store.purge_join_codes(now=301) == 1
    assert store.list_join_codes() == []


def test_minting_drops_the_players_dead_placeholders(store: Store) -> None:
    store.restore_join_codes(
        [
            placeholder(OLD_ID, "p1", 100, 200),
            placeholder(GONE_ID, "p1", 100, 9000, revoked=150),
            placeholder(LIVE_ID, "p1", 100, 9000),
            placeholder("jc_others", "p2", 100, 200),
        ]
    )

    minted = store.mint_join_code("NEW000", "p1", created_at=500, expires_at=9000)

    assert code_ids(store) == [LIVE_ID, "jc_others", minted["id"]]


@pytest.mark.parametrize(
    ("records", "message"),
    [
        ("jc_x", "join_codes must be a list"),
        ([7], r"join_codes\[1\] must be an object"),
        ([placeholder("", "p1", 1, 2)], r"join_codes\[1\].id must not be empty"),
        ([placeholder(5, "p1", 1, 2)], r"join_codes\[1\].id must be a string"),
        ([placeholder("jc_" + "x" * 62, "p1", 1, 2)], "id must be at most 64 characters"),
        ([placeholder("jc_a", "", 1, 2)], "playerId must not be empty"),
        ([placeholder("jc_a", "p1", -1, 2)], "createdAt must be between 0"),
        ([placeholder("jc_a", "p1", 1, "2")], "expiresAt must be an integer"),
        ([placeholder("jc_a", "p1", 5, 5)], r"join_codes\[1\].expiresAt \(5\) must be after"),
        ([placeholder("jc_a", "p1", 1, 2, revoked=-3)], "revokedAt must be between 0"),
        ([placeholder("jc_a", "p1", 1, 2), placeholder("jc_a", "p2", 1, 2)], "duplicate join code id 'jc_a'"),
    ],
)
def test_restore_refuses_bad_records_and_stores_none(store: Store, records: Any, message: str) -> None:
    if isinstance(records, list):
        records = [placeholder("jc_fine", "p1", 1, 2), *records]  # a good record first: it is not kept either
    with pytest.raises(StoreError, match=message):
        store.restore_join_codes(records)
    assert store.list_join_codes() == []


def test_restore_refuses_an_id_already_stored_and_changes_nothing(store: Store) -> None:
    minted = store.mint_join_code("ABC123", "p1", created_at=100, expires_at=9000)
    store.restore_join_codes([placeholder(LIVE_ID, "p1", 100, 9000)])

    for taken in (minted["id"], LIVE_ID):
        with pytest.raises(StoreError, match="join code id is already stored"):
            store.restore_join_codes([placeholder(OLD_ID, "p2", 1, 2), placeholder(taken, "p2", 1, 2)])

    assert code_ids(store) == [LIVE_ID, minted["id"]]  # the placeholder sorts first
    assert store.get_join_code("ABC123") == minted


def test_wipe_and_close_cover_placeholders(store: Store) -> None:
    store.restore_join_codes([placeholder(LIVE_ID, "p1", 100, 9000)])
    store.wipe()
    assert store.list_join_codes() == []
    store.close()
    with pytest.raises(StoreError):
        store.restore_join_codes([placeholder(LIVE_ID, "p1", 100, 9000)])
