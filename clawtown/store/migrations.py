"""SQLite schema migrations: an ordered list, applied one transaction each.

Migration N is ``MIGRATIONS[N - 1]``; the database records the last applied N under
``schema_version`` in its ``meta`` table.  To change the schema, APPEND a function
``def mNNN_what(db): ...`` to :data:`MIGRATIONS` -- never edit or reorder a released
one, databases in the wild have already run it.

Also home of :func:`write_transaction`, the ``BEGIN IMMEDIATE`` block that both the
migrations and :class:`~clawtown.store.sqlite.SqliteStore` write in.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import sqlite_utils

from clawtown.store.base import SCHEMA_VERSION_KEY, SchemaTooNew, StoreError, new_join_code_id

Migration = Callable[[sqlite_utils.Database], None]


@contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[None]:
    """Run the block in one write transaction: commit on success, roll back on error.

    ``BEGIN IMMEDIATE`` takes the write lock up front, so a concurrent writer makes us
    wait (busy_timeout) instead of failing halfway through.
    """
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.rollback()
        raise
    try:
        db.conn.execute("COMMIT")
    except BaseException:
        db.rollback()
        raise


def m001_initial(db: sqlite_utils.Database) -> None:
    """meta, players, events, parties and board."""
    db["meta"].create({"key": str, "value": str}, pk="key", not_null={"value"})
    players = db["players"].create(
        {
            "id": str,
            "name": str,
            "name_key": str,
            "session_hash": str,
            "updated_at": int,
            "data": str,
        },
        pk="id",
        not_null={"name", "name_key", "updated_at", "data"},
    )
    players.create_index(["name_key"])
    players.create_index(["session_hash"])
    db["events"].create(
        {
            "player_id": str,
            "seq": int,
            "at": int,
            "kind": str,
            "text": str,
            "important": int,
            "data": str,
        },
        pk=("player_id", "seq"),
        not_null={"player_id", "seq", "at", "kind", "text", "important"},
    )
    db["parties"].create({"id": str, "data": str}, pk="id", not_null={"data"})
    board = db["board"].create(
        {"id": str, "created_at": int, "data": str},
        pk="id",
        not_null={"created_at", "data"},
    )
    board.create_index(["created_at"])


def m002_bot_access(db: sqlite_utils.Database) -> None:
    """join_codes and bot_links: how bots get (and lose) access to a player."""
    join_codes = db["join_codes"].create(
        {
            "code": str,
            "player_id": str,
            "created_at": int,
            "expires_at": int,
            "revoked_at": int,
        },
        pk="code",
        not_null={"player_id", "created_at", "expires_at"},
    )
    join_codes.create_index(["player_id"])
    bot_links = db["bot_links"].create(
        {
            "player_id": str,
            "generation": int,
            "token_hash": str,
            "linked_at": int,
            "revoked_at": int,
        },
        pk="player_id",
        not_null={"generation"},
    )
    # UNIQUE lets any number of NULLs through: revoked links hold no hash.
    bot_links.create_index(["token_hash"], unique=True)


def m003_audit(db: sqlite_utils.Database) -> None:
    """audit: who did what to whom (admin actions, bot links, codes, tokens, restores)."""
    # Raw SQL: AUTOINCREMENT keeps ids increasing even after the newest rows are deleted.
    db.execute(
        """CREATE TABLE audit (
               id INTEGER PRIMARY KEY AUTOINCREMENT,
               at INTEGER NOT NULL,
               actor TEXT NOT NULL,
               action TEXT NOT NULL,
               subject TEXT,
               detail TEXT,
               request_id TEXT)"""
    )
    db.execute("CREATE INDEX idx_audit_at ON audit (at)")
    db.execute("CREATE INDEX idx_audit_action ON audit (action, id)")


def m004_join_code_ids(db: sqlite_utils.Database) -> None:
    """join_codes: an opaque random id per row (the new primary key), and an optional code.

    The id names a code where the code itself, a secret, must not appear (snapshots); a row
    without a code is a placeholder restored from a snapshot, which no lookup by code finds.
    Existing rows get fresh ids.  SQLite cannot change a primary key in place, so the table
    is rebuilt.
    """
    db.execute(
        """CREATE TABLE join_codes_v4 (
               id TEXT PRIMARY KEY NOT NULL,
               code TEXT UNIQUE,
               player_id TEXT NOT NULL,
               created_at INTEGER NOT NULL,
               expires_at INTEGER NOT NULL,
               revoked_at INTEGER)"""
    )
    old = db.execute(
        "SELECT code, player_id, created_at, expires_at, revoked_at FROM join_codes"
        " ORDER BY created_at, code"
    ).fetchall()
    db.conn.executemany(
        "INSERT INTO join_codes_v4 (id, code, player_id, created_at, expires_at, revoked_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [(new_join_code_id(), *row) for row in old],
    )
    db.execute("DROP TABLE join_codes")
    db.execute("ALTER TABLE join_codes_v4 RENAME TO join_codes")
    db.execute("CREATE INDEX idx_join_codes_player_id ON join_codes (player_id)")


#: Every migration, oldest first.  Append only.
MIGRATIONS: Sequence[Migration] = (m001_initial, m002_bot_access, m003_audit, m004_join_code_ids)

#: The schema version this code writes.
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(db: sqlite_utils.Database) -> int:
    """The version recorded in the database (0 for a fresh file)."""
    if not db["meta"].exists():
        return 0
    row = db.execute("SELECT value FROM meta WHERE key = ?", [SCHEMA_VERSION_KEY]).fetchone()
    if row is None:
        return 0
    try:
        return int(row[0])
    except ValueError:
        raise StoreError(f"database has an unreadable schema_version: {row[0]!r}") from None


def migrate(db: sqlite_utils.Database, migrations: Sequence[Migration] = MIGRATIONS) -> int:
    """Apply the pending migrations, each in its own transaction; return the version.

    Raises SchemaTooNew if the database is newer than ``migrations``, and StoreError
    (the failed migration rolled back, earlier ones kept) if a migration fails.
    """
    supported = len(migrations)
    found = schema_version(db)
    if found > supported:
        raise SchemaTooNew(found, supported)
    for version in range(found + 1, supported + 1):
        migration = migrations[version - 1]
        try:
            with write_transaction(db):
                if schema_version(db) >= version:  # another process got here first
                    continue
                migration(db)
                db.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                    [SCHEMA_VERSION_KEY, str(version)],
                )
        except sqlite3.Error as exc:
            raise StoreError(f"migration v{version} ({migration.__name__}) failed: {exc}") from exc
    return supported
