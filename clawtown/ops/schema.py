"""The database schema of a data dir: which version it is at, and bringing it up to date."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import sqlite_utils

from ..store import SchemaTooNew
from ..store.base import SCHEMA_VERSION_KEY
from ..store.migrations import SCHEMA_VERSION, schema_version
from .datadir import DataDirError, db_path, require_data_dir, server_running
from .players import ToolError, store_session


def read_schema_version(data_dir: str) -> int:
    """The schema version recorded in the data dir's database, without migrating it."""
    path = db_path(require_data_dir(data_dir))
    try:
        conn = sqlite3.connect(path)
    except sqlite3.Error as err:
        raise DataDirError(f"cannot open {path}: {err}") from None
    try:
        return schema_version(sqlite_utils.Database(conn, execute_plugins=False))
    except sqlite3.Error as err:
        raise DataDirError(f"cannot read {path}: {err}") from None
    finally:
        conn.close()


@dataclass(frozen=True)
class Migrated:
    before: int
    after: int

    @property
    def changed(self) -> bool:
        return self.after != self.before


def migrate_data_dir(data_dir: str) -> Migrated:
    """Apply the pending migrations to the data dir's database; the versions before and after.

    Refuses a database newer than this clawtown (SchemaTooNew) and, while a server runs on the
    data dir, any pending migration: that server was built for the older schema.
    """
    before = read_schema_version(data_dir)
    if before > SCHEMA_VERSION:
        raise SchemaTooNew(before, SCHEMA_VERSION)
    if before < SCHEMA_VERSION and server_running(data_dir):
        raise ToolError(
            f"a server is running on {data_dir} with schema v{before}: stop it before migrating to v{SCHEMA_VERSION}"
        )
    with store_session(data_dir) as store:  # opening migrates, one transaction per step
        after = int(store.get_meta(SCHEMA_VERSION_KEY) or 0)
    return Migrated(before, after)
