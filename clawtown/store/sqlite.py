"""SqliteStore: the embedded default Store, one SQLite file through sqlite-utils.

The connection is bound to the thread that opens the store, so open it on the store
thread (see :mod:`clawtown.store.runner`).  Journal mode is WAL with
``synchronous=NORMAL``; every write is one ``BEGIN IMMEDIATE`` transaction.
"""

from __future__ import annotations

import functools
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ParamSpec, TypeVar

import sqlite_utils

from clawtown.store.base import (
    DEFAULT_AUDIT_LIMIT,
    DEFAULT_BOARD_LIMIT,
    DEFAULT_EVENTS_KEPT,
    DEFAULT_MAX_LIVE_JOIN_CODES,
    JOIN_CODE_COLLISION,
    JOIN_CODE_ID_TAKEN,
    TOKEN_HASH_TAKEN,
    AuditRow,
    BotLinkRow,
    EventRow,
    JoinCodeRow,
    StoreError,
    audit_record,
    bot_link_record,
    check_audit_query,
    check_bot_link_generation,
    decode_json,
    event_record,
    join_code_record,
    name_key,
    next_bot_generation,
    prepare_audit,
    prepare_batch,
    prepare_bot_link,
    prepare_join_code,
    prepare_join_code_placeholders,
    require_int,
    require_meta_key,
    require_text,
    require_token_hash,
    require_token_hashes,
)
from clawtown.store.migrations import migrate, write_transaction

DB_FILENAME = "clawtown.db"
DEFAULT_BUSY_TIMEOUT_MS = 5000

_JOIN_CODE_COLUMNS = ", ".join(JoinCodeRow._fields)
#: The SQL condition of a join code row that holds a code (a placeholder does not).
_REAL_CODE = "code IS NOT NULL"
_BOT_LINK_COLUMNS = ", ".join(BotLinkRow._fields)
_AUDIT_COLUMNS = ", ".join(AuditRow._fields)
#: Rows per multi-row upsert statement (SQLite allows 32,766 parameters; rows have at most 7).
_UPSERT_CHUNK = 200


@functools.lru_cache(maxsize=64)
def _upsert_sql(table: str, columns: tuple[str, ...], key: tuple[str, ...], rows: int) -> str:
    """INSERT of `rows` rows at once, ON CONFLICT (key) DO UPDATE of every other column.

    Plain SQL instead of sqlite-utils' upsert_all, which looks the table up on every call, and
    many rows per statement instead of executemany: SQLite releases the GIL at every prepare and
    step, and each time the store thread needs it back it may wait a whole switch interval for a
    busy reactor thread. Few statements per commit keep a commit short under load.
    """
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in key)
    one = f"({', '.join('?' * len(columns))})"
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([one] * rows)}"
        f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}"
    )


def _upsert(conn: sqlite3.Connection, table: str, key: tuple[str, ...], rows: tuple) -> None:
    """Upsert NamedTuple rows (their fields are the columns), _UPSERT_CHUNK per statement."""
    for start in range(0, len(rows), _UPSERT_CHUNK):
        chunk = rows[start:start + _UPSERT_CHUNK]
        sql = _upsert_sql(table, chunk[0]._fields, key, len(chunk))
        conn.execute(sql, [value for row in chunk for value in row])


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _sqlite_errors(action: str) -> Callable[[Callable[_P, _R]], Callable[_P, _R]]:
    """Turn sqlite3 errors raised by the decorated method into StoreError."""

    def decorate(method: Callable[_P, _R]) -> Callable[_P, _R]:
        @functools.wraps(method)
        def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            try:
                return method(*args, **kwargs)
            except sqlite3.Error as exc:
                raise StoreError(f"{action} failed: {exc}") from exc

        return wrapper

    return decorate


class SqliteStore:
    """A :class:`~clawtown.store.base.Store` in one SQLite file, migrated on open."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        clock: Callable[[], float] = time.time,
        busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
    ) -> None:
        self.path = os.fspath(path)
        self._clock = clock
        self._db = self._open(self.path, busy_timeout_ms)

    @staticmethod
    def _open(path: str, busy_timeout_ms: int) -> sqlite_utils.Database:
        require_int(busy_timeout_ms, "busy_timeout_ms", minimum=0)
        try:
            conn = sqlite3.connect(path)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open {path}: {exc}") from exc
        try:
            db = sqlite_utils.Database(conn, execute_plugins=False)
            db.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")
            db.enable_wal()
            db.execute("PRAGMA synchronous = NORMAL")
            migrate(db)
        except StoreError:
            conn.close()
            raise
        except sqlite3.Error as exc:
            conn.close()
            raise StoreError(f"cannot open {path}: {exc}") from exc
        return db

    @property
    def db(self) -> sqlite_utils.Database:
        """The underlying sqlite-utils database (store thread only)."""
        return self._db

    # ------------------------------------------------------------------ writes

    @_sqlite_errors("save_batch")
    def save_batch(
        self,
        *,
        players: Iterable[Mapping[str, Any]] = (),
        events: Iterable[Mapping[str, Any]] = (),
        parties: Iterable[Mapping[str, Any]] = (),
        deleted_parties: Iterable[str] = (),
        board: Iterable[Mapping[str, Any]] = (),
    ) -> None:
        batch = prepare_batch(
            int(self._clock() * 1000),
            players=players,
            events=events,
            parties=parties,
            deleted_parties=deleted_parties,
            board=board,
        )
        conn = self._db.conn
        with write_transaction(self._db):
            _upsert(conn, "players", ("id",), batch.players)
            _upsert(conn, "events", ("player_id", "seq"), batch.events)
            _upsert(conn, "parties", ("id",), batch.parties)
            _upsert(conn, "board", ("id",), batch.board)
            if batch.deleted_parties:
                conn.executemany(
                    "DELETE FROM parties WHERE id = ?", [(i,) for i in batch.deleted_parties]
                )

    @_sqlite_errors("prune_events")
    def prune_events(self, player_id: str, keep_last: int = DEFAULT_EVENTS_KEPT) -> int:
        require_text(player_id, "player_id")
        require_int(keep_last, "keep_last", minimum=0)
        with write_transaction(self._db):
            return self._db.execute(
                """DELETE FROM events WHERE player_id = :p AND seq NOT IN (
                       SELECT seq FROM events WHERE player_id = :p
                       ORDER BY seq DESC LIMIT :keep)""",
                {"p": player_id, "keep": keep_last},
            ).rowcount

    @_sqlite_errors("prune_all_events")
    def prune_all_events(self, keep_last: int = DEFAULT_EVENTS_KEPT) -> int:
        require_int(keep_last, "keep_last", minimum=0)
        # One walk of the (player_id, seq) primary key index counts every player's
        # events; only players over the limit then get a correlated lookup of their
        # cut-off seq (the newest one that goes) and a range delete up to it.
        with write_transaction(self._db):
            return self._db.execute(
                """DELETE FROM events WHERE (player_id, seq) IN (
                       SELECT e.player_id, e.seq FROM (
                           SELECT crowded.player_id, (
                               SELECT x.seq FROM events AS x
                               WHERE x.player_id = crowded.player_id
                               ORDER BY x.seq DESC LIMIT 1 OFFSET :keep) AS cut
                           FROM (SELECT player_id FROM events GROUP BY player_id
                                 HAVING count(*) > :keep) AS crowded) AS c
                       JOIN events AS e ON e.player_id = c.player_id AND e.seq <= c.cut)""",
                {"keep": keep_last},
            ).rowcount

    @_sqlite_errors("prune_board")
    def prune_board(self, keep_last: int = DEFAULT_BOARD_LIMIT) -> int:
        require_int(keep_last, "keep_last", minimum=0)
        with write_transaction(self._db):
            return self._db.execute(
                """DELETE FROM board WHERE id NOT IN (
                       SELECT id FROM board ORDER BY created_at DESC, id DESC LIMIT ?)""",
                [keep_last],
            ).rowcount

    @_sqlite_errors("set_meta")
    def set_meta(self, key: str, value: str) -> None:
        require_meta_key(key, writing=True)
        require_text(value, f"meta value for {key!r}", allow_empty=True)
        with write_transaction(self._db):
            self._db["meta"].upsert({"key": key, "value": value}, pk="key")

    @_sqlite_errors("mint_join_code")
    def mint_join_code(
        self,
        code: str,
        player_id: str,
        created_at: int,
        expires_at: int,
        max_live: int = DEFAULT_MAX_LIVE_JOIN_CODES,
    ) -> dict[str, Any]:
        row = prepare_join_code(code, player_id, created_at, expires_at, max_live)
        with write_transaction(self._db):
            if self._scalar("SELECT 1 FROM join_codes WHERE code = ?", [row.code]):
                raise StoreError(JOIN_CODE_COLLISION)
            self._db.execute(
                "DELETE FROM join_codes WHERE player_id = ?"
                " AND (revoked_at IS NOT NULL OR expires_at <= ?)",
                [row.player_id, row.created_at],
            )
            live = self._scalar(
                f"SELECT count(*) FROM join_codes WHERE player_id = ? AND {_REAL_CODE}",
                [row.player_id],
            )
            if live >= max_live:
                self._db.execute(
                    f"""DELETE FROM join_codes WHERE id IN (
                           SELECT id FROM join_codes WHERE player_id = ? AND {_REAL_CODE}
                           ORDER BY created_at, code LIMIT ?)""",
                    [row.player_id, live - max_live + 1],
                )
            insert_join_codes(self._db.conn, [row])
        return join_code_record(row)

    @_sqlite_errors("restore_join_codes")
    def restore_join_codes(self, records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        rows = prepare_join_code_placeholders(records)
        with write_transaction(self._db):
            for row in rows:
                if self._scalar("SELECT 1 FROM join_codes WHERE id = ?", [row.id]):
                    raise StoreError(f"{JOIN_CODE_ID_TAKEN}: {row.id!r}")
            insert_join_codes(self._db.conn, rows)
        return [join_code_record(row) for row in rows]

    @_sqlite_errors("revoke_join_code")
    def revoke_join_code(self, code: str, at: int) -> bool:
        require_text(code, "code")
        require_int(at, "at", minimum=0)
        with write_transaction(self._db):
            return (
                self._db.execute(
                    "UPDATE join_codes SET revoked_at = ? WHERE code = ? AND revoked_at IS NULL",
                    [at, code],
                ).rowcount
                == 1
            )

    @_sqlite_errors("purge_join_codes")
    def purge_join_codes(self, now: int) -> int:
        require_int(now, "now", minimum=0)
        with write_transaction(self._db):
            return self._db.execute(
                "DELETE FROM join_codes WHERE revoked_at IS NOT NULL OR expires_at <= ?", [now]
            ).rowcount

    @_sqlite_errors("save_bot_link")
    def save_bot_link(
        self, player_id: str, generation: int, token_hash: str, linked_at: int
    ) -> dict[str, Any]:
        row = prepare_bot_link(player_id, generation, token_hash, linked_at)
        with write_transaction(self._db):
            stored = self._bot_link("player_id", row.player_id)
            check_bot_link_generation(row, stored)
            holder = self._scalar(
                "SELECT player_id FROM bot_links WHERE token_hash = ?", [row.token_hash]
            )
            if holder is not None and holder != row.player_id:
                raise StoreError(TOKEN_HASH_TAKEN)
            row = row._replace(revoked_at=None if stored is None else stored.revoked_at)
            self._db["bot_links"].upsert(row._asdict(), pk="player_id")
        return bot_link_record(row)

    @_sqlite_errors("revoke_bot_tokens")
    def revoke_bot_tokens(self, player_id: str, at: int) -> int:
        require_text(player_id, "player_id")
        require_int(at, "at", minimum=0)
        with write_transaction(self._db):
            stored = self._bot_link("player_id", player_id)
            generation = next_bot_generation(player_id, stored)
            self._db.execute(
                """INSERT INTO bot_links (player_id, generation, token_hash, revoked_at)
                   VALUES (:p, :g, NULL, :at)
                   ON CONFLICT (player_id) DO UPDATE SET
                       generation = :g, token_hash = NULL, revoked_at = :at""",
                {"p": player_id, "g": generation, "at": at},
            )
        return generation

    @_sqlite_errors("append_audit")
    def append_audit(self, record: Mapping[str, Any]) -> dict[str, Any]:
        row = prepare_audit(record, int(self._clock() * 1000))
        with write_transaction(self._db):
            entry_id = self._db.execute(
                f"INSERT INTO audit ({_AUDIT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)", list(row)
            ).lastrowid
        return audit_record(entry_id, row)

    # ------------------------------------------------------------------- reads

    @_sqlite_errors("list_audit")
    def list_audit(
        self,
        since_ms: int | None = None,
        action: str | None = None,
        limit: int = DEFAULT_AUDIT_LIMIT,
    ) -> list[dict[str, Any]]:
        check_audit_query(since_ms, action, limit)
        cursor = self._db.execute(
            f"""SELECT * FROM (SELECT id, {_AUDIT_COLUMNS} FROM audit
                               WHERE (:since IS NULL OR at >= :since)
                               AND (:action IS NULL OR action = :action)
                               ORDER BY id DESC LIMIT :limit)
                ORDER BY id""",
            {"since": since_ms, "action": action, "limit": limit},
        )
        return [audit_record(row[0], AuditRow(*row[1:])) for row in cursor]

    def _records(self, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
        return [decode_json(text) for (text,) in self._db.execute(sql, list(params))]

    def _scalar(self, sql: str, params: Iterable[Any] = ()) -> Any:
        row = self._db.execute(sql, list(params)).fetchone()
        return None if row is None else row[0]

    @_sqlite_errors("load_players_in_mode")
    def load_players_in_mode(self, mode: str) -> list[dict[str, Any]]:
        require_text(mode, "mode")
        return self._records("SELECT data FROM players WHERE json_extract(data, '$.mode') = ? ORDER BY id", [mode])

    @_sqlite_errors("wipe")
    def wipe(self) -> None:
        with write_transaction(self._db):
            for table in WIPED_TABLES:
                self._db.execute(f"DELETE FROM {table}")

    @_sqlite_errors("load_players")
    def load_players(self) -> list[dict[str, Any]]:
        return self._records("SELECT data FROM players ORDER BY id")

    @_sqlite_errors("get_player")
    def get_player(self, player_id: str) -> dict[str, Any] | None:
        require_text(player_id, "player_id")
        return decode_json(self._scalar("SELECT data FROM players WHERE id = ?", [player_id]))

    @_sqlite_errors("find_player_by_session_hash")
    def find_player_by_session_hash(self, session_hash: str) -> dict[str, Any] | None:
        require_text(session_hash, "session_hash")
        return decode_json(
            self._scalar(
                "SELECT data FROM players WHERE session_hash = ?"
                " ORDER BY updated_at DESC, id LIMIT 1",
                [session_hash],
            )
        )

    @_sqlite_errors("find_players_by_name")
    def find_players_by_name(self, name: str) -> list[dict[str, Any]]:
        require_text(name, "name")
        return self._records(
            "SELECT data FROM players WHERE name_key = ? ORDER BY id", [name_key(name)]
        )

    @_sqlite_errors("count_players")
    def count_players(self) -> int:
        return self._scalar("SELECT count(*) FROM players")

    @_sqlite_errors("list_events")
    def list_events(
        self, player_id: str, after_seq: int | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        require_text(player_id, "player_id")
        if after_seq is not None:
            require_int(after_seq, "after_seq")
        require_int(limit, "limit", minimum=1)
        cursor = self._db.execute(
            f"SELECT {', '.join(EventRow._fields)} FROM events"
            " WHERE player_id = ? AND (? IS NULL OR seq > ?) ORDER BY seq LIMIT ?",
            [player_id, after_seq, after_seq, limit],
        )
        return [event_record(EventRow(*row)) for row in cursor]

    @_sqlite_errors("oldest_event_seq")
    def oldest_event_seq(self, player_id: str) -> int | None:
        require_text(player_id, "player_id")
        return self._scalar("SELECT min(seq) FROM events WHERE player_id = ?", [player_id])

    @_sqlite_errors("newest_event_seq")
    def newest_event_seq(self, player_id: str) -> int | None:
        require_text(player_id, "player_id")
        return self._scalar("SELECT max(seq) FROM events WHERE player_id = ?", [player_id])

    @_sqlite_errors("load_parties")
    def load_parties(self) -> list[dict[str, Any]]:
        return self._records("SELECT data FROM parties ORDER BY id")

    @_sqlite_errors("load_board")
    def load_board(self, limit: int = DEFAULT_BOARD_LIMIT) -> list[dict[str, Any]]:
        require_int(limit, "limit", minimum=1)
        return self._records(
            """SELECT data FROM (SELECT data, created_at, id FROM board
                                 ORDER BY created_at DESC, id DESC LIMIT ?)
               ORDER BY created_at, id""",
            [limit],
        )

    @_sqlite_errors("get_join_code")
    def get_join_code(self, code: str) -> dict[str, Any] | None:
        require_text(code, "code")
        row = self._db.execute(
            f"SELECT {_JOIN_CODE_COLUMNS} FROM join_codes WHERE code = ?", [code]
        ).fetchone()
        return None if row is None else join_code_record(JoinCodeRow(*row))

    @_sqlite_errors("list_join_codes")
    def list_join_codes(
        self, player_id: str | None = None, now: int | None = None
    ) -> list[dict[str, Any]]:
        if player_id is not None:
            require_text(player_id, "player_id")
        if now is not None:
            require_int(now, "now", minimum=0)
        cursor = self._db.execute(
            f"SELECT {_JOIN_CODE_COLUMNS} FROM join_codes"
            " WHERE (:p IS NULL OR player_id = :p)"
            f" AND (:now IS NULL OR ({_REAL_CODE} AND revoked_at IS NULL AND expires_at > :now))"
            " ORDER BY created_at, code, id",
            {"p": player_id, "now": now},
        )
        return [join_code_record(JoinCodeRow(*row)) for row in cursor]

    def _bot_link(self, column: str, value: str) -> BotLinkRow | None:
        row = self._db.execute(
            f"SELECT {_BOT_LINK_COLUMNS} FROM bot_links WHERE {column} = ?", [value]
        ).fetchone()
        return None if row is None else BotLinkRow(*row)

    @_sqlite_errors("get_bot_link")
    def get_bot_link(self, player_id: str) -> dict[str, Any] | None:
        row = self._bot_link("player_id", require_text(player_id, "player_id"))
        return None if row is None else bot_link_record(row)

    @_sqlite_errors("find_bot_link")
    def find_bot_link(self, token_hash: str) -> dict[str, Any] | None:
        row = self._bot_link("token_hash", require_token_hash(token_hash))
        return None if row is None else bot_link_record(row)

    @_sqlite_errors("find_bot_links")
    def find_bot_links(self, token_hashes: Iterable[str]) -> dict[str, dict[str, Any]]:
        hashes = require_token_hashes(token_hashes)
        if not hashes:
            return {}
        rows = self._db.execute(
            f"SELECT {_BOT_LINK_COLUMNS} FROM bot_links"
            f" WHERE token_hash IN ({', '.join('?' * len(hashes))})",
            hashes,
        ).fetchall()
        return {row.token_hash: bot_link_record(row) for row in map(BotLinkRow._make, rows)}

    @_sqlite_errors("get_meta")
    def get_meta(self, key: str) -> str | None:
        require_meta_key(key)
        return self._scalar("SELECT value FROM meta WHERE key = ?", [key])

    @_sqlite_errors("close")
    def close(self) -> None:
        self._db.close()


WIPED_TABLES = ("players", "events", "parties", "board", "join_codes", "bot_links")


def insert_join_codes(conn: sqlite3.Connection, rows: Iterable[JoinCodeRow]) -> None:
    """Insert join code rows (codes or placeholders) inside the caller's write transaction."""
    conn.executemany(
        f"INSERT INTO join_codes ({_JOIN_CODE_COLUMNS})"
        f" VALUES ({', '.join('?' * len(JoinCodeRow._fields))})",
        rows,
    )


def open_store(data_dir: str | os.PathLike[str], **options: Any) -> SqliteStore:
    """Open (creating and migrating as needed) ``<data_dir>/clawtown.db``.

    ``options`` are passed to :class:`SqliteStore` (``clock``, ``busy_timeout_ms``).
    """
    try:
        os.makedirs(data_dir, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create data directory {os.fspath(data_dir)}: {exc}") from exc
    return SqliteStore(os.path.join(data_dir, DB_FILENAME), **options)
