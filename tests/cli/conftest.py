"""Fixtures shared by the CLI tests: real data dirs on disk and a runner for `clawtown …`.

* ``seeded_data_dir`` -- a data dir (str path) made with ``open_store``: the players of
  :data:`SEEDED_PLAYERS` (records from ``sim.model.Player.to_record``), Alice's party with Bob,
  15 events of Alice's, and a ``server.key``, as a server leaves it after its first start.
  ``seeded_players`` gives those records (fresh copies).
* ``missing_data_dir`` / ``corrupt_data_dir`` -- no directory at all / a ``clawtown.db`` of
  garbage bytes.
* ``run_clawtown(*args, env=None)`` -- invokes the CLI in-process; returns a ``CliOutcome``
  with ``exit_code`` and ANSI-free ``stdout``/``stderr``.  ``CT_DATA_DIR``, ``CT_URL`` and
  ``CT_PUBLIC_BASE_URL`` of the real environment are hidden unless passed in ``env``; output
  is CLI_WIDTH columns wide whatever the terminal.
* ``assert_cli_error(outcome, *needles)`` -- checks a failed command: exit 1, nothing on
  stdout, exactly one ``error: …`` line on stderr containing every needle; returns that line.
* ``data_dir_store(path)`` -- a context manager: an open SqliteStore on a data dir, closed after.
* ``db_rows(path)`` -- every row of every table, to assert that a failed command changed nothing.
* ``hold_db_write_lock(path)`` -- a context manager: a raw sqlite3 connection holding an
  exclusive transaction on the data dir's database, as another writer would.
* ``short_busy_timeout`` -- tools wait 0.2 s instead of 5 s for a locked database.
"""

from __future__ import annotations

import copy
import functools
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import click
import pytest
from backup_fixtures import seed
from typer.testing import CliRunner

from clawtown.cli import _common, app
from clawtown.keys import load_or_create_server_key
from clawtown.ops import backup as backup_ops
from clawtown.ops import datadir
from clawtown.ops.datadir import ServerLock
from clawtown.sim.model import Player
from clawtown.store import SqliteStore, open_store

SEEDED_AT_MS = 1_700_000_000_000


def _player(**fields) -> dict:
    inventory = fields.pop("inventory", [])
    equipment = fields.pop("equipment", {})
    p = Player(**fields)
    p.inventory = inventory
    p.equipment.update(equipment)
    p.created_at = SEEDED_AT_MS
    p.seen_at = SEEDED_AT_MS + 60_000
    return p.to_record()


SEEDED_PLAYERS: list[dict] = [
    _player(
        id="p_alice", name="Alice", job="knight", level=12, xp=340, zenny=1500, map_id="meadow",
        party_id="party_ab",
        inventory=[{"uid": "u_sword", "itemId": "sword_1", "qty": 1}, {"uid": "u_jelly", "itemId": "jelly", "qty": 7}],
        equipment={"weapon": "u_sword"},
    ),
    _player(id="p_bob", name="Bob", job="archer", level=7, xp=900, zenny=20, mode="agent", linked_bot=True,
            party_id="party_ab"),
    _player(id="p_twin1", name="Twin", job="mage", level=3, xp=50, zenny=5000),
    _player(id="p_twin2", name="TWIN", level=1, xp=0, zenny=0),
]
SEEDED_PARTY = {"id": "party_ab", "leaderId": "p_alice", "members": ["p_alice", "p_bob"]}
SEEDED_EVENTS = [
    {"playerId": "p_alice", "id": seq, "at": SEEDED_AT_MS + seq * 1000, "kind": "chat", "text": f"alice says {seq}"}
    for seq in range(1, 16)
]


@pytest.fixture
def seeded_players() -> list[dict]:
    return copy.deepcopy(SEEDED_PLAYERS)


@pytest.fixture
def seeded_data_dir(tmp_path) -> str:
    path = str(tmp_path / "data")
    store = open_store(path)
    try:
        store.save_batch(players=SEEDED_PLAYERS, events=SEEDED_EVENTS, parties=[SEEDED_PARTY])
    finally:
        store.close()
    load_or_create_server_key(path)
    return path


@pytest.fixture
def missing_data_dir(tmp_path) -> str:
    return str(tmp_path / "no-such-dir")


@pytest.fixture
def corrupt_data_dir(tmp_path) -> str:
    path = tmp_path / "corrupt"
    path.mkdir()
    (path / datadir.DB_FILE).write_bytes(b"this is not a database\x00\xff" * 64)
    load_or_create_server_key(str(path))
    return str(path)


@dataclass(frozen=True)
class CliOutcome:
    exit_code: int
    stdout: str
    stderr: str


_HIDDEN_ENV = {"CT_DATA_DIR": None, "CT_URL": None, "CT_PUBLIC_BASE_URL": None}


#: Rich sizes tables to the terminal it finds (80 columns without one): fix it for stable output.
CLI_WIDTH = 120


@pytest.fixture
def run_clawtown(monkeypatch) -> Callable[..., CliOutcome]:
    for console in (_common.console, _common.err_console):
        monkeypatch.setattr(console, "_width", CLI_WIDTH)

    def run(*args: str, env: dict[str, str] | None = None) -> CliOutcome:
        runner = CliRunner(env={**_HIDDEN_ENV, **(env or {})})
        result = runner.invoke(app, list(args), catch_exceptions=False)
        return CliOutcome(result.exit_code, click.unstyle(result.stdout), click.unstyle(result.stderr))

    return run


@pytest.fixture
def assert_cli_error() -> Callable[..., str]:
    def check(outcome: CliOutcome, *needles: str) -> str:
        assert outcome.exit_code == 1, outcome
        assert outcome.stdout == "", outcome
        lines = outcome.stderr.strip().splitlines()
        assert len(lines) == 1, outcome.stderr
        assert lines[0].startswith("error: "), lines[0]
        for needle in needles:
            assert needle in lines[0], (needle, lines[0])
        return lines[0]

    return check


@pytest.fixture
def data_dir_store() -> Callable[[str], contextmanager]:
    @contextmanager
    def opened(path: str) -> Iterator[SqliteStore]:
        store = SqliteStore(os.path.join(path, datadir.DB_FILE))
        try:
            yield store
        finally:
            store.close()

    return opened


@pytest.fixture
def db_rows() -> Callable[[str], dict[str, list[tuple]]]:
    def rows(path: str) -> dict[str, list[tuple]]:
        conn = sqlite3.connect(os.path.join(path, datadir.DB_FILE))
        try:
            tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
            return {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables}
        finally:
            conn.close()

    return rows


@pytest.fixture
def hold_db_write_lock() -> Callable[[str], contextmanager]:
    @contextmanager
    def held(path: str) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(os.path.join(path, datadir.DB_FILE), isolation_level=None)
        try:
            conn.execute("BEGIN EXCLUSIVE")
            yield conn
            conn.execute("ROLLBACK")
        finally:
            conn.close()

    return held


@pytest.fixture
def short_busy_timeout(monkeypatch) -> None:
    monkeypatch.setattr(datadir, "SqliteStore", functools.partial(SqliteStore, busy_timeout_ms=200))


# ---- backup and snapshot tests (helpers in backup_fixtures.py) ----


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
