"""Fixtures and helpers shared by the backup and snapshot CLI tests (real SQLite files)."""

from __future__ import annotations

import hashlib
import os
import sqlite3

import orjson
from typer.testing import CliRunner

from clawtown.cli import app
from clawtown.sim.model import Player

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
