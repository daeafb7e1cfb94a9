"""`clawtown backup create|verify|restore`, `clawtown export snapshot` and `clawtown import`, on real SQLite files.

Every command is driven through Typer's CliRunner; every error path must print one red line on
stderr, exit non-zero and leave the files as they were.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading

import orjson
import pytest
from typer.testing import CliRunner

from clawtown.cli import app
from clawtown.ops import backup as backup_ops
from clawtown.ops.backup import create_backup, stamped_backups
from clawtown.ops.datadir import ServerLock
from clawtown.ops.snapshot import SECTIONS
from clawtown.sim.model import Player
from clawtown.store import SqliteStore, open_store
from clawtown.store.migrations import MIGRATIONS, SCHEMA_VERSION, migrate

AT = 1_700_000_000_000
TOKEN_HASH = "ab" * 32
SESSION_HASH = "5e" * 32


# ---------------------------------------------------------------------------- fixtures


def player(pid: str, name: str, **fields) -> dict:
    p = Player(id=pid, name=name, **fields)
    p.created_at, p.seen_at, p.session_hash = AT, AT + 1000, SESSION_HASH if pid == "p_ann" else None
    record = p.to_record()
    record["updatedAt"] = AT + 2000
    return record


def seed(store) -> None:
    store.save_batch(
        players=[
            player("p_ann", "Ann", job="knight", level=12, xp=340, zenny=1500, party_id="party_1"),
            player("p_bob", "Bob", job="archer", level=7, mode="agent", linked_bot=True, party_id="party_1"),
            player("p_cy", "Cy \u00e9\u6f22", level=1),
        ],
        events=[
            {"playerId": pid, "id": seq, "at": AT + seq, "kind": "loot", "text": f"{pid} got {seq}",
             "important": seq % 2 == 0, "data": {"item": "jelly", "qty": seq} if seq != 2 else None}
            for pid in ("p_bob", "p_ann") for seq in (3, 1, 2)
        ],
        parties=[{"id": "party_1", "leaderId": "p_ann", "members": ["p_ann", "p_bob"]}],
        board=[
            {"id": "post_b", "createdAt": AT + 5, "authorId": "p_bob", "text": "second"},
            {"id": "post_a", "createdAt": AT + 1, "authorId": "p_ann", "text": "first"},
        ],
    )
    store.mint_join_code("ABC234", "p_ann", AT, AT + 86_400_000)
    store.mint_join_code("XYZ789", "p_ann", AT + 10, AT + 86_400_000)
    store.revoke_join_code("XYZ789", AT + 20)
    store.mint_join_code("QQQ222", "p_bob", AT + 5, AT + 86_400_000)
    store.save_bot_link("p_bob", 3, TOKEN_HASH, AT + 30)
    store.revoke_bot_tokens("p_ann", AT + 40)


@pytest.fixture
def data_dir(tmp_path) -> str:
    """A data dir whose database holds a bit of everything, closed cleanly (as a stopped server leaves it)."""
    path = str(tmp_path / "data")
    store = open_store(path)
    try:
        seed(store)
    finally:
        store.close()
    return path


def db_file(data_dir: str) -> str:
    return os.path.join(data_dir, "clawtown.db")


def run(*args: str, env: dict | None = None, input: str | None = None):
    """Invoke `clawtown …` in process; CT_DATA_DIR of the real environment is hidden."""
    runner = CliRunner(env={"CT_DATA_DIR": None, **(env or {})})
    result = runner.invoke(app, list(args), input=input, catch_exceptions=False)
    return result.exit_code, strip(result.stdout), strip(result.stderr)


def strip(text: str) -> str:
    import click

    return click.unstyle(text)


def assert_one_red_line(code: int, err: str, *fragments: str) -> None:
    assert code == 1, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ") and err.startswith("error: "), lines
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def write(path: str, content: bytes) -> None:
    with open(path, "wb") as f:
        f.write(content)


def rows(path: str) -> dict[str, list]:
    """Every row of every table of a database file."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables}
    finally:
        conn.close()


def without_audit(tables: dict[str, list]) -> dict[str, list]:
    return {name: got for name, got in tables.items() if name not in ("audit", "sqlite_sequence")}


def restored_rows(path: str) -> dict[str, list]:
    """The rows of a restored database, checking that its audit trail holds just the restore."""
    tables = rows(path)
    (entry,) = tables["audit"]
    assert entry[2:5] == ("cli", "backup.restore", None), entry
    assert orjson.loads(entry[5])["file"] == "b.db"
    return without_audit(tables)


def files(directory: str) -> dict[str, str]:
    """Every file under a directory (but SQLite's -wal/-shm companions) with a digest of its bytes."""
    found = {}
    for root, _dirs, names in os.walk(directory):
        for name in names:
            if name.endswith(("-wal", "-shm")):
                continue
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                found[os.path.relpath(path, directory)] = hashlib.sha256(f.read()).hexdigest()
    return found


def corrupt_players_table(path: str) -> None:
    """Overwrite the root page of the players table with garbage (the header stays valid)."""
    conn = sqlite3.connect(path)
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'players'").fetchone()[0]
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    assert not os.path.exists(path + "-wal") or os.path.getsize(path + "-wal") == 0
    with open(path, "r+b") as f:
        f.seek((root - 1) * page_size)
        f.write(b"\x0d\xff\xfe garbage " * (page_size // 12))


def set_schema_version(path: str, version: int) -> None:
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(version)])
    conn.close()


@pytest.fixture
def server_on():
    """Hold a data dir's server lock, as a running server does."""
    held = []

    def hold(data_dir: str) -> None:
        lock = ServerLock(data_dir)
        lock.acquire()
        held.append(lock)

    yield hold
    for lock in held:
        lock.release()


@pytest.fixture
def exclusive_lock(monkeypatch):
    """Another process holding the database exclusively (tools then wait 0.1 s, not 5 s)."""
    monkeypatch.setattr(backup_ops, "BUSY_TIMEOUT_MS", 100)
    held = []

    def hold(path: str) -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA locking_mode = EXCLUSIVE")
        conn.execute("BEGIN EXCLUSIVE")
        conn.execute("DELETE FROM board WHERE id = 'nothing'")
        held.append(conn)

    yield hold
    for conn in held:
        conn.execute("ROLLBACK")
        conn.close()


def make_backup(data_dir: str, name: str = "b.db") -> str:
    out = os.path.join(os.path.dirname(data_dir), name)
    code, _out, err = run("backup", "create", "--data-dir", data_dir, "--out", out)
    assert code == 0, err
    return out


def export(data_dir: str, name: str, *extra: str) -> bytes:
    out = os.path.join(os.path.dirname(data_dir), name)
    code, _out, err = run("export", "snapshot", "--data-dir", data_dir, "--out", out, *extra)
    assert code == 0, err
    with open(out, "rb") as f:
        return f.read()


def without_codes(snapshot: bytes, fmt: str = "json") -> bytes:
    """The snapshot as an import reproduces it: no joinCodes records (codes are never exported)."""
    if fmt == "ndjson":
        lines = [line for line in snapshot.splitlines(keepends=True) if not line.startswith(b'{"type":"joinCode"')]
        end = orjson.loads(lines[-1])
        end["counts"]["joinCodes"] = 0
        lines[-1] = b'{"type":"end","counts":' + orjson.dumps(end["counts"], option=orjson.OPT_SORT_KEYS) + b"}\n"
        return b"".join(lines)
    start = snapshot.index(b'\n"joinCodes":[')
    end = snapshot.index(b'\n"botLinks":[')
    return snapshot[:start] + b'\n"joinCodes":[],' + snapshot[end:]


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


# ------------------------------------------------------------------- export snapshot


def test_export_json_is_the_documented_document(data_dir):
    doc = orjson.loads(export(data_dir, "s.json"))
    assert list(doc)[:3] == ["format", "version", "schemaVersion"]
    assert (doc["format"], doc["version"], doc["schemaVersion"]) == ("clawtown-snapshot", 1, SCHEMA_VERSION)
    assert "exportedAt" not in doc
    assert list(doc)[3:] == list(SECTIONS)
    assert [p["id"] for p in doc["players"]] == ["p_ann", "p_bob", "p_cy"]
    ann = doc["players"][0]
    assert (ann["level"], ann["zenny"], ann["sessionHash"], ann["updatedAt"]) == (12, 1500, SESSION_HASH, AT + 2000)
    assert [(e["playerId"], e["id"]) for e in doc["events"]] == [
        ("p_ann", 1), ("p_ann", 2), ("p_ann", 3), ("p_bob", 1), ("p_bob", 2), ("p_bob", 3)]
    assert doc["events"][1] == {"playerId": "p_ann", "id": 2, "at": AT + 2, "kind": "loot", "text": "p_ann got 2",
                                "important": True, "data": None}
    assert [b["id"] for b in doc["board"]] == ["post_a", "post_b"]
    assert doc["parties"] == [{"id": "party_1", "leaderId": "p_ann", "members": ["p_ann", "p_bob"]}]
    assert doc["joinCodes"] == [
        {"playerId": "p_ann", "createdAt": AT, "expiresAt": AT + 86_400_000, "revokedAt": None},
        {"playerId": "p_ann", "createdAt": AT + 10, "expiresAt": AT + 86_400_000, "revokedAt": AT + 20},
        {"playerId": "p_bob", "createdAt": AT + 5, "expiresAt": AT + 86_400_000, "revokedAt": None},
    ]
    assert doc["botLinks"] == [
        {"playerId": "p_ann", "generation": 1, "linkedAt": None, "revokedAt": AT + 40},
        {"playerId": "p_bob", "generation": 3, "linkedAt": AT + 30, "revokedAt": None},
    ]


def test_export_holds_no_secret(data_dir):
    text = export(data_dir, "s.json") + export(data_dir, "s.ndjson", "--format", "ndjson")
    for secret in (b"ABC234", b"XYZ789", b"QQQ222", TOKEN_HASH.encode(), b"tokenHash", b'"code"'):
        assert secret not in text


def test_export_is_sorted_and_one_record_per_line(data_dir):
    raw = export(data_dir, "s.json")
    lines = raw.splitlines()
    assert lines[0] == b'{"format":"clawtown-snapshot","version":1,"schemaVersion":%d,' % SCHEMA_VERSION
    records = [orjson.loads(line.rstrip(b",")) for line in lines if line.startswith(b"{") and line != lines[0]]
    assert len(records) == 3 + 6 + 1 + 2 + 3 + 2
    for line in lines[1:]:
        if line.startswith(b"{"):
            record = orjson.loads(line.rstrip(b","))
            assert line.rstrip(b",") == orjson.dumps(record, option=orjson.OPT_SORT_KEYS)
    assert raw.endswith(b"]}\n")


def test_export_ndjson_has_typed_lines_and_an_end_line(data_dir):
    lines = [orjson.loads(line) for line in export(data_dir, "s.ndjson", "--format", "ndjson").splitlines()]
    assert lines[0] == {"type": "header", "format": "clawtown-snapshot", "version": 1, "schemaVersion": SCHEMA_VERSION}
    types = [line["type"] for line in lines[1:-1]]
    assert types == ["player"] * 3 + ["event"] * 6 + ["party"] + ["post"] * 2 + ["joinCode"] * 3 + ["botLink"] * 2
    assert lines[-1] == {"type": "end", "counts": {"players": 3, "events": 6, "parties": 1, "board": 2,
                                                    "joinCodes": 3, "botLinks": 2}}
    assert lines[1]["record"]["id"] == "p_ann"


def test_export_twice_gives_the_same_bytes_unless_timestamped(data_dir):
    assert export(data_dir, "a.json") == export(data_dir, "b.json")
    stamped = orjson.loads(export(data_dir, "c.json", "--timestamp"))
    assert stamped["exportedAt"].endswith("Z") and len(stamped["exportedAt"]) == 20
    head = orjson.loads(export(data_dir, "d.ndjson", "--format", "NDJSON", "--timestamp").splitlines()[0])
    assert "exportedAt" in head


def test_export_of_a_backup_file_with_db(data_dir, tmp_path):
    path = make_backup(data_dir)
    empty = tmp_path / "unused"
    code, _out, err = run("export", "snapshot", "--db", path, "--out", str(tmp_path / "b.json"),
                          "--data-dir", str(empty))
    assert code == 0, err
    assert (tmp_path / "b.json").read_bytes() == export(data_dir, "d.json")


def test_export_of_a_missing_db_file(tmp_path):
    code, _out, err = run("export", "snapshot", "--db", str(tmp_path / "gone.db"), "--out", str(tmp_path / "s.json"))
    assert_one_red_line(code, err, "no such file")
    assert os.listdir(tmp_path) == []


def test_export_reports_what_it_wrote(data_dir, tmp_path):
    out = str(tmp_path / "s.json")
    code, stdout, _err = run("export", "snapshot", "--data-dir", data_dir, "--out", out)
    assert code == 0
    assert "snapshot written:" in stdout and out in stdout.replace("\n", "")
    assert any(line.split() == ["events", "6"] for line in stdout.splitlines())


def test_export_fails_on_a_missing_data_dir(tmp_path):
    code, _out, err = run("export", "snapshot", "--data-dir", str(tmp_path / "nope"), "--out", str(tmp_path / "s.json"))
    assert_one_red_line(code, err, "data dir not found")
    assert os.listdir(tmp_path) == []


def test_export_fails_on_garbage_and_on_corruption(data_dir, tmp_path):
    corrupt_players_table(db_file(data_dir))
    code, _out, err = run("export", "snapshot", "--data-dir", data_dir, "--out", str(tmp_path / "s.json"))
    assert_one_red_line(code, err, "is corrupt")
    with open(db_file(data_dir), "wb") as f:
        f.write(b"nope" * 1000)
    code, _out, err = run("export", "snapshot", "--data-dir", data_dir, "--out", str(tmp_path / "s.json"))
    assert_one_red_line(code, err, "is not a SQLite database")
    assert not [n for n in os.listdir(tmp_path) if n.startswith("s.json")]


def test_export_fails_on_a_locked_database(data_dir, tmp_path, exclusive_lock):
    exclusive_lock(db_file(data_dir))
    code, _out, err = run("export", "snapshot", "--data-dir", data_dir, "--out", str(tmp_path / "s.json"))
    assert_one_red_line(code, err, "is locked by another process")
    assert not (tmp_path / "s.json").exists()


def test_export_never_overwrites_and_needs_a_directory(data_dir, tmp_path):
    (tmp_path / "s.json").write_text("mine")
    code, _out, err = run("export", "snapshot", "--data-dir", data_dir, "--out", str(tmp_path / "s.json"))
    assert_one_red_line(code, err, "already exists")
    assert (tmp_path / "s.json").read_text() == "mine"
    code, _out, err = run("export", "snapshot", "--data-dir", data_dir, "--out", str(tmp_path / "no" / "s.json"))
    assert_one_red_line(code, err, "cannot write", "is not a directory")


@pytest.mark.parametrize(("version", "message"), [(SCHEMA_VERSION + 1, "upgrade clawtown"), (1, "clawtown db migrate")])
def test_export_refuses_another_schema_version(tmp_path, version, message):
    data = tmp_path / "data"
    data.mkdir()
    conn = sqlite3.connect(data / "clawtown.db")
    import sqlite_utils

    migrate(sqlite_utils.Database(conn), MIGRATIONS[:1])
    conn.close()
    set_schema_version(str(data / "clawtown.db"), version)
    code, _out, err = run("export", "snapshot", "--data-dir", str(data), "--out", str(tmp_path / "s.json"))
    assert_one_red_line(code, err, f"schema v{version}", message)
    assert not (tmp_path / "s.json").exists()


def test_export_rejects_an_unknown_format(data_dir, tmp_path):
    code, _out, err = run("export", "snapshot", "--data-dir", data_dir, "--out", str(tmp_path / "s.x"), "--format", "xml")
    assert code == 2 and "xml" in err
    assert not (tmp_path / "s.x").exists()


def test_export_and_backup_while_a_server_holds_the_data_dir(data_dir, server_on, tmp_path):
    server_on(data_dir)
    assert export(data_dir, "s.json")
    code, _out, err = run("backup", "create", "--data-dir", data_dir)
    assert code == 0, err


# ----------------------------------------------------------------------------- import


@pytest.mark.parametrize("fmt", ["json", "ndjson"])
def test_export_import_export_gives_the_same_bytes(data_dir, tmp_path, fmt):
    first = export(data_dir, f"1.{fmt}", "--format", fmt)
    second_dir = str(tmp_path / "second")
    code, _out, err = run("import", str(tmp_path / f"1.{fmt}"), "--data-dir", second_dir)
    assert code == 0, err
    second = export(second_dir, f"2.{fmt}", "--format", fmt)
    assert second == without_codes(first, fmt)  # everything but the codes, which are never exported
    third_dir = str(tmp_path / "third")
    code, _out, err = run("import", str(tmp_path / f"2.{fmt}"), "--data-dir", third_dir)
    assert code == 0, err
    assert export(third_dir, f"3.{fmt}", "--format", fmt) == second


def test_json_and_ndjson_carry_the_same_data(data_dir, tmp_path):
    export(data_dir, "s.ndjson", "--format", "ndjson")
    code, _out, err = run("import", str(tmp_path / "s.ndjson"), "--data-dir", str(tmp_path / "from-ndjson"))
    assert code == 0, err
    assert export(str(tmp_path / "from-ndjson"), "again.json") == without_codes(export(data_dir, "s.json"))


def test_import_reports_and_the_imported_data_works(data_dir, tmp_path):
    export(data_dir, "s.json")
    target = str(tmp_path / "new")
    code, out, err = run("import", str(tmp_path / "s.json"), "--data-dir", target)
    assert code == 0, err
    assert "imported" in out and "join codes not imported: 3" in out
    assert any(line.split() == ["players", "3"] for line in out.splitlines())
    store = SqliteStore(db_file(target))
    try:
        assert store.find_player_by_session_hash(SESSION_HASH)["id"] == "p_ann"
        assert store.find_players_by_name("cy \u00e9\u6f22")[0]["id"] == "p_cy"
        assert [e["id"] for e in store.list_events("p_bob")] == [1, 2, 3]
        assert store.get_bot_link("p_bob") == {"playerId": "p_bob", "generation": 3, "tokenHash": None,
                                               "linkedAt": AT + 30, "revokedAt": None}
        assert store.list_join_codes() == []
        assert [p["id"] for p in store.load_parties()] == ["party_1"]
        assert store.get_meta("schema_version") == str(SCHEMA_VERSION)
    finally:
        store.close()
    decoded = [(*row[:5], orjson.loads(row[5])) for row in rows(db_file(target))["players"]]
    assert decoded == [(*row[:5], orjson.loads(row[5])) for row in rows(db_file(data_dir))["players"]]


def test_import_into_an_existing_empty_data_dir(data_dir, tmp_path):
    export(data_dir, "s.json")
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _out, err = run("import", str(tmp_path / "s.json"), env={"CT_DATA_DIR": str(empty)})
    assert code == 0, err
    open_store(str(tmp_path / "started-once")).close()  # a server started once, no players yet
    code, _out, err = run("import", str(tmp_path / "s.json"), "--data-dir", str(tmp_path / "started-once"))
    assert code == 0, err


def test_import_refuses_a_data_dir_with_data(data_dir, tmp_path):
    export(data_dir, "s.json")
    before = (rows(db_file(data_dir)), files(data_dir))
    code, _out, err = run("import", str(tmp_path / "s.json"), "--data-dir", data_dir)
    assert_one_red_line(code, err, "is not empty", "3 players")
    assert (rows(db_file(data_dir)), files(data_dir)) == before


def test_import_refuses_a_data_dir_with_only_a_board(tmp_path, data_dir):
    export(data_dir, "s.json")
    store = open_store(str(tmp_path / "boarded"))
    store.save_batch(board=[{"id": "b", "createdAt": 1}])
    store.close()
    code, _out, err = run("import", str(tmp_path / "s.json"), "--data-dir", str(tmp_path / "boarded"))
    assert_one_red_line(code, err, "is not empty", "1 board")


def test_import_refuses_while_a_server_runs(data_dir, tmp_path, server_on):
    export(data_dir, "s.json")
    target = tmp_path / "served"
    target.mkdir()
    server_on(str(target))
    before = files(str(target))
    code, _out, err = run("import", str(tmp_path / "s.json"), "--data-dir", str(target))
    assert_one_red_line(code, err, "a clawtown server is running on")
    assert files(str(target)) == before


def test_import_refuses_a_corrupt_target_database(data_dir, tmp_path):
    export(data_dir, "s.json")
    target = tmp_path / "broken"
    target.mkdir()
    (target / "clawtown.db").write_bytes(b"garbage" * 500)
    code, _out, err = run("import", str(tmp_path / "s.json"), "--data-dir", str(target))
    assert_one_red_line(code, err, "cannot import into", "is not a SQLite database")
    assert (target / "clawtown.db").read_bytes() == b"garbage" * 500


def _snapshot_doc(data_dir, tmp_path) -> dict:
    return orjson.loads(export(data_dir, "base.json"))


HEADER_LINE = b'{"type":"header","format":"clawtown-snapshot","version":1,"schemaVersion":2}\n'
MISCOUNTED_END = b'{"type":"end","counts":{"players":2,"events":0,"parties":0,"board":0,"joinCodes":0,"botLinks":0}}\n'


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        (b"", "not a clawtown snapshot"),
        (b"hello", "not a clawtown snapshot"),
        (b"[1, 2]", "the document is not an object"),
        (b'{"format": "something-else", "version": 1}', "format is 'something-else'"),
        (b'{"format": "clawtown-snapshot", "version": 2}', "format version 2; this clawtown reads version 1"),
        (b'{"format": "clawtown-snapshot", "version": 1, "players": []}', "section 'events' is missing"),
        (HEADER_LINE + b'{"type":"player","record":{"id":"p","name":"P"}}\n', "is truncated (no end line)"),
        (HEADER_LINE + b'{"type":"player","record":{"id":"p","name":"P"}}\n' + MISCOUNTED_END, "counts do not match"),
        (b'{"type":"header","format":"clawtown-snapshot","version":1,"schemaVersion":2}\n{"type":"wizard"}\n',
         ":2: not a snapshot line (type 'wizard')"),
        (b'{"type":"header","format":"clawtown-snapshot","version":1,"schemaVersion":2}\n{oops\n', ":2: not JSON"),
    ],
    ids=["missing", "empty", "not-json", "array", "other-format", "version-2", "no-section", "truncated",
         "miscounted", "unknown-type", "bad-line"],
)
def test_import_rejects_what_is_not_a_snapshot(tmp_path, content, message):
    path = tmp_path / "in.json"
    if content is not None:
        path.write_bytes(content)
    target = tmp_path / "target"
    code, _out, err = run("import", str(path), "--data-dir", str(target))
    assert_one_red_line(code, err, message)
    assert not target.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["players"][0].pop("name"), "players[0].name must be a string"),
        (lambda d: d["players"].append(dict(d["players"][0])), "duplicate player id 'p_ann'"),
        (lambda d: d["events"][0].update(id="one"), "events[0].id must be an integer"),
        (lambda d: d["events"].append(dict(d["events"][0])), "duplicate event (playerId, id)"),
        (lambda d: d["board"][0].pop("createdAt"), "board[0].createdAt must be an integer"),
        (lambda d: d["parties"].append(7), "parties[1] must be a dict"),
        (lambda d: d["botLinks"][0].update(generation=-1), "botLinks[0].generation must be between 0"),
        (lambda d: d["botLinks"].append(dict(d["botLinks"][1])), "duplicate bot link playerId 'p_bob'"),
        (lambda d: d["joinCodes"].append("ABC234"), "joinCodes[3] must be an object"),
    ],
    ids=["no-name", "dup-player", "bad-seq", "dup-event", "no-createdAt", "party-not-object", "bad-generation",
         "dup-link", "code-string"],
)
def test_import_validates_every_record_before_touching_anything(data_dir, tmp_path, change, message):
    doc = _snapshot_doc(data_dir, tmp_path)
    change(doc)
    (tmp_path / "bad.json").write_bytes(orjson.dumps(doc))
    target = tmp_path / "target"
    target.mkdir()
    code, _out, err = run("import", str(tmp_path / "bad.json"), "--data-dir", str(target))
    assert_one_red_line(code, err, "is not a valid snapshot", message)
    assert os.listdir(target) == []
