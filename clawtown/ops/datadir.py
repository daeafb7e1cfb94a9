"""The data directory as operators see it: find it, lock it, open its database safely.

A running server holds an exclusive lock on `<data-dir>/server.lock` (flock), so tools can tell
whether a server is using the directory. Opening the database from a tool never creates a data
directory by accident: a missing one is an error.
"""

from __future__ import annotations

import fcntl
import os

from ..store import SqliteStore, StoreError

DB_FILE = "clawtown.db"
LOCK_FILE = "server.lock"


class DataDirError(Exception):
    """The data directory is missing, locked or unusable; the message says which."""


def db_path(data_dir: str) -> str:
    return os.path.join(data_dir, DB_FILE)


def require_data_dir(data_dir: str) -> str:
    if not os.path.isdir(data_dir):
        raise DataDirError(f"data dir not found: {data_dir} (set --data-dir or CT_DATA_DIR)")
    if not os.path.isfile(db_path(data_dir)):
        raise DataDirError(f"no database in {data_dir}: start the server once, or import a snapshot")
    return data_dir


def open_existing_store(data_dir: str) -> SqliteStore:
    """The data dir's database (migrated), for tools; never creates one."""
    require_data_dir(data_dir)
    try:
        return SqliteStore(db_path(data_dir))
    except StoreError as err:
        raise DataDirError(f"cannot open {db_path(data_dir)}: {err}") from None


class ServerLock:
    """The exclusive lock a server holds on its data dir for as long as it runs."""

    def __init__(self, data_dir: str) -> None:
        self.path = os.path.join(data_dir, LOCK_FILE)
        self._fd: int | None = None

    def acquire(self) -> None:
        os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise DataDirError(f"another clawtown server is using {os.path.dirname(self.path)}") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def server_running(data_dir: str) -> bool:
    """True while a server holds the data dir's lock."""
    path = os.path.join(data_dir, LOCK_FILE)
    if not os.path.exists(path):
        return False
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)
