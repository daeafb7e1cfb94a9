"""End-to-end backups: `clawtown backup create` against a real server under writes, then verify, restore
into a fresh data dir and compare exports; import the exports taken under load and export them again
(byte-identical, join codes included); the server's own scheduled backups alongside."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

from clawtown.ops.backup import stamped_backups

pytestmark = pytest.mark.e2e

CLAWTOWN = [sys.executable, "-c", "from clawtown.cli import main; main()"]
"""The `clawtown` command of this interpreter (what the installed console script runs)."""


def clawtown(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "CT_DATA_DIR"}
    return subprocess.run([*CLAWTOWN, *args], check=False, capture_output=True, text=True, timeout=120, env=env)


class Writer(threading.Thread):
    """Keeps the server writing: new characters, items granted to them, join codes, forced flushes."""

    def __init__(self, server) -> None:
        super().__init__(daemon=True)
        self.server = server
        self.players: list[dict] = []
        self.grants = 0
        self.stop = threading.Event()
        self.errors: list = []

    def run(self) -> None:
        n = 0
        try:
            while not self.stop.is_set():
                n += 1
                if n % 5 == 1 and len(self.players) < 9:
                    status, body = self.server.post("/api/players", {"name": f"Saver{n}"})
                    if status == 200:
                        self.players.append(body)
                        self.server.post("/api/join-codes", {}, headers={"authorization": f"Bearer {body['sessionToken']}"})
                    elif status != 429:
                        self.errors.append((status, body))
                for p in self.players:
                    status, body = self.server.post("/api/debug/grant-item",
                                                    {"playerId": p["playerId"], "itemId": "jelly", "qty": 1})
                    if status != 200:
                        self.errors.append((status, body))
                    self.grants += 1
                if n % 10 == 0:
                    self.server.post("/api/debug/persist-flush", {})
        except Exception as exc:  # noqa: BLE001  (reported by the test)
            self.errors.append(exc)

    def wait_for(self, predicate, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            assert time.monotonic() < deadline, "the writer made no progress"
            assert not self.errors, self.errors
            time.sleep(0.05)


def jelly_by_player(db: str) -> dict[str, int]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        out = {}
        for pid, data in conn.execute("SELECT id, data FROM players"):
            inventory = json.loads(data).get("inventory", [])
            out[pid] = sum(row.get("qty", 0) for row in inventory if row.get("itemId") == "jelly")
        return out
    finally:
        conn.close()


def test_backup_under_load_verify_restore_and_compare_exports(make_server, tmp_path):
    data = str(tmp_path / "data")
    server = make_server(data, extra=("--test-mode", "--backup-every", "1s", "--backup-keep", "2")).start()
    writer = Writer(server)
    writer.start()
    try:
        writer.wait_for(lambda: len(writer.players) >= 3 and writer.grants >= 10)
        backup = str(tmp_path / "live.db")
        grants_before = writer.grants
        made = clawtown("backup", "create", "--data-dir", data, "--out", backup)
        assert made.returncode == 0, made.stderr
        assert "backup written" in made.stdout
        for fmt in ("json", "ndjson"):
            live_export = clawtown("export", "snapshot", "--data-dir", data, "--out", str(tmp_path / f"live.{fmt}"),
                                   "--format", fmt)
            assert live_export.returncode == 0, live_export.stderr
        writer.wait_for(lambda: writer.grants >= grants_before + 10)  # the server kept writing meanwhile
        refused = clawtown("backup", "restore", backup, "--data-dir", data, "--yes")
        assert refused.returncode == 1
        assert refused.stderr.strip().splitlines() == [
            f"error: a clawtown server is running on {data}: stop it before restoring"]
        # The schedule (every second) has taken three backups or more, so it rotated at least once.
        writer.wait_for(lambda: server.read_log().count("backup written") >= 3)
    finally:
        writer.stop.set()
        writer.join(timeout=20)
    assert not writer.errors, writer.errors
    assert writer.grants > grants_before

    server.stop()

    # The server's scheduled backups: only the newest two are kept, and each is sound.
    scheduled = stamped_backups(os.path.join(data, "backups"))
    assert len(scheduled) == 2, os.listdir(os.path.join(data, "backups"))
    for path in scheduled:
        checked = clawtown("backup", "verify", path)
        assert checked.returncode == 0, checked.stderr

    # The manual backup taken under load verifies, and holds characters the server had created.
    verified = clawtown("backup", "verify", backup)
    assert verified.returncode == 0, verified.stderr
    assert "backup ok" in verified.stdout
    in_backup = jelly_by_player(backup)
    created = {p["playerId"] for p in writer.players}
    assert in_backup and set(in_backup) <= created
    final = jelly_by_player(os.path.join(data, "clawtown.db"))
    assert all(in_backup[pid] <= final[pid] for pid in in_backup)  # a moment of the past, never the future

    # Restore into a fresh data dir: its export equals the export of the backup file itself.
    fresh = str(tmp_path / "fresh")
    restored = clawtown("backup", "restore", backup, "--data-dir", fresh)
    assert restored.returncode == 0, restored.stderr
    a = clawtown("export", "snapshot", "--data-dir", fresh, "--out", str(tmp_path / "restored.json"))
    b = clawtown("export", "snapshot", "--db", backup, "--out", str(tmp_path / "backup.json"))
    assert a.returncode == 0 and b.returncode == 0, (a.stderr, b.stderr)
    with open(tmp_path / "restored.json", "rb") as f, open(tmp_path / "backup.json", "rb") as g:
        restored_bytes = f.read()
        assert restored_bytes == g.read()
    assert b'"players":[\n{' in restored_bytes

    # The exports taken under load survive import -> export byte for byte, join codes included.
    for fmt in ("json", "ndjson"):
        imported = str(tmp_path / f"imported-{fmt}")
        done = clawtown("import", str(tmp_path / f"live.{fmt}"), "--data-dir", imported)
        assert done.returncode == 0, done.stderr
        again_out = str(tmp_path / f"again.{fmt}")
        done = clawtown("export", "snapshot", "--data-dir", imported, "--out", again_out, "--format", fmt)
        assert done.returncode == 0, done.stderr
        with open(tmp_path / f"live.{fmt}", "rb") as f, open(again_out, "rb") as g:
            live_bytes = f.read()
            assert g.read() == live_bytes
        assert b'"id":"jc_' in live_bytes  # the writer's join codes are in it

    # And the restored data dir serves: a character logs in with its old session token and has
    # exactly the jelly the backup recorded.
    again = make_server(fresh).start()
    player = next(p for p in writer.players if p["playerId"] in in_backup)
    with again.ws(player["sessionToken"]) as client:
        client.until(lambda m: m["t"] == "hello")
        client.until(lambda m: bool(client.you.get("inventory") is not None))
        jelly = sum(r["qty"] for r in client.you["inventory"] if r["itemId"] == "jelly")
    assert jelly == in_backup[player["playerId"]]
    again.stop()
