"""Backups of the SQLite database: online copies (SQLite backup API), verification, restore.

A copy is one consistent snapshot even while the server writes: the source connection opens a
read transaction first and keeps it for the whole copy, so WAL snapshot isolation pins the pages
it sees. (Without it, SQLite restarts a stepwise backup each time another connection commits,
and a copy of a busy database may never finish.) The server's writer is not blocked meanwhile.

A finished backup is a self-contained file in rollback-journal mode (no -wal/-shm beside it),
written under a temporary name and renamed into place, so a half-written backup never carries
the final name. Every error is a :class:`BackupError` (or a DataDirError) with a one-line
message; on error nothing is left behind and nothing is changed.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from ..engine.audit import BACKUP_RESTORE
from ..store import SqliteStore, StoreError
from ..store.migrations import SCHEMA_VERSION
from .audit import record_cli
from .datadir import DataDirError, ServerLock, db_path, require_data_dir, server_running

#: Every table of the schema, in the order they are reported.
TABLES = ("meta", "players", "events", "parties", "board", "join_codes", "bot_links", "audit")
#: Where backups go by default (scheduled ones too), under the data dir.
BACKUP_DIR = "backups"
#: Where `restore` moves the database it replaces, under the data dir.
REPLACED_DIR = "replaced"
#: Pages copied per backup step (progress is reported after each step).
PAGES_PER_STEP = 256
#: How long to wait for a lock held by another connection before giving up.
BUSY_TIMEOUT_MS = 5000

_STAMPED = re.compile(r"^clawtown-(\d{8}-\d{6})(?:-(\d+))?\.db$")

Progress = Callable[[int, int], None]
"""Called as ``progress(copied_pages, total_pages)`` after each step of a copy."""


class BackupError(Exception):
    """A backup could not be made, read or restored; the message is one line for a human."""


class CorruptCopy(Exception):
    """The copy of a database failed its integrity check: the source is corrupt."""

    def __init__(self, problems: list[str]) -> None:
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        super().__init__(f"{problems[0]}{more}")


@dataclass(frozen=True)
class DbSummary:
    """What a database file holds: size, schema version, rows per table."""

    path: str
    size: int
    schema_version: int | None
    """None when the file could not be read (only for a database about to be replaced)."""
    counts: dict[str, int]

    @property
    def too_new(self) -> bool:
        """Written by a newer clawtown than this one (restore refuses it)."""
        return self.schema_version is not None and self.schema_version > SCHEMA_VERSION


@dataclass(frozen=True)
class RestoreResult:
    restored: DbSummary
    target: str
    replaced: tuple[str, ...]
    """Where the files that were replaced went (empty when the data dir had no database)."""
    audit_error: str | None = None
    """Why the restore could not be written to the audit trail (the restore itself is done)."""


# ---------------------------------------------------------------------------- names


def stamp(when: float) -> str:
    """`YYYYmmdd-HHMMSS` in UTC: the sortable timestamp in backup file names."""
    return datetime.fromtimestamp(when, UTC).strftime("%Y%m%d-%H%M%S")


def stamped_path(directory: str, when: float) -> str:
    """`<directory>/clawtown-<stamp>.db`, with `-1`, `-2`... if that name is taken."""
    base = os.path.join(directory, f"clawtown-{stamp(when)}")
    path, n = base + ".db", 0
    while os.path.lexists(path):
        n += 1
        path = f"{base}-{n}.db"
    return path


def stamped_backups(directory: str) -> list[str]:
    """The `clawtown-<stamp>[-n].db` files of a directory, oldest first (by name, not mtime)."""
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return []
    found = []
    for name in names:
        match = _STAMPED.match(name)
        if match and os.path.isfile(os.path.join(directory, name)):
            found.append((match.group(1), int(match.group(2) or 0), name))
    return [os.path.join(directory, name) for *_key, name in sorted(found)]


def prune_backups(directory: str, keep: int) -> list[str]:
    """Delete all but the newest `keep` stamped backups of `directory`; return what went."""
    doomed = stamped_backups(directory)[:-keep] if keep > 0 else stamped_backups(directory)
    for path in doomed:
        os.remove(path)
    return doomed


def newest_backup(data_dir: str) -> str:
    """The newest stamped backup in `<data-dir>/backups`."""
    directory = os.path.join(data_dir, BACKUP_DIR)
    found = stamped_backups(directory)
    if not found:
        raise BackupError(f"no backups in {directory} (give a FILE, or run `clawtown backup create`)")
    return found[-1]


# ---------------------------------------------------------------------- sqlite access


def open_readonly(path: str, busy_timeout_ms: int | None = None) -> sqlite3.Connection:
    """A read-only connection to an existing database file (never creates one)."""
    if not os.path.exists(path):
        raise BackupError(f"no such file: {path}")
    if not os.path.isfile(path):
        raise BackupError(f"not a file: {path}")
    timeout = BUSY_TIMEOUT_MS if busy_timeout_ms is None else busy_timeout_ms
    try:
        conn = sqlite3.connect(f"file:{quote(os.path.abspath(path))}?mode=ro", uri=True, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout = {int(timeout)}")
    except sqlite3.Error as exc:
        raise BackupError(describe(exc, path)) from None
    return conn


def describe(exc: BaseException, path: str) -> str:
    """A one-line message for a sqlite3/OS error about `path`."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, OSError) and exc.strerror:
        text = exc.strerror
    if "not a database" in text:
        return f"{path} is not a SQLite database (or its header is corrupt)"
    if "malformed" in text or "corrupt" in text:
        return f"{path} is corrupt ({text})"
    if "locked" in text or "busy" in text:
        return f"{path} is locked by another process ({text}); try again"
    return f"cannot read {path}: {text}"


def begin_snapshot(conn: sqlite3.Connection) -> None:
    """Open a read transaction now: everything read until it ends sees one snapshot."""
    conn.execute("BEGIN")
    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()


def end_snapshot(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        conn.execute("ROLLBACK")


def copy_database(
    source: sqlite3.Connection,
    dest: str,
    *,
    pages: int = PAGES_PER_STEP,
    progress: Progress | None = None,
    check: bool = True,
) -> None:
    """Write the database of `source` as one consistent snapshot into the new file `dest`.

    `source` may be any connection not inside a transaction: a read-only one from a tool, or the
    server's own store connection (on its thread). With `check`, the copy must pass SQLite's
    integrity check (else CorruptCopy). OSError means `dest` could not be written; sqlite3
    errors come from the copy itself. Either way no file is left: `dest` only ever appears
    complete (it is renamed into place).
    """
    partial = f"{dest}.{os.getpid()}.partial"
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    target: sqlite3.Connection | None = None
    try:
        target = sqlite3.connect(partial, isolation_level=None)
        begin_snapshot(source)
        try:

            def step(_status: int, remaining: int, total: int) -> None:
                if progress is not None:
                    progress(total - remaining, total)

            source.backup(target, pages=pages, progress=step)
        finally:
            end_snapshot(source)
        # The copy carries the source's WAL flag; make it a standalone single file.
        target.execute("PRAGMA journal_mode = DELETE").fetchone()
        if check:
            problems = [row[0] for row in target.execute("PRAGMA integrity_check")]
            if problems != ["ok"]:
                raise CorruptCopy(problems)
        target.close()
        target = None
        _fsync(partial)
        os.replace(partial, dest)
        _fsync_dir(os.path.dirname(dest))
    except BaseException:
        if target is not None:
            target.close()
        _remove(partial, partial + "-journal", partial + "-wal", partial + "-shm")
        raise


def summarize(path: str, *, integrity: bool = True, busy_timeout_ms: int | None = None) -> DbSummary:
    """Check a clawtown database file (integrity, schema version) and count its rows."""
    conn = open_readonly(path, busy_timeout_ms)
    try:
        begin_snapshot(conn)
        if integrity:
            problems = [row[0] for row in conn.execute("PRAGMA integrity_check")]
            if problems != ["ok"]:
                more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
                raise BackupError(f"{path} failed the integrity check: {problems[0]}{more}")
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() if "meta" in tables else None
        if row is None:
            raise BackupError(f"{path} is not a clawtown database (it records no schema version)")
        try:
            version = int(row[0])
        except ValueError:
            raise BackupError(f"{path} has an unreadable schema version: {row[0]!r}") from None
        counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES if t in tables}
    except sqlite3.Error as exc:
        raise BackupError(describe(exc, path)) from None
    finally:
        end_snapshot(conn)
        conn.close()
    return DbSummary(path=path, size=os.path.getsize(path), schema_version=version, counts=counts)


# --------------------------------------------------------------------------- actions


def create_backup(
    data_dir: str, out: str | None = None, *, now: float | None = None, progress: Progress | None = None
) -> DbSummary:
    """Copy `<data-dir>/clawtown.db` (live or not) into `out` or `<data-dir>/backups/clawtown-<UTC stamp>.db`.

    The copy is integrity-checked; a corrupt source leaves no file behind.
    """
    require_data_dir(data_dir)
    source_path = db_path(data_dir)
    if out is None:
        directory = os.path.join(data_dir, BACKUP_DIR)
        try:
            os.makedirs(directory, exist_ok=True)
        except OSError as exc:
            raise BackupError(f"cannot create {directory}: {exc.strerror}") from None
        dest = stamped_path(directory, time.time() if now is None else now)
    else:
        dest = os.path.abspath(out)
        if os.path.lexists(dest):
            raise BackupError(f"{out} already exists: choose another --out (backups are never overwritten)")
        parent = os.path.dirname(dest)
        if not os.path.isdir(parent):
            raise BackupError(f"cannot write {out}: {parent} is not a directory")
    conn = open_readonly(source_path)
    try:
        copy_database(conn, dest, progress=progress)
    except CorruptCopy as err:
        raise BackupError(f"{source_path} is corrupt ({err}): no backup written") from None
    except sqlite3.Error as exc:
        if "full" in str(exc):
            raise BackupError(f"cannot write {dest}: {exc}") from None
        raise BackupError(describe(exc, source_path)) from None
    except OSError as exc:
        raise BackupError(f"cannot write {dest}: {exc.strerror or exc}") from None
    finally:
        conn.close()
    return summarize(dest, integrity=False)


def verify_backup(path: str) -> DbSummary:
    """Integrity check, schema version and row counts of a backup file."""
    return summarize(path)


def restore_backup(
    data_dir: str,
    source: str,
    *,
    now: float | None = None,
    confirm: Callable[[DbSummary, DbSummary | None], bool] | None = None,
) -> RestoreResult | None:
    """Replace `<data-dir>/clawtown.db` with the backup `source`; None if `confirm` declined.

    Refuses while a server uses the data dir (and holds the server lock meanwhile, so none can
    start), refuses a corrupt backup or one newer than this clawtown. The replaced database
    (with its -wal/-shm) is moved to `<data-dir>/replaced/clawtown-<UTC stamp>.db`. A missing
    data dir is created: restoring into a fresh directory is how a server is moved.
    """
    source = os.path.abspath(source)
    restored = summarize(source)
    if os.path.exists(source + "-wal") and os.path.getsize(source + "-wal") > 0:
        raise BackupError(
            f"{source} is a live database (it has a -wal file): make a backup of it with `clawtown backup create`"
        )
    if restored.too_new:
        raise BackupError(
            f"{source} has schema v{restored.schema_version}, newer than this clawtown (v{SCHEMA_VERSION}): "
            "upgrade clawtown before restoring it"
        )
    running = BackupError(f"a clawtown server is running on {data_dir}: stop it before restoring")
    if server_running(data_dir):
        raise running
    target = db_path(data_dir)
    if os.path.exists(target) and os.path.samefile(target, source):
        raise BackupError(f"{source} is the data dir's own database, not a backup")
    current = _current_summary(target)
    if confirm is not None and not confirm(restored, current):
        return None
    lock = ServerLock(data_dir)  # from here on no server can start on the data dir
    try:
        lock.acquire()
    except DataDirError:
        raise running from None
    except OSError as exc:
        raise BackupError(f"cannot use data dir {data_dir}: {exc.strerror}") from None
    try:
        replaced = _swap_in(data_dir, source, target, time.time() if now is None else now)
        audit_error = _audit_restore(target, source, restored)
    finally:
        lock.release()
    return RestoreResult(restored=restored, target=target, replaced=replaced, audit_error=audit_error)


def _audit_restore(target: str, source: str, restored: DbSummary) -> str | None:
    """Record the restore in the restored database's audit trail; why it failed, or None."""
    detail = {
        "file": os.path.basename(source),
        "schemaVersion": restored.schema_version,
        "players": restored.counts.get("players", 0),
    }
    try:
        store = SqliteStore(target)  # migrates a backup made by an older clawtown, as a start would
    except StoreError as err:
        return str(err)
    try:
        record_cli(store, BACKUP_RESTORE, None, detail)
        # Opening switched the file to WAL; leave it self-contained, as the backup was.
        store.db.execute("PRAGMA journal_mode = DELETE")
    except StoreError as err:
        return str(err)
    except sqlite3.Error as err:
        return f"cannot leave WAL mode: {err}"
    finally:
        store.close()
    return None


def _current_summary(target: str) -> DbSummary | None:
    """The database about to be replaced, as far as it can be read (it may be the broken one)."""
    if not os.path.exists(target):
        return None
    try:
        return summarize(target, integrity=False, busy_timeout_ms=0)
    except BackupError:
        return DbSummary(path=target, size=os.path.getsize(target), schema_version=None, counts={})


def _swap_in(data_dir: str, source: str, target: str, now: float) -> tuple[str, ...]:
    partial = os.path.join(data_dir, f".clawtown.db.restore-{os.getpid()}")
    moved: list[tuple[str, str]] = []
    try:
        shutil.copyfile(source, partial)
        _fsync(partial)
        if os.path.exists(target):
            aside = os.path.join(data_dir, REPLACED_DIR)
            os.makedirs(aside, exist_ok=True)
            base = stamped_path(aside, now)
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(target + suffix):
                    os.rename(target + suffix, base + suffix)
                    moved.append((target + suffix, base + suffix))
        os.replace(partial, target)
        _fsync_dir(data_dir)
    except OSError as exc:
        _remove(partial)
        for original, aside_path in reversed(moved):
            try:
                os.rename(aside_path, original)
            except OSError:
                pass
        raise BackupError(f"cannot restore into {data_dir}: {exc.strerror or exc}") from None
    return tuple(path for _original, path in moved)


# ---------------------------------------------------------------------------- files


def _fsync(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: str) -> None:
    try:
        _fsync(path or ".")
    except OSError:
        pass  # some filesystems cannot fsync a directory; the rename itself already happened


def _remove(*paths: str) -> None:
    for path in paths:
        try:
            os.remove(path)
        except FileNotFoundError:
            pass
