"""`clawtown join-code mint|list|revoke` and `clawtown relink`, on real SQLite data dirs."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from clawtown.engine.bots import JOIN_CODE_TTL_MS, MAX_LIVE_CODES
from clawtown.engine.ids import CODE_ALPHABET, Mint
from clawtown.ops import codes as codes_ops
from clawtown.ops.datadir import DB_FILE

TOKEN = re.compile(r"^CT1\|(?P<base>[^|]+)\|(?P<code>[A-Z0-9]{6})$")


def token_of(outcome) -> re.Match:
    first = outcome.stdout.splitlines()[0]
    match = TOKEN.match(first)
    assert match, first
    return match


# ------------------------------------------------------------------------------------ mint


def test_mint_by_name_prints_the_token_first_and_stores_the_code(run_clawtown, seeded_data_dir, data_dir_store):
    out = run_clawtown("join-code", "mint", "alice", "--data-dir", seeded_data_dir)
    assert out.exit_code == 0, out
    assert out.stderr == ""
    token = token_of(out)
    code = token["code"]
    assert token["base"] == "http://127.0.0.1:8080"
    assert set(code) <= set(CODE_ALPHABET)
    assert f"CT1|http://host.docker.internal:8080|{code}" in out.stdout
    assert "Alice (p_alice)" in out.stdout
    assert f"1 of {MAX_LIVE_CODES}" in out.stdout
    with data_dir_store(seeded_data_dir) as store:
        record = store.get_join_code(code)
    assert record["playerId"] == "p_alice"
    assert record["revokedAt"] is None
    assert record["expiresAt"] - record["createdAt"] == JOIN_CODE_TTL_MS


def test_mint_by_id_with_ttl_and_base_url(run_clawtown, seeded_data_dir, data_dir_store):
    out = run_clawtown(
        "join-code", "mint", "p_bob", "--ttl", "30m", "--base-url", "https://town.example.com/", "--data-dir",
        seeded_data_dir,
    )
    assert out.exit_code == 0, out
    token = token_of(out)
    assert token["base"] == "https://town.example.com"
    assert "sandbox" not in out.stdout  # no explicit port: no host.docker.internal variant
    assert "in 30m" in out.stdout
    with data_dir_store(seeded_data_dir) as store:
        record = store.get_join_code(token["code"])
    assert record["playerId"] == "p_bob"
    assert record["expiresAt"] - record["createdAt"] == 30 * 60_000


@pytest.mark.parametrize(("ttl", "ms"), [("2h", 7_200_000), ("1d", 86_400_000), ("1h30m", 5_400_000), ("90S", 90_000)])
def test_mint_ttl_forms(run_clawtown, seeded_data_dir, data_dir_store, ttl, ms):
    out = run_clawtown("join-code", "mint", "Alice", "--ttl", ttl, "--quiet", "--data-dir", seeded_data_dir)
    assert out.exit_code == 0, out
    with data_dir_store(seeded_data_dir) as store:
        record = store.get_join_code(token_of(out)["code"])
    assert record["expiresAt"] - record["createdAt"] == ms


def test_mint_base_url_and_data_dir_from_the_environment(run_clawtown, seeded_data_dir):
    out = run_clawtown(
        "join-code", "mint", "alice", "-q",
        env={"CT_DATA_DIR": seeded_data_dir, "CT_PUBLIC_BASE_URL": "http://10.0.0.5:9000"},
    )
    assert out.exit_code == 0, out
    assert token_of(out)["base"] == "http://10.0.0.5:9000"


def test_mint_quiet_prints_only_the_token(run_clawtown, seeded_data_dir):
    out = run_clawtown("join-code", "mint", "alice", "--quiet", "--data-dir", seeded_data_dir)
    assert out.exit_code == 0, out
    assert len(out.stdout.splitlines()) == 1
    token_of(out)


def test_a_store_already_open_sees_the_new_code_at_once(run_clawtown, seeded_data_dir, data_dir_store):
    # The running server keeps its own connection open; it must see the code without a restart.
    with data_dir_store(seeded_data_dir) as server_side:
        assert server_side.list_join_codes() == []
        out = run_clawtown("join-code", "mint", "alice", "-q", "--data-dir", seeded_data_dir)
        assert out.exit_code == 0, out
        record = server_side.get_join_code(token_of(out)["code"])
    assert record is not None and record["playerId"] == "p_alice"


def test_mint_keeps_at_most_five_live_codes_per_player(run_clawtown, seeded_data_dir, data_dir_store):
    minted = []
    for _ in range(MAX_LIVE_CODES + 1):
        out = run_clawtown("join-code", "mint", "alice", "-q", "--data-dir", seeded_data_dir)
        assert out.exit_code == 0, out
        minted.append(token_of(out)["code"])
    with data_dir_store(seeded_data_dir) as store:
        live = {r["code"] for r in store.list_join_codes("p_alice", now=codes_ops.now_ms())}
    assert len(live) == MAX_LIVE_CODES
    assert minted[0] not in live  # the oldest went
    assert set(minted[1:]) == live


def test_mint_retries_on_a_code_collision(run_clawtown, seeded_data_dir, data_dir_store, monkeypatch):
    first = run_clawtown("join-code", "mint", "bob", "-q", "--data-dir", seeded_data_dir)
    taken = token_of(first)["code"]
    offered = iter([taken, taken, "FRESH2"])

    class CollidingMint(Mint):
        def code(self, length: int = 6) -> str:
            return next(offered)

    monkeypatch.setattr(codes_ops, "Mint", CollidingMint)
    out = run_clawtown("join-code", "mint", "alice", "-q", "--data-dir", seeded_data_dir)
    assert out.exit_code == 0, out
    assert token_of(out)["code"] == "FRESH2"
    with data_dir_store(seeded_data_dir) as store:
        assert store.get_join_code(taken)["playerId"] == "p_bob"  # the other player's code is untouched


def test_mint_gives_up_after_repeated_collisions(assert_cli_error, run_clawtown, seeded_data_dir, db_rows, monkeypatch):
    taken = token_of(run_clawtown("join-code", "mint", "bob", "-q", "--data-dir", seeded_data_dir))["code"]

    class AlwaysTaken(Mint):
        def code(self, length: int = 6) -> str:
            return taken

    monkeypatch.setattr(codes_ops, "Mint", AlwaysTaken)
    before = db_rows(seeded_data_dir)
    out = run_clawtown("join-code", "mint", "alice", "--data-dir", seeded_data_dir)
    assert_cli_error(out, "could not find a free join code")
    assert db_rows(seeded_data_dir) == before


# ------------------------------------------------------------------------- mint: errors


def test_mint_unknown_player(assert_cli_error, run_clawtown, seeded_data_dir, db_rows):
    before = db_rows(seeded_data_dir)
    out = run_clawtown("join-code", "mint", "carol", "--data-dir", seeded_data_dir)
    assert_cli_error(out, "no player with id or name 'carol'")
    assert db_rows(seeded_data_dir) == before


def test_mint_ambiguous_name_lists_the_ids(assert_cli_error, run_clawtown, seeded_data_dir, db_rows):
    before = db_rows(seeded_data_dir)
    out = run_clawtown("join-code", "mint", "twin", "--data-dir", seeded_data_dir)
    assert_cli_error(out, "2 players are named 'twin'", "p_twin1", "p_twin2", "pass an id")
    assert db_rows(seeded_data_dir) == before
    # either id still works
    assert run_clawtown("join-code", "mint", "p_twin2", "-q", "--data-dir", seeded_data_dir).exit_code == 0


@pytest.mark.parametrize("ttl", ["5x", "", "m", "0m", "31d", "-1h", "1.5h", "2 hours"])
def test_mint_bad_ttl(assert_cli_error, run_clawtown, seeded_data_dir, db_rows, ttl):
    before = db_rows(seeded_data_dir)
    out = run_clawtown("join-code", "mint", "alice", "--ttl", ttl, "--data-dir", seeded_data_dir)
    assert_cli_error(out, "--ttl")
    assert db_rows(seeded_data_dir) == before


@pytest.mark.parametrize("base", ["ftp://town.example.com", "town.example.com", "http://a b", "http://x|y",
                                  "http://host:99999", "http://host?x=1", "http://"])
def test_mint_bad_base_url(assert_cli_error, run_clawtown, seeded_data_dir, db_rows, base):
    before = db_rows(seeded_data_dir)
    out = run_clawtown("join-code", "mint", "alice", "--base-url", base, "--data-dir", seeded_data_dir)
    assert_cli_error(out, "--base-url")
    assert db_rows(seeded_data_dir) == before


def test_mint_bad_base_url_from_the_environment_names_the_variable(assert_cli_error, run_clawtown, seeded_data_dir):
    out = run_clawtown("join-code", "mint", "alice", "--data-dir", seeded_data_dir,
                       env={"CT_PUBLIC_BASE_URL": "town.example.com"})
    assert_cli_error(out, "CT_PUBLIC_BASE_URL")


def test_mint_missing_data_dir_creates_nothing(assert_cli_error, run_clawtown, missing_data_dir):
    out = run_clawtown("join-code", "mint", "alice", "--data-dir", missing_data_dir)
    assert_cli_error(out, "data dir not found", "CT_DATA_DIR")
    assert not os.path.exists(missing_data_dir)


def test_mint_data_dir_without_a_database_creates_none(assert_cli_error, run_clawtown, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    out = run_clawtown("join-code", "mint", "alice", "--data-dir", str(empty))
    assert_cli_error(out, "no database in")
    assert list(empty.iterdir()) == []


def test_mint_corrupt_database_is_left_alone(assert_cli_error, run_clawtown, corrupt_data_dir):
    db = os.path.join(corrupt_data_dir, DB_FILE)
    before = Path(db).read_bytes()
    out = run_clawtown("join-code", "mint", "alice", "--data-dir", corrupt_data_dir)
    assert_cli_error(out, "not a database")
    assert Path(db).read_bytes() == before


def test_mint_locked_database_waits_then_fails_cleanly(assert_cli_error, run_clawtown, seeded_data_dir, hold_db_write_lock, db_rows):
    # The real busy timeout (5 s): another writer holds the database all along.
    before = db_rows(seeded_data_dir)
    with hold_db_write_lock(seeded_data_dir):
        out = run_clawtown("join-code", "mint", "alice", "--data-dir", seeded_data_dir)
    assert_cli_error(out, "locked by another writer", "nothing was changed")
    assert db_rows(seeded_data_dir) == before


# ------------------------------------------------------------------------------------ list


def mint(run_clawtown, data_dir: str, player: str) -> str:
    out = run_clawtown("join-code", "mint", player, "-q", "--data-dir", data_dir)
    assert out.exit_code == 0, out
    return token_of(out)["code"]


def test_list_without_codes(run_clawtown, seeded_data_dir):
    out = run_clawtown("join-code", "list", "--data-dir", seeded_data_dir)
    assert out.exit_code == 0, out
    assert "no live join codes" in out.stdout


def test_list_shows_live_codes_of_everyone_or_of_one_player(run_clawtown, seeded_data_dir):
    alice = mint(run_clawtown, seeded_data_dir, "alice")
    bob = mint(run_clawtown, seeded_data_dir, "bob")
    out = run_clawtown("join-code", "list", "--data-dir", seeded_data_dir)
    assert out.exit_code == 0, out
    assert alice in out.stdout and bob in out.stdout
    assert "p_alice" in out.stdout and "p_bob" in out.stdout
    assert "2 join codes" in out.stdout
    only_bob = run_clawtown("join-code", "list", "--player", "BOB", "--data-dir", seeded_data_dir)
    assert only_bob.exit_code == 0, only_bob
    assert bob in only_bob.stdout and alice not in only_bob.stdout


def test_list_all_includes_revoked_codes(run_clawtown, seeded_data_dir):
    code = mint(run_clawtown, seeded_data_dir, "alice")
    assert run_clawtown("join-code", "revoke", code, "--data-dir", seeded_data_dir).exit_code == 0
    live = run_clawtown("join-code", "list", "--data-dir", seeded_data_dir)
    assert code not in live.stdout
    every = run_clawtown("join-code", "list", "--all", "--data-dir", seeded_data_dir)
    assert every.exit_code == 0, every
    assert code in every.stdout and "revoked" in every.stdout


def test_list_unknown_player(assert_cli_error, run_clawtown, seeded_data_dir):
    assert_cli_error(run_clawtown("join-code", "list", "-p", "nobody", "--data-dir", seeded_data_dir), "'nobody'")


def test_list_ambiguous_player(assert_cli_error, run_clawtown, seeded_data_dir):
    assert_cli_error(run_clawtown("join-code", "list", "-p", "Twin", "--data-dir", seeded_data_dir), "p_twin1")


def test_list_missing_and_corrupt_data_dirs(assert_cli_error, run_clawtown, missing_data_dir, corrupt_data_dir):
    assert_cli_error(run_clawtown("join-code", "list", "--data-dir", missing_data_dir), "data dir not found")
    assert_cli_error(run_clawtown("join-code", "list", "--data-dir", corrupt_data_dir), "not a database")


def test_list_reads_while_another_writer_holds_the_lock(run_clawtown, seeded_data_dir, hold_db_write_lock):
    code = mint(run_clawtown, seeded_data_dir, "alice")
    with hold_db_write_lock(seeded_data_dir):  # WAL: readers are not blocked by a writer
        out = run_clawtown("join-code", "list", "--data-dir", seeded_data_dir)
    assert out.exit_code == 0, out
    assert code in out.stdout


# ---------------------------------------------------------------------------------- revoke


def test_revoke_a_code_typed_in_lower_case(run_clawtown, seeded_data_dir, data_dir_store):
    code = mint(run_clawtown, seeded_data_dir, "alice")
    out = run_clawtown("join-code", "revoke", code.lower(), "--data-dir", seeded_data_dir)
    assert out.exit_code == 0, out
    assert f"revoked join code {code} of Alice (p_alice)" in out.stdout
    with data_dir_store(seeded_data_dir) as store:
        assert store.get_join_code(code)["revokedAt"] is not None
        assert store.list_join_codes("p_alice", now=codes_ops.now_ms()) == []


def test_revoke_accepts_a_whole_join_token(run_clawtown, seeded_data_dir, data_dir_store):
    out = run_clawtown("join-code", "mint", "bob", "-q", "--data-dir", seeded_data_dir)
    token = out.stdout.strip()
    assert run_clawtown("join-code", "revoke", token, "--data-dir", seeded_data_dir).exit_code == 0
    with data_dir_store(seeded_data_dir) as store:
        assert store.get_join_code(token_of(out)["code"])["revokedAt"] is not None


def test_revoke_twice_is_an_error(assert_cli_error, run_clawtown, seeded_data_dir, db_rows):
    code = mint(run_clawtown, seeded_data_dir, "alice")
    assert run_clawtown("join-code", "revoke", code, "--data-dir", seeded_data_dir).exit_code == 0
    before = db_rows(seeded_data_dir)
    assert_cli_error(run_clawtown("join-code", "revoke", code, "--data-dir", seeded_data_dir), "already revoked")
    assert db_rows(seeded_data_dir) == before


@pytest.mark.parametrize("code", ["ZZZZZZ", "nope", "   "])
def test_revoke_unknown_or_blank_code(assert_cli_error, run_clawtown, seeded_data_dir, db_rows, code):
    mint(run_clawtown, seeded_data_dir, "alice")
    before = db_rows(seeded_data_dir)
    out = run_clawtown("join-code", "revoke", code, "--data-dir", seeded_data_dir)
    assert_cli_error(out)
    assert "join code" in out.stderr
    assert db_rows(seeded_data_dir) == before


def test_revoke_missing_corrupt_and_locked(assert_cli_error, 
    run_clawtown, seeded_data_dir, missing_data_dir, corrupt_data_dir, hold_db_write_lock, short_busy_timeout, db_rows
):
    assert_cli_error(run_clawtown("join-code", "revoke", "ABCDEF", "--data-dir", missing_data_dir), "not found")
    assert_cli_error(run_clawtown("join-code", "revoke", "ABCDEF", "--data-dir", corrupt_data_dir), "not a database")
    code = mint(run_clawtown, seeded_data_dir, "alice")
    before = db_rows(seeded_data_dir)
    with hold_db_write_lock(seeded_data_dir):
        out = run_clawtown("join-code", "revoke", code, "--data-dir", seeded_data_dir)
    assert_cli_error(out, "locked by another writer")
    assert db_rows(seeded_data_dir) == before


# ---------------------------------------------------------------------------------- relink


def test_relink_prints_a_live_token_and_explains_it(run_clawtown, seeded_data_dir, data_dir_store):
    out = run_clawtown("relink", "Bob", "--data-dir", seeded_data_dir)
    assert out.exit_code == 0, out
    token = token_of(out)
    assert "gives the bot its existing bot token back" in " ".join(out.stdout.split())
    with data_dir_store(seeded_data_dir) as store:
        record = store.get_join_code(token["code"])
    assert record["playerId"] == "p_bob"
    assert record["expiresAt"] - record["createdAt"] == JOIN_CODE_TTL_MS


def test_relink_quiet_with_ttl_and_base_url(run_clawtown, seeded_data_dir):
    out = run_clawtown("relink", "p_alice", "-q", "--ttl", "1h", "--base-url", "http://192.168.1.9:8080",
                       "--data-dir", seeded_data_dir)
    assert out.exit_code == 0, out
    assert out.stdout.splitlines() == [f"CT1|http://192.168.1.9:8080|{token_of(out)['code']}"]


def test_relink_errors(assert_cli_error, run_clawtown, seeded_data_dir, missing_data_dir, corrupt_data_dir, db_rows):
    before = db_rows(seeded_data_dir)
    assert_cli_error(run_clawtown("relink", "nobody", "--data-dir", seeded_data_dir), "'nobody'")
    assert_cli_error(run_clawtown("relink", "TWIN", "--data-dir", seeded_data_dir), "p_twin1", "p_twin2")
    assert_cli_error(run_clawtown("relink", "bob", "--ttl", "soon", "--data-dir", seeded_data_dir), "--ttl")
    assert db_rows(seeded_data_dir) == before
    assert_cli_error(run_clawtown("relink", "bob", "--data-dir", missing_data_dir), "data dir not found")
    assert_cli_error(run_clawtown("relink", "bob", "--data-dir", corrupt_data_dir), "not a database")


def test_relink_locked_database(assert_cli_error, run_clawtown, seeded_data_dir, hold_db_write_lock, short_busy_timeout, db_rows):
    before = db_rows(seeded_data_dir)
    with hold_db_write_lock(seeded_data_dir):
        out = run_clawtown("relink", "bob", "--data-dir", seeded_data_dir)
    assert_cli_error(out, "locked by another writer")
    assert db_rows(seeded_data_dir) == before


# ------------------------------------------------------------------------------ ops values


@pytest.mark.parametrize(("ms", "text"), [(0, "0s"), (90_000, "1m 30s"), (86_400_000 + 7_200_000, "1d 2h"),
                                          (3_600_000, "1h")])
def test_format_duration(ms, text):
    assert codes_ops.format_duration(ms) == text


def test_choose_base_url_precedence():
    env = {"CT_PUBLIC_BASE_URL": "https://env.example.com/"}
    assert codes_ops.choose_base_url("http://opt:1", env) == "http://opt:1"
    assert codes_ops.choose_base_url(None, env) == "https://env.example.com"
    assert codes_ops.choose_base_url(None, {}) == codes_ops.DEFAULT_BASE_URL
