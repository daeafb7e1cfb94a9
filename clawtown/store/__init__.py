"""Durable storage for Clawtown: the Store interface and its backends.

* :class:`Store` -- the protocol every backend implements (synchronous; plain dicts in,
  plain dicts out; one transaction per ``save_batch``);
* :class:`SqliteStore` / :func:`open_store` -- the embedded default, ``<data-dir>/clawtown.db``;
* :class:`MemoryStore` -- the same behaviour in dicts, for tests;
* :class:`StoreRunner` -- runs store calls on one dedicated thread and hands back
  Deferreds (:class:`SyncRunner` is its inline twin for unit tests).
"""

from clawtown.store.base import SchemaTooNew, Store, StoreError
from clawtown.store.memory import MemoryStore
from clawtown.store.runner import StoreRunner, SyncRunner
from clawtown.store.sqlite import SqliteStore, open_store

__all__ = [
    "MemoryStore",
    "SchemaTooNew",
    "SqliteStore",
    "Store",
    "StoreError",
    "StoreRunner",
    "SyncRunner",
    "open_store",
]
