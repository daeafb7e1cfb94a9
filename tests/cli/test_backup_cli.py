"""`clawtown backup create|verify|restore` on real SQLite files (CliRunner).

Every error path must print one red line on stderr, exit non-zero and leave the files as they were.
"""

from __future__ import annotations

import os
import sqlite3
import threading

import pytest
from backup_fixtures import (
    assert_one_red_line,
    corrupt_players_table,
    db_file,
    files,
    make_backup,
    restored_rows,
    rows,
    run,
    set_schema_version,
    without_audit,
    write,
)

from clawtown.ops import backup as backup_ops
from clawtown.ops.backup import create_backup, stamped_backups
from clawtown.store import SqliteStore
from clawtown.store.migrations import SCHEMA_VERSION

# ---------------------------------------------------------------------------- help


@pytest.mark.parametrize(
    "args",
    [["backup"], ["backup", "create"], ["backup", "verify"], ["backup", "restore"], ["export"],
     ["export", "snapshot"], ["import"]],
)
def test_every_command_has_help_naming_the_data_dir(args):
    code, out, _err = run(*args, "--help")
    assert code == 0
    if args not in (["backup"], ["export"]):
        assert "--data-dir" in out


# ---------------------------------------------------------------------- backup create


def test_create_writes_a_stamped_backup_and_reports_it(data_dir):
    code, out, err = run("backup", "create", "--data-dir", data_dir)
    assert code == 0, err
    (path,) = stamped_backups(os.path.join(data_dir, "backups"))
    assert os.path.basename(path).startswith("clawtown-") and path.endswith(".db")
    assert path in out.replace("\n", "")
    assert f"schema v{SCHEMA_VERSION}" in out
    assert f"({os.path.getsize(path)} bytes)" in out
    for table, count in (("players", 3), ("events", 6), ("join_codes", 3), ("bot_links", 2)):
        assert any(line.split() == [table, str(count)] for line in out.splitlines()), (table, out)
    assert rows(path) == rows(db_file(data_dir))
    assert not [n for n in os.listdir(os.path.dirname(path)) if n != os.path.basename(path)]  # no -wal, no temp
    with open(path, "rb") as f:
        assert f.read(20)[18:20] == b"\x01\x01"  # rollback journal: a standalone file


def test_create_with_out_and_the_data_dir_from_the_environment(data_dir, tmp_path):
    out = str(tmp_path / "copy.db")
    code, _stdout, err = run("backup", "create", "--out", out, env={"CT_DATA_DIR": data_dir})
    assert code == 0, err
    assert rows(out) == rows(db_file(data_dir))
    assert not os.path.exists(os.path.join(data_dir, "backups"))


def test_two_backups_in_one_second_get_distinct_names(data_dir):
    first = create_backup(data_dir, now=1_767_225_600)
    second = create_backup(data_dir, now=1_767_225_600)
    assert [os.path.basename(first.path), os.path.basename(second.path)] == [
        "clawtown-20260101-000000.db", "clawtown-20260101-000000-1.db"]


def test_create_reports_progress_up_to_every_page(data_dir, monkeypatch):
    monkeypatch.setattr(backup_ops, "PAGES_PER_STEP", 1)
    seen = []
    create_backup(data_dir, progress=lambda done, total: seen.append((done, total)))
    total = seen[-1][1]
    assert total > 5 and seen[-1] == (total, total)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_create_is_consistent_while_another_process_writes(data_dir, tmp_path, monkeypatch):
    """Each write adds a player and its event in one transaction; a backup never holds half of one."""
    monkeypatch.setattr(backup_ops, "PAGES_PER_STEP", 2)
    store = SqliteStore(db_file(data_dir))
    store.save_batch(players=[{"id": f"bulk{i:04d}", "name": "x" * 400, "updatedAt": i} for i in range(1500)])
    store.close()
    stop, written, started = threading.Event(), [0], threading.Event()

    def writer():
        store = SqliteStore(db_file(data_dir))
        try:
            while not stop.is_set():
                n = written[0]
                store.save_batch(players=[{"id": f"w{n:05d}", "name": "W", "updatedAt": n}],
                                 events=[{"playerId": f"w{n:05d}", "id": 1, "at": n, "kind": "k", "text": "t"}])
                written[0] += 1
                started.set()
        finally:
            store.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        started.wait(5)
        before = written[0]
        out = str(tmp_path / "live.db")
        code, _stdout, err = run("backup", "create", "--data-dir", data_dir, "--out", out)
        during = written[0] - before
    finally:
        stop.set()
        thread.join()
    assert code == 0, err
    assert during > 0  # the writer committed while the backup ran
    conn = sqlite3.connect(out)
    players = {r[0] for r in conn.execute("SELECT id FROM players WHERE id LIKE 'w%'")}
    events = {r[0] for r in conn.execute("SELECT player_id FROM events WHERE player_id LIKE 'w%'")}
    conn.close()
    assert players == events and players
    code, _out, err = run("backup", "verify", out)
    assert code == 0, err


def test_create_fails_on_a_missing_data_dir(tmp_path):
    missing = str(tmp_path / "nope")
    code, out, err = run("backup", "create", "--data-dir", missing)
    assert_one_red_line(code, err, "data dir not found", missing)
    assert out == "" and not os.path.exists(missing)


def test_create_fails_on_a_data_dir_without_database(tmp_path):
    (tmp_path / "empty").mkdir()
    code, _out, err = run("backup", "create", "--data-dir", str(tmp_path / "empty"))
    assert_one_red_line(code, err, "no database in")
    assert os.listdir(tmp_path / "empty") == []


def test_create_never_overwrites_an_existing_file(data_dir, tmp_path):
    out = tmp_path / "taken.db"
    out.write_bytes(b"precious")
    code, _out, err = run("backup", "create", "--data-dir", data_dir, "--out", str(out))
    assert_one_red_line(code, err, "already exists")
    assert out.read_bytes() == b"precious"


@pytest.mark.parametrize("where", ["missing-dir/b.db", "a-file/b.db"])
def test_create_fails_on_an_unwritable_out_path(data_dir, tmp_path, where):
    (tmp_path / "a-file").write_text("not a directory")
    before = files(str(tmp_path))
    code, _out, err = run("backup", "create", "--data-dir", data_dir, "--out", str(tmp_path / where))
    assert_one_red_line(code, err, "cannot write", "is not a directory")
    assert files(str(tmp_path)) == before


def test_create_fails_when_the_backup_dir_cannot_be_made(data_dir):
    with open(os.path.join(data_dir, "backups"), "w") as f:
        f.write("a file in the way")
    code, _out, err = run("backup", "create", "--data-dir", data_dir)
    assert_one_red_line(code, err, "cannot create", "backups")


def test_create_fails_on_a_database_of_garbage(data_dir):
    with open(db_file(data_dir), "wb") as f:
        f.write(b"this is not a database\x00" * 200)
    code, _out, err = run("backup", "create", "--data-dir", data_dir)
    assert_one_red_line(code, err, "is not a SQLite database")
    assert os.listdir(os.path.join(data_dir, "backups")) == []


def test_create_fails_on_a_corrupt_database_and_keeps_no_copy(data_dir):
    corrupt_players_table(db_file(data_dir))
    before = files(data_dir)
    code, _out, err = run("backup", "create", "--data-dir", data_dir)
    assert_one_red_line(code, err, "is corrupt")
    assert os.listdir(os.path.join(data_dir, "backups")) == []
    before.pop(os.path.join("backups"), None)
    assert {k: v for k, v in files(data_dir).items()} == before


def test_create_fails_on_a_locked_database(data_dir, exclusive_lock):
    exclusive_lock(db_file(data_dir))
    code, _out, err = run("backup", "create", "--data-dir", data_dir)
    assert_one_red_line(code, err, "is locked by another process")
    assert os.listdir(os.path.join(data_dir, "backups")) == []


# ---------------------------------------------------------------------- backup verify


def test_verify_reports_integrity_schema_and_counts(data_dir):
    path = make_backup(data_dir)
    code, out, err = run("backup", "verify", path)
    assert code == 0, err
    assert out.startswith("backup ok:") and f"schema v{SCHEMA_VERSION}" in out
    assert any(line.split() == ["board", "2"] for line in out.splitlines())
    assert err == ""


def test_verify_without_a_file_checks_the_newest_backup_of_the_data_dir(data_dir):
    create_backup(data_dir, now=1_767_225_600)
    newest = create_backup(data_dir, now=1_767_229_200).path
    code, out, err = run("backup", "verify", "--data-dir", data_dir)
    assert code == 0, err
    assert newest in out.replace("\n", "")


def test_verify_without_a_file_and_no_backups(data_dir):
    code, _out, err = run("backup", "verify", "--data-dir", data_dir)
    assert_one_red_line(code, err, "no backups in")


def test_verify_warns_about_a_newer_schema(data_dir):
    path = make_backup(data_dir)
    set_schema_version(path, SCHEMA_VERSION + 1)
    code, _out, err = run("backup", "verify", path)
    assert code == 0
    assert "newer than this clawtown" in err and "restore would refuse it" in err


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: None, "no such file"),
        (lambda p: os.mkdir(p), "not a file"),
        (lambda p: write(p, b"GIF89a not a database" * 100), "is not a SQLite database"),
        (lambda p: write(p, b""), "is not a clawtown database"),
        (lambda p: sqlite3.connect(p).execute("CREATE TABLE other (x)").connection.close(), "not a clawtown database"),
    ],
    ids=["missing", "directory", "not-sqlite", "empty-file", "other-sqlite"],
)
def test_verify_rejects_what_is_not_a_backup(tmp_path, make, message):
    path = str(tmp_path / "thing.db")
    make(path)
    before = files(str(tmp_path))
    code, _out, err = run("backup", "verify", path)
    assert_one_red_line(code, err, message)
    assert files(str(tmp_path)) == before


def test_verify_rejects_a_corrupt_backup(data_dir):
    path = make_backup(data_dir)
    corrupt_players_table(path)
    code, _out, err = run("backup", "verify", path)
    assert_one_red_line(code, err, path)
    assert "integrity check" in err or "is corrupt" in err


# --------------------------------------------------------------------- backup restore


def test_restore_swaps_the_database_and_keeps_the_old_one_aside(data_dir):
    path = make_backup(data_dir)
    expected = rows(path)
    store = SqliteStore(db_file(data_dir))
    store.save_batch(players=[{"id": "p_late", "name": "Late", "updatedAt": 1}])
    store.close()
    code, out, err = run("backup", "restore", path, "--data-dir", data_dir, "--yes")
    assert code == 0, err
    assert restored_rows(db_file(data_dir)) == without_audit(expected)
    (aside,) = [n for n in os.listdir(os.path.join(data_dir, "replaced")) if n.endswith(".db")]
    kept = os.path.join(data_dir, "replaced", aside)
    assert [r[0] for r in rows(kept)["players"]] == ["p_ann", "p_bob", "p_cy", "p_late"]
    assert kept in out.replace("\n", "") and "restored:" in out
    assert not os.path.exists(db_file(data_dir) + "-wal")


def test_restore_moves_an_unflushed_wal_along_with_the_database(data_dir, tmp_path):
    path = make_backup(data_dir)
    conn = sqlite3.connect(db_file(data_dir))  # a crashed server: committed pages still in the -wal
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    with conn:
        conn.execute("INSERT INTO board (id, created_at, data) VALUES ('post_wal', 1, '{}')")
    kept_copy = tmp_path / "crash"
    kept_copy.mkdir()
    for suffix in ("", "-wal"):
        with open(db_file(data_dir) + suffix, "rb") as f, open(kept_copy / f"clawtown.db{suffix}", "wb") as g:
            g.write(f.read())
    conn.close()
    # Put the crash state back (closing the connection checkpointed it).
    for suffix in ("", "-wal"):
        with open(kept_copy / f"clawtown.db{suffix}", "rb") as f, open(db_file(data_dir) + suffix, "wb") as g:
            g.write(f.read())
    code, _out, err = run("backup", "restore", path, "--data-dir", data_dir, "--yes")
    assert code == 0, err
    replaced = sorted(os.listdir(os.path.join(data_dir, "replaced")))
    assert replaced[0].endswith(".db") and replaced[0] + "-wal" in replaced
    aside = os.path.join(data_dir, "replaced", replaced[0])
    assert ("post_wal",) in [(r[0],) for r in rows(aside)["board"]]


def test_restore_into_a_fresh_data_dir(data_dir, tmp_path):
    path = make_backup(data_dir)
    fresh = str(tmp_path / "fresh")
    code, out, err = run("backup", "restore", path, "--data-dir", fresh)
    assert code == 0, err
    assert restored_rows(db_file(fresh)) == without_audit(rows(path))
    assert "nothing was replaced" in out
    assert not os.path.exists(os.path.join(fresh, "replaced"))


def test_restore_asks_first_and_a_no_changes_nothing(data_dir):
    path = make_backup(data_dir)
    store = SqliteStore(db_file(data_dir))
    store.save_batch(players=[{"id": "p_late", "name": "Late", "updatedAt": 1}])
    store.close()
    before = (rows(db_file(data_dir)), files(data_dir))
    for answer in ("n\n", ""):
        code, out, err = run("backup", "restore", path, "--data-dir", data_dir, input=answer)
        assert "4 players" in out and "Restore?" in out
        assert_one_red_line(code, err, "restore cancelled", "nothing changed")
        assert (rows(db_file(data_dir)), files(data_dir)) == before
    code, _out, err = run("backup", "restore", path, "--data-dir", data_dir, input="y\n")
    assert code == 0, err
    assert len(rows(db_file(data_dir))["players"]) == 3


def test_restore_refuses_while_a_server_runs(data_dir, server_on):
    path = make_backup(data_dir)
    server_on(data_dir)
    before = files(data_dir)
    code, _out, err = run("backup", "restore", path, "--data-dir", data_dir, "--yes")
    assert_one_red_line(code, err, "a clawtown server is running on", "stop it")
    assert files(data_dir) == before


def test_restore_refuses_a_backup_newer_than_this_clawtown(data_dir):
    path = make_backup(data_dir)
    set_schema_version(path, SCHEMA_VERSION + 1)
    before = files(data_dir)
    code, _out, err = run("backup", "restore", path, "--data-dir", data_dir, "--yes")
    assert_one_red_line(code, err, f"schema v{SCHEMA_VERSION + 1}", "upgrade clawtown")
    assert files(data_dir) == before


def test_restore_refuses_a_corrupt_backup(data_dir):
    path = make_backup(data_dir)
    corrupt_players_table(path)
    before = files(data_dir)
    code, _out, err = run("backup", "restore", path, "--data-dir", data_dir, "--yes")
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert files(data_dir) == before


@pytest.mark.parametrize("what", ["missing", "garbage"])
def test_restore_refuses_what_is_not_a_backup(data_dir, tmp_path, what):
    path = str(tmp_path / "x.db")
    if what == "garbage":
        with open(path, "wb") as f:
            f.write(b"\x00garbage" * 300)
    before = files(data_dir)
    code, _out, err = run("backup", "restore", path, "--data-dir", data_dir, "--yes")
    assert_one_red_line(code, err, "no such file" if what == "missing" else "is not a SQLite database")
    assert files(data_dir) == before


def test_restore_refuses_the_live_database_itself(data_dir):
    store = SqliteStore(db_file(data_dir))  # open: its -wal exists
    try:
        code, _out, err = run("backup", "restore", db_file(data_dir), "--data-dir", data_dir, "--yes")
    finally:
        store.close()
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert "live database" in err or "own database" in err


def test_restore_refuses_a_copy_of_a_live_database(data_dir, tmp_path):
    store = SqliteStore(db_file(data_dir))
    store.db.conn.execute("PRAGMA wal_autocheckpoint = 0")
    store.save_batch(players=[{"id": "p_new", "name": "N", "updatedAt": 1}])
    for suffix in ("", "-wal"):
        with open(db_file(data_dir) + suffix, "rb") as f, open(str(tmp_path / "copy.db") + suffix, "wb") as g:
            g.write(f.read())
    store.close()
    code, _out, err = run("backup", "restore", str(tmp_path / "copy.db"), "--data-dir", str(tmp_path / "other"), "--yes")
    assert_one_red_line(code, err, "is a live database", "backup create")
    assert not os.path.exists(tmp_path / "other")


