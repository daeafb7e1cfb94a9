"""`clawtown players list|show`, `clawtown tokens revoke` and `clawtown db migrate`, on real data dirs."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Self

import pytest
import sqlite_utils

from clawtown.engine.ids import hash_secret
from clawtown.ops.admin_token import admin_token_for
from clawtown.ops.datadir import DB_FILE, ServerLock
from clawtown.store.base import SCHEMA_VERSION_KEY
from clawtown.store.migrations import MIGRATIONS, SCHEMA_VERSION, migrate


class FakeAdminServer:
    """A stand-in for a running server's /api/admin/*: records calls, answers what it is told."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str | None, bytes]] = []
        self.status = 200
        self.online: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, body: dict) -> None:
                raw = json.dumps(body).encode()
                self.send_response(outer.status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self) -> None:
                outer.calls.append(("GET", self.path, self.headers.get("authorization"), b""))
                self._answer({"ok": True, "players": outer.online} if outer.status == 200 else {"error": "no"})

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                outer.calls.append(("POST", self.path, self.headers.get("authorization"), body))
                self._answer({"ok": True} if outer.status == 200 else {"error": "no"})

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def fake_admin():
    with FakeAdminServer() as server:
        yield server


@pytest.fixture
def dead_url():
    """A URL nothing listens on (a port just freed)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = server.server_address[1]
    server.server_close()
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def server_lock(seeded_data_dir):
    lock = ServerLock(seeded_data_dir)
    lock.acquire()
    yield lock
    lock.release()


def positions(text: str, *needles: str) -> list[int]:
    found = [text.find(n) for n in needles]
    assert all(i >= 0 for i in found), (needles, text)
    return found


# --------------------------------------------------------------------------- tokens revoke


def test_tokens_revoke_bumps_the_generation_and_kills_the_token(run_clawtown, seeded_data_dir, data_dir_store):
    old_hash = hash_secret("ctbot_old")
    with data_dir_store(seeded_data_dir) as store:
        store.save_bot_link("p_bob", 0, old_hash, 1)
    out = run_clawtown("tokens", "revoke", "bob", "--data-dir", seeded_data_dir)
    assert out.exit_code == 0, out
    text = " ".join(out.stdout.split())
    assert "Bob (p_bob)" in text and "generation is now 1" in text
    assert "every bot token of this player stopped working" in text
    assert "clawtown relink p_bob" in text
    assert "server is running" not in text
    with data_dir_store(seeded_data_dir) as store:
        link = store.get_bot_link("p_bob")
        assert store.find_bot_link(old_hash) is None
    assert link["generation"] == 1 and link["tokenHash"] is None and link["revokedAt"] is not None
    again = run_clawtown("tokens", "revoke", "p_bob", "--data-dir", seeded_data_dir)
    assert "generation is now 2" in " ".join(again.stdout.split())


def test_tokens_revoke_with_a_running_server_out_of_reach(run_clawtown, seeded_data_dir, server_lock, dead_url):
    out = run_clawtown("tokens", "revoke", "alice", "--url", dead_url, "--data-dir", seeded_data_dir)
    assert out.exit_code == 0, out  # the revocation is stored: the server just needs its cache to expire
    assert "forgets the tokens it cached within 5 s" in " ".join(out.stdout.split())


def test_tokens_revoke_tells_the_running_server_to_forget(run_clawtown, seeded_data_dir, server_lock, fake_admin):
    out = run_clawtown("tokens", "revoke", "alice", "--url", fake_admin.url, "--data-dir", seeded_data_dir)
    assert out.exit_code == 0, out
    assert "dropped the tokens it cached" in " ".join(out.stdout.split())
    [(method, path, auth, body)] = fake_admin.calls
    assert (method, path) == ("POST", "/api/admin/forget-tokens")
    assert auth == f"Bearer {admin_token_for(seeded_data_dir)}"
    assert json.loads(body) == {"playerId": "p_alice"}


def test_tokens_revoke_does_not_call_a_server_that_is_not_running(run_clawtown, seeded_data_dir, fake_admin):
    out = run_clawtown("tokens", "revoke", "alice", "--url", fake_admin.url, "--data-dir", seeded_data_dir)
    assert out.exit_code == 0, out
    assert fake_admin.calls == []


def test_tokens_revoke_errors(assert_cli_error, 
    run_clawtown, seeded_data_dir, missing_data_dir, corrupt_data_dir, hold_db_write_lock, short_busy_timeout, db_rows
):
    before = db_rows(seeded_data_dir)
    assert_cli_error(run_clawtown("tokens", "revoke", "carol", "--data-dir", seeded_data_dir), "'carol'")
    assert_cli_error(run_clawtown("tokens", "revoke", "twin", "--data-dir", seeded_data_dir), "p_twin1, p_twin2")
    with hold_db_write_lock(seeded_data_dir):
        assert_cli_error(run_clawtown("tokens", "revoke", "bob", "--data-dir", seeded_data_dir), "locked")
    assert db_rows(seeded_data_dir) == before
    assert_cli_error(run_clawtown("tokens", "revoke", "bob", "--data-dir", missing_data_dir), "data dir not found")
    assert not os.path.exists(missing_data_dir)
    assert_cli_error(run_clawtown("tokens", "revoke", "bob", "--data-dir", corrupt_data_dir), "not a database")


# ---------------------------------------------------------------------------- players list


def test_players_list_sorted_by_level_by_default(run_clawtown, seeded_data_dir):
    out = run_clawtown("players", "list", "--data-dir", seeded_data_dir)
    assert out.exit_code == 0, out
    assert out.stderr == ""
    assert "players: 4" in out.stdout
    alice, bob, twin1, twin2 = positions(out.stdout, "p_alice", "p_bob", "p_twin1", "p_twin2")
    assert alice < bob < twin1 < twin2
    assert "knight" in out.stdout and "meadow" in out.stdout and "agent" in out.stdout and "linked" in out.stdout


@pytest.mark.parametrize(
    ("key", "order"),
    [
        ("name", ["p_alice", "p_bob", "p_twin1", "p_twin2"]),
        ("xp", ["p_bob", "p_alice", "p_twin1", "p_twin2"]),
        ("zenny", ["p_twin1", "p_alice", "p_bob", "p_twin2"]),
        ("LEVEL", ["p_alice", "p_bob", "p_twin1", "p_twin2"]),
    ],
)
def test_players_list_sort_keys(run_clawtown, seeded_data_dir, key, order):
    out = run_clawtown("players", "list", "--sort", key, "--data-dir", seeded_data_dir)
    assert out.exit_code == 0, out
    found = positions(out.stdout, *order)
    assert found == sorted(found)


def test_players_list_limit(run_clawtown, seeded_data_dir):
    out = run_clawtown("players", "list", "--limit", "2", "--sort", "zenny", "--data-dir", seeded_data_dir)
    assert out.exit_code == 0, out
    assert "players: 2 of 4" in out.stdout
    assert "p_twin1" in out.stdout and "p_alice" in out.stdout
    assert "p_bob" not in out.stdout and "p_twin2" not in out.stdout


@pytest.mark.parametrize("args", [["--sort", "hp"], ["--limit", "0"]])
def test_players_list_bad_options_are_usage_errors(run_clawtown, seeded_data_dir, args):
    out = run_clawtown("players", "list", *args, "--data-dir", seeded_data_dir)
    assert out.exit_code == 2
    assert out.stdout == ""


def test_players_list_empty_database(run_clawtown, seeded_data_dir, data_dir_store):
    with data_dir_store(seeded_data_dir) as store:
        store.wipe()
    out = run_clawtown("players", "list", "--data-dir", seeded_data_dir)
    assert out.exit_code == 0, out
    assert "no players stored" in out.stdout


def test_players_list_online_asks_the_admin_api(run_clawtown, seeded_data_dir, fake_admin):
    fake_admin.online = [{"id": "p_bob", "name": "Bob", "map": "town", "channel": 1, "level": 7}]
    out = run_clawtown("players", "list", "--online", "--url", fake_admin.url, "--data-dir", seeded_data_dir)
    assert out.exit_code == 0, out
    assert "online players: 1" in out.stdout
    assert "p_bob" in out.stdout and "p_alice" not in out.stdout
    [(method, path, auth, _)] = fake_admin.calls
    assert (method, path) == ("GET", "/api/admin/online")
    assert auth == f"Bearer {admin_token_for(seeded_data_dir)}"


def test_players_list_online_nobody(run_clawtown, seeded_data_dir, fake_admin):
    out = run_clawtown("players", "list", "--online", "--url", fake_admin.url, "--data-dir", seeded_data_dir)
    assert out.exit_code == 0, out
    assert "no players online" in out.stdout


def test_players_list_online_url_from_the_environment(run_clawtown, seeded_data_dir, fake_admin):
    out = run_clawtown("players", "list", "--online", env={"CT_URL": fake_admin.url, "CT_DATA_DIR": seeded_data_dir})
    assert out.exit_code == 0, out
    assert len(fake_admin.calls) == 1


def test_players_list_online_server_unreachable(assert_cli_error, run_clawtown, seeded_data_dir, dead_url):
    out = run_clawtown("players", "list", "--online", "--url", dead_url, "--data-dir", seeded_data_dir)
    assert_cli_error(out, "cannot reach the server at", dead_url)


def test_players_list_online_token_refused(assert_cli_error, run_clawtown, seeded_data_dir, fake_admin):
    fake_admin.status = 401
    out = run_clawtown("players", "list", "--online", "--url", fake_admin.url, "--data-dir", seeded_data_dir)
    assert_cli_error(out, "refused the admin token")


def test_players_list_online_bad_url(assert_cli_error, run_clawtown, seeded_data_dir):
    out = run_clawtown("players", "list", "--online", "--url", "localhost:8080", "--data-dir", seeded_data_dir)
    assert_cli_error(out, "--url")


def test_players_list_online_without_server_key(assert_cli_error, run_clawtown, seeded_data_dir, fake_admin):
    os.remove(os.path.join(seeded_data_dir, "server.key"))
    out = run_clawtown("players", "list", "--online", "--url", fake_admin.url, "--data-dir", seeded_data_dir)
    assert_cli_error(out, "no server.key")
    assert fake_admin.calls == []


def test_players_list_data_dir_errors(assert_cli_error, run_clawtown, missing_data_dir, corrupt_data_dir, fake_admin):
    assert_cli_error(run_clawtown("players", "list", "--data-dir", missing_data_dir), "data dir not found")
    out = run_clawtown("players", "list", "--online", "--url", fake_admin.url, "--data-dir", missing_data_dir)
    assert_cli_error(out, "data dir not found")
    assert fake_admin.calls == []
    assert_cli_error(run_clawtown("players", "list", "--data-dir", corrupt_data_dir), "not a database")


def test_players_list_reads_while_another_writer_holds_the_lock(run_clawtown, seeded_data_dir, hold_db_write_lock):
    with hold_db_write_lock(seeded_data_dir):
        out = run_clawtown("players", "list", "--data-dir", seeded_data_dir)
    assert out.exit_code == 0, out
    assert "p_alice" in out.stdout


# ---------------------------------------------------------------------------- players show


def test_players_show_one_record(run_clawtown, seeded_data_dir):
    code_out = run_clawtown("join-code", "mint", "alice", "-q", "--data-dir", seeded_data_dir)
    code = code_out.stdout.strip().rsplit("|", 1)[1]
    out = run_clawtown("players", "show", "aLiCe", "--data-dir", seeded_data_dir)
    assert out.exit_code == 0, out
    text = " ".join(out.stdout.split())
    for needle in (
        "Alice", "p_alice", "knight, level 12 (340 xp)", "1500", "meadow", "Training Sword", "Poring Jelly x7",
        "party_ab: Alice, Bob (leader Alice)", "never linked", f"1 live: {code}", "newest 10 events",
    ):
        assert needle in text, needle
    assert "alice says 15" in text and "alice says 6" in text
    assert "alice says 5 " not in text


def test_players_show_events_option_and_bot_link(run_clawtown, seeded_data_dir, data_dir_store):
    with data_dir_store(seeded_data_dir) as store:
        store.save_bot_link("p_bob", 0, hash_secret("ctbot_x"), 1)
    out = run_clawtown("players", "show", "p_bob", "--events", "3", "--data-dir", seeded_data_dir)
    assert out.exit_code == 0, out
    text = " ".join(out.stdout.split())
    assert "linked, generation 0" in text
    assert "no events stored" in text  # Bob has none
    assert "archer" in text and "agent" in text
    none = run_clawtown("players", "show", "alice", "--events", "0", "--data-dir", seeded_data_dir)
    assert "events" not in none.stdout.replace("no events", "")


def test_players_show_prints_names_and_texts_literally(run_clawtown, seeded_data_dir, data_dir_store, seeded_players):
    odd = {**seeded_players[0], "id": "p_odd", "name": "[red]Mallory", "partyId": None}
    with data_dir_store(seeded_data_dir) as store:
        store.save_batch(
            players=[odd],
            events=[{"playerId": "p_odd", "id": 1, "at": 1, "kind": "chat", "text": "[bold]hi[/bold]"}],
        )
    out = run_clawtown("players", "show", "p_odd", "--data-dir", seeded_data_dir)
    assert out.exit_code == 0, out
    assert "[red]Mallory" in out.stdout and "[bold]hi[/bold]" in out.stdout
    listed = run_clawtown("players", "list", "--sort", "name", "--data-dir", seeded_data_dir)
    assert "[red]Mallory" in listed.stdout


def test_players_show_errors(assert_cli_error, run_clawtown, seeded_data_dir, missing_data_dir, corrupt_data_dir):
    assert_cli_error(run_clawtown("players", "show", "carol", "--data-dir", seeded_data_dir), "'carol'")
    assert_cli_error(
        run_clawtown("players", "show", "twin", "--data-dir", seeded_data_dir), "2 players are named", "p_twin2"
    )
    assert_cli_error(run_clawtown("players", "show", " ", "--data-dir", seeded_data_dir), "no player given")
    assert_cli_error(run_clawtown("players", "show", "alice", "--data-dir", missing_data_dir), "data dir not found")
    assert_cli_error(run_clawtown("players", "show", "alice", "--data-dir", corrupt_data_dir), "not a database")


# ------------------------------------------------------------------------------ db migrate


def make_old_data_dir(path, version: int = 1) -> str:
    """A data dir whose database an older clawtown wrote: schema v1 (or ``version``), one player
    (from v2 on, with two live join codes)."""
    path.mkdir()
    db = sqlite_utils.Database(str(path / DB_FILE))
    db.enable_wal()
    migrate(db, MIGRATIONS[:version])
    db["players"].insert({"id": "p_old", "name": "Old", "name_key": "old", "updated_at": 1,
                          "data": json.dumps({"id": "p_old", "name": "Old"})})
    if version >= 2:
        db["join_codes"].insert_all(
            {"code": code, "player_id": "p_old", "created_at": 1, "expires_at": 4_000_000_000_000,
             "revoked_at": None}
            for code in ("OLDAA2", "OLDBB3")
        )
    db.close()
    return str(path)


def schema_of(data_dir: str) -> str | None:
    conn = sqlite3.connect(os.path.join(data_dir, DB_FILE))
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", [SCHEMA_VERSION_KEY]).fetchone()
        return None if row is None else row[0]
    finally:
        conn.close()


def test_db_migrate_up_to_date(run_clawtown, seeded_data_dir, db_rows):
    before = db_rows(seeded_data_dir)
    out = run_clawtown("db", "migrate", "--data-dir", seeded_data_dir)
    assert out.exit_code == 0, out
    assert f"up to date: schema v{SCHEMA_VERSION}" in out.stdout
    assert db_rows(seeded_data_dir) == before


def test_db_migrate_an_older_database(run_clawtown, tmp_path):
    data_dir = make_old_data_dir(tmp_path / "old")
    out = run_clawtown("db", "migrate", "--data-dir", data_dir)
    assert out.exit_code == 0, out
    assert f"from schema v1 to v{SCHEMA_VERSION}" in out.stdout
    assert schema_of(data_dir) == str(SCHEMA_VERSION)
    conn = sqlite3.connect(os.path.join(data_dir, DB_FILE))
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert conn.execute("SELECT name FROM players").fetchall() == [("Old",)]
    finally:
        conn.close()
    assert {"join_codes", "bot_links"} <= tables
    again = run_clawtown("db", "migrate", "--data-dir", data_dir)
    assert "up to date" in again.stdout


def test_db_migrate_gives_v3_join_codes_ids_and_they_keep_working(run_clawtown, tmp_path):
    data_dir = make_old_data_dir(tmp_path / "v3", version=3)
    out = run_clawtown("db", "migrate", "--data-dir", data_dir)
    assert out.exit_code == 0, out
    assert f"from schema v3 to v{SCHEMA_VERSION}" in out.stdout
    conn = sqlite3.connect(os.path.join(data_dir, DB_FILE))
    try:
        rows = conn.execute("SELECT code, id FROM join_codes ORDER BY code").fetchall()
    finally:
        conn.close()
    assert [code for code, _id in rows] == ["OLDAA2", "OLDBB3"]
    assert all(re.fullmatch(r"jc_[A-Za-z0-9_-]{16}", code_id) for _code, code_id in rows)
    every = run_clawtown("join-code", "list", "--all", "--data-dir", data_dir)
    assert every.exit_code == 0, every
    assert all(code in every.stdout and code_id in every.stdout for code, code_id in rows)
    assert run_clawtown("join-code", "revoke", "oldaa2", "--data-dir", data_dir).exit_code == 0
    live = run_clawtown("join-code", "list", "--data-dir", data_dir)
    assert "OLDBB3" in live.stdout and "OLDAA2" not in live.stdout


def test_db_migrate_refuses_a_newer_database(assert_cli_error, run_clawtown, seeded_data_dir, db_rows):
    conn = sqlite3.connect(os.path.join(seeded_data_dir, DB_FILE))
    with conn:
        conn.execute("UPDATE meta SET value = '99' WHERE key = ?", [SCHEMA_VERSION_KEY])
    conn.close()
    before = db_rows(seeded_data_dir)
    out = run_clawtown("db", "migrate", "--data-dir", seeded_data_dir)
    assert_cli_error(
        out, f"database schema v99 is newer than this clawtown (v{SCHEMA_VERSION}); upgrade clawtown"
    )
    assert db_rows(seeded_data_dir) == before
    # every other command says the same
    assert_cli_error(run_clawtown("players", "list", "--data-dir", seeded_data_dir), "schema v99 is newer")


def test_db_migrate_refuses_while_an_older_server_runs(assert_cli_error, run_clawtown, tmp_path):
    data_dir = make_old_data_dir(tmp_path / "old")
    lock = ServerLock(data_dir)
    lock.acquire()
    try:
        out = run_clawtown("db", "migrate", "--data-dir", data_dir)
    finally:
        lock.release()
    assert_cli_error(out, "a server is running", "stop it")
    assert schema_of(data_dir) == "1"


def test_db_migrate_up_to_date_while_the_server_runs(run_clawtown, seeded_data_dir, server_lock):
    out = run_clawtown("db", "migrate", "--data-dir", seeded_data_dir)
    assert out.exit_code == 0, out
    assert "up to date" in out.stdout


def test_db_migrate_locked_database(assert_cli_error, run_clawtown, tmp_path, hold_db_write_lock, short_busy_timeout):
    data_dir = make_old_data_dir(tmp_path / "old")
    with hold_db_write_lock(data_dir):
        out = run_clawtown("db", "migrate", "--data-dir", data_dir)
    assert_cli_error(out, "locked by another writer")
    assert schema_of(data_dir) == "1"


def test_db_migrate_missing_empty_and_corrupt(assert_cli_error, run_clawtown, missing_data_dir, corrupt_data_dir, tmp_path):
    assert_cli_error(run_clawtown("db", "migrate", "--data-dir", missing_data_dir), "data dir not found")
    assert not os.path.exists(missing_data_dir)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert_cli_error(run_clawtown("db", "migrate", "--data-dir", str(empty)), "no database in")
    assert list(empty.iterdir()) == []
    db = os.path.join(corrupt_data_dir, DB_FILE)
    before = Path(db).read_bytes()
    assert_cli_error(run_clawtown("db", "migrate", "--data-dir", corrupt_data_dir), "not a database")
    assert Path(db).read_bytes() == before
