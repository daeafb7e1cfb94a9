"""Snapshots: the game's durable state as a documented JSON or NDJSON file, and back.

The format is specified in docs/snapshot-format.md. Export reads one consistent snapshot of a
database (one read transaction, so a running server may keep writing) and writes it
deterministically: fixed section order, rows in a fixed order, keys sorted, one record per line.
Import validates a whole file before it touches anything, then loads it into an EMPTY data dir
in one transaction. What is deliberately left out (join codes themselves, bot token hashes) is
documented there too; export -> import -> export gives the same bytes. Join codes travel as
metadata under their opaque ids, and come back as placeholders that can never be redeemed.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, BinaryIO

import orjson

from ..engine.audit import SNAPSHOT_IMPORT
from ..store import StoreError, open_store
from ..store.base import (
    EventRow,
    event_record,
    new_join_code_id,
    prepare_batch,
    prepare_join_code_placeholders,
    require_int,
    require_text,
)
from ..store.migrations import SCHEMA_VERSION, write_transaction
from ..store.sqlite import insert_join_codes
from .audit import record_cli
from .backup import (
    BackupError,
    begin_snapshot,
    describe,
    end_snapshot,
    open_readonly,
    summarize,
)
from .datadir import DataDirError, ServerLock, db_path, require_data_dir, server_running

FORMAT = "clawtown-snapshot"
VERSION = 1
FORMATS = ("json", "ndjson")
#: The sections of a snapshot, in file order.
SECTIONS = ("players", "events", "parties", "board", "joinCodes", "botLinks")
#: The NDJSON `type` of one record of each section.
RECORD_TYPES = {
    "players": "player",
    "events": "event",
    "parties": "party",
    "board": "post",
    "joinCodes": "joinCode",
    "botLinks": "botLink",
}
_DATA_TABLES = ("players", "events", "parties", "board", "join_codes", "bot_links")

_QUERIES = {
    "players": "SELECT data FROM players ORDER BY id",
    "events": "SELECT player_id, seq, at, kind, text, important, data FROM events ORDER BY player_id, seq",
    "parties": "SELECT data FROM parties ORDER BY id",
    "board": "SELECT data FROM board ORDER BY created_at, id",
    "joinCodes": "SELECT id, player_id, created_at, expires_at, revoked_at FROM join_codes"
    " ORDER BY player_id, created_at, id",
    "botLinks": "SELECT player_id, generation, linked_at, revoked_at FROM bot_links ORDER BY player_id",
}


class SnapshotError(Exception):
    """A snapshot could not be written, read or imported; the message is one line for a human."""


@dataclass(frozen=True)
class ExportResult:
    path: str
    format: str
    schema_version: int
    counts: dict[str, int]
    size: int


@dataclass(frozen=True)
class ImportResult:
    data_dir: str
    format: str
    counts: dict[str, int]
    """Rows imported per section (join codes as placeholders that can never be redeemed)."""


def _dumps(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def _stamp(when: float) -> str:
    return datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------------------- export


def _records(conn: sqlite3.Connection, section: str) -> Iterator[Any]:
    cursor = conn.execute(_QUERIES[section])
    if section in ("players", "parties", "board"):
        return (orjson.loads(data) for (data,) in cursor)
    if section == "events":
        return (event_record(EventRow(*row)) for row in cursor)
    if section == "joinCodes":
        return ({"id": i, "playerId": p, "createdAt": c, "expiresAt": e, "revokedAt": r} for i, p, c, e, r in cursor)
    return ({"playerId": p, "generation": g, "linkedAt": la, "revokedAt": r} for p, g, la, r in cursor)


def _header(schema_version: int, exported_at: float | None) -> dict[str, Any]:
    header: dict[str, Any] = {"format": FORMAT, "version": VERSION, "schemaVersion": schema_version}
    if exported_at is not None:
        header["exportedAt"] = _stamp(exported_at)
    return header


def _write_json(out: BinaryIO, header: dict[str, Any], sections: Iterable[tuple[str, Iterator[Any]]]) -> dict:
    counts = {}
    # The header keys come first, in their documented order, so `head -1` shows what the file is.
    out.write(b"{" + b",".join(orjson.dumps(k) + b":" + orjson.dumps(v) for k, v in header.items()))
    for name, records in sections:
        out.write(b",\n" + orjson.dumps(name) + b":[")
        n = 0
        for record in records:
            out.write((b"\n" if n == 0 else b",\n") + _dumps(record))
            n += 1
        out.write(b"\n]" if n else b"]")
        counts[name] = n
    out.write(b"}\n")
    return counts


def _write_ndjson(out: BinaryIO, header: dict[str, Any], sections: Iterable[tuple[str, Iterator[Any]]]) -> dict:
    counts = {}
    out.write(b'{"type":"header",' + b",".join(orjson.dumps(k) + b":" + orjson.dumps(v) for k, v in header.items())
              + b"}\n")
    for name, records in sections:
        prefix = b'{"type":' + orjson.dumps(RECORD_TYPES[name]) + b',"record":'
        n = 0
        for record in records:
            out.write(prefix + _dumps(record) + b"}\n")
            n += 1
        counts[name] = n
    out.write(b'{"type":"end","counts":' + _dumps(counts) + b"}\n")
    return counts


def _check_schema(conn: sqlite3.Connection, path: str) -> int:
    tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() if "meta" in tables else None
    if row is None:
        raise SnapshotError(f"{path} is not a clawtown database (it records no schema version)")
    version = int(row[0]) if str(row[0]).isdigit() else -1
    if version > SCHEMA_VERSION:
        raise SnapshotError(f"{path} has schema v{version}, newer than this clawtown (v{SCHEMA_VERSION}): upgrade clawtown")
    if version != SCHEMA_VERSION:
        raise SnapshotError(
            f"{path} has schema v{row[0]}, older than this clawtown (v{SCHEMA_VERSION}): "
            "run `clawtown db migrate` on it first"
        )
    return version


def export_snapshot(
    data_dir: str, out: str, fmt: str = "json", *, db: str | None = None, exported_at: float | None = None
) -> ExportResult:
    """Write a snapshot of `<data-dir>/clawtown.db` (or of the database file `db`) into the new file `out`.

    `exported_at` (a Unix time) adds an `exportedAt` header field; without it the output depends
    on the data only.
    """
    if fmt not in FORMATS:
        raise SnapshotError(f"unknown format {fmt!r} (choose {' or '.join(FORMATS)})")
    source = db if db is not None else db_path(require_data_dir(data_dir))
    dest = os.path.abspath(out)
    if os.path.lexists(dest):
        raise SnapshotError(f"{out} already exists: choose another --out (snapshots are never overwritten)")
    if not os.path.isdir(os.path.dirname(dest)):
        raise SnapshotError(f"cannot write {out}: {os.path.dirname(dest)} is not a directory")
    try:
        conn = open_readonly(source)
    except BackupError as err:
        raise SnapshotError(str(err)) from None
    partial = f"{dest}.{os.getpid()}.partial"
    try:
        begin_snapshot(conn)
        version = _check_schema(conn, source)
        header = _header(version, exported_at)
        sections = ((name, _records(conn, name)) for name in SECTIONS)
        with open(partial, "xb") as f:
            counts = (_write_json if fmt == "json" else _write_ndjson)(f, header, sections)
            f.flush()
            os.fsync(f.fileno())
        os.replace(partial, dest)
    except sqlite3.Error as exc:
        _remove(partial)
        raise SnapshotError(describe(exc, source)) from None
    except OSError as exc:
        _remove(partial)
        raise SnapshotError(f"cannot write {out}: {exc.strerror or exc}") from None
    except BaseException:
        _remove(partial)
        raise
    finally:
        end_snapshot(conn)
        conn.close()
    return ExportResult(path=dest, format=fmt, schema_version=version, counts=counts, size=os.path.getsize(dest))


# ---------------------------------------------------------------------------- import


@dataclass
class Snapshot:
    """A parsed, not yet validated snapshot file."""

    format: str
    header: dict[str, Any]
    sections: dict[str, list[Any]]


def read_snapshot(path: str) -> Snapshot:
    """Parse a snapshot file (either format) and check its header; SnapshotError if it is not one."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise SnapshotError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise SnapshotError(f"not a file: {path}") from None
    except OSError as exc:
        raise SnapshotError(f"cannot read {path}: {exc.strerror or exc}") from None
    first = data.split(b"\n", 1)[0]
    try:
        head = orjson.loads(first)
    except orjson.JSONDecodeError:
        head = None
    if isinstance(head, dict) and head.get("type") == "header":
        return _read_ndjson(path, data, head)
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise SnapshotError(f"{path} is not a clawtown snapshot (not JSON or NDJSON: {exc})") from None
    if not isinstance(doc, dict):
        raise SnapshotError(f"{path} is not a clawtown snapshot (the document is not an object)")
    _check_header(path, doc)
    sections = {}
    for name in SECTIONS:
        if not isinstance(doc.get(name), list):
            raise SnapshotError(f"{path}: section {name!r} is missing or not a list")
        sections[name] = doc[name]
    header = {k: v for k, v in doc.items() if k not in SECTIONS}
    return Snapshot(format="json", header=header, sections=sections)


def _check_header(path: str, header: dict[str, Any]) -> None:
    if header.get("format") != FORMAT:
        raise SnapshotError(f"{path} is not a clawtown snapshot (format is {header.get('format')!r})")
    version = header.get("version")
    if version != VERSION:
        raise SnapshotError(
            f"{path} is snapshot format version {version!r}; this clawtown reads version {VERSION}"
        )


def _read_ndjson(path: str, data: bytes, head: dict[str, Any]) -> Snapshot:
    _check_header(path, head)
    by_type = {t: name for name, t in RECORD_TYPES.items()}
    sections: dict[str, list[Any]] = {name: [] for name in SECTIONS}
    end = None
    for number, line in enumerate(data.split(b"\n")[1:], start=2):
        if not line.strip():
            continue
        if end is not None:
            raise SnapshotError(f"{path}:{number}: data after the end line")
        try:
            item = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise SnapshotError(f"{path}:{number}: not JSON ({exc})") from None
        kind = item.get("type") if isinstance(item, dict) else None
        if kind == "end":
            end = item
        elif kind in by_type and "record" in item:
            sections[by_type[kind]].append(item["record"])
        else:
            raise SnapshotError(f"{path}:{number}: not a snapshot line (type {kind!r})")
    if end is None:
        raise SnapshotError(f"{path} is truncated (no end line)")
    found = {name: len(records) for name, records in sections.items()}
    if end.get("counts") != found:
        raise SnapshotError(f"{path}: the end line's counts do not match the records ({end.get('counts')} != {found})")
    return Snapshot(format="ndjson", header=head, sections=sections)


@dataclass(frozen=True)
class _Rows:
    players: tuple
    events: tuple
    parties: tuple
    board: tuple
    join_codes: tuple
    bot_links: tuple


def _bot_link_row(record: Any, where: str) -> tuple:
    if not isinstance(record, dict):
        raise StoreError(f"{where} must be an object")
    linked, revoked = record.get("linkedAt"), record.get("revokedAt")
    return (
        require_text(record.get("playerId"), f"{where}.playerId"),
        require_int(record.get("generation"), f"{where}.generation", minimum=0),
        None if linked is None else require_int(linked, f"{where}.linkedAt", minimum=0),
        None if revoked is None else require_int(revoked, f"{where}.revokedAt", minimum=0),
    )


def _unique(keys: Iterable[Any], what: str) -> None:
    seen = set()
    for key in keys:
        if key in seen:
            raise StoreError(f"duplicate {what} {key!r}")
        seen.add(key)


def prepare_rows(snapshot: Snapshot, now_ms: int) -> _Rows:
    """Validate every record (as the store would) and turn them into table rows; StoreError if bad."""
    s = snapshot.sections
    batch = prepare_batch(now_ms, players=s["players"], events=s["events"], parties=s["parties"], board=s["board"])
    links = tuple(_bot_link_row(r, f"botLinks[{i}]") for i, r in enumerate(s["botLinks"]))
    codes = prepare_join_code_placeholders(_with_ids(s["joinCodes"]), "joinCodes")
    _unique((r.id for r in batch.players), "player id")
    _unique(((r.player_id, r.seq) for r in batch.events), "event (playerId, id)")
    _unique((r.id for r in batch.parties), "party id")
    _unique((r.id for r in batch.board), "board post id")
    _unique((r[0] for r in links), "bot link playerId")
    return _Rows(batch.players, batch.events, batch.parties, batch.board, codes, links)


def _with_ids(codes: list[Any]) -> list[Any]:
    """Join code records as written by a clawtown before schema v4 have no id: they get a new one."""
    return [{**c, "id": new_join_code_id()} if isinstance(c, dict) and c.get("id") is None else c for c in codes]


def import_snapshot(data_dir: str, path: str, *, now: float | None = None) -> ImportResult:
    """Load the snapshot file `path` into an empty (or missing) data dir; nothing changes on error."""
    snapshot = read_snapshot(path)
    try:
        rows = prepare_rows(snapshot, int((time.time() if now is None else now) * 1000))
    except StoreError as err:
        raise SnapshotError(f"{path} is not a valid snapshot: {err}") from None
    if os.path.exists(data_dir) and not os.path.isdir(data_dir):
        raise SnapshotError(f"data dir {data_dir} is not a directory")
    running = SnapshotError(f"a clawtown server is running on {data_dir}: import only into a stopped, empty data dir")
    if server_running(data_dir):
        raise running
    target = db_path(data_dir)
    db_existed = os.path.exists(target)
    if db_existed:
        _require_empty(target, data_dir)
    dir_existed = os.path.isdir(data_dir)
    lock = ServerLock(data_dir)  # from here on no server can start on the data dir
    try:
        lock.acquire()
    except DataDirError:
        raise running from None
    except OSError as exc:
        raise SnapshotError(f"cannot use data dir {data_dir}: {exc.strerror}") from None
    done = False
    try:
        if db_existed:
            _require_empty(target, data_dir)  # again, now that nobody else can write
        _load(data_dir, rows, {"file": os.path.basename(path), "format": snapshot.format, "counts": _counts(rows)})
        done = True
    finally:
        lock.release()
        if not done:
            if not db_existed:
                _remove(target, target + "-wal", target + "-shm", target + "-journal")
            if not dir_existed:
                _remove(lock.path)
                try:
                    os.rmdir(data_dir)
                except OSError:
                    pass
    return ImportResult(data_dir=data_dir, format=snapshot.format, counts=_counts(rows))


def _counts(rows: _Rows) -> dict[str, int]:
    return {
        "players": len(rows.players),
        "events": len(rows.events),
        "parties": len(rows.parties),
        "board": len(rows.board),
        "joinCodes": len(rows.join_codes),
        "botLinks": len(rows.bot_links),
    }


def _require_empty(target: str, data_dir: str) -> None:
    try:
        summary = summarize(target, integrity=False)
    except BackupError as err:
        raise SnapshotError(f"cannot import into {data_dir}: {err}") from None
    held = [f"{summary.counts[t]} {t}" for t in _DATA_TABLES if summary.counts.get(t)]
    if held:
        raise SnapshotError(
            f"data dir {data_dir} is not empty (its database holds {', '.join(held)}): import only into an empty data dir"
        )


def _load(data_dir: str, rows: _Rows, audit_detail: dict[str, Any]) -> None:
    try:
        store = open_store(data_dir)
    except StoreError as err:
        raise SnapshotError(f"cannot import into {data_dir}: {err}") from None
    try:
        db = store.db
        with write_transaction(db):
            conn = db.conn
            conn.executemany(
                "INSERT INTO players (id, name, name_key, session_hash, updated_at, data) VALUES (?, ?, ?, ?, ?, ?)",
                rows.players,
            )
            conn.executemany(
                "INSERT INTO events (player_id, seq, at, kind, text, important, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
                rows.events,
            )
            conn.executemany("INSERT INTO parties (id, data) VALUES (?, ?)", rows.parties)
            conn.executemany("INSERT INTO board (id, created_at, data) VALUES (?, ?, ?)", rows.board)
            insert_join_codes(conn, rows.join_codes)
            conn.executemany(
                "INSERT INTO bot_links (player_id, generation, token_hash, linked_at, revoked_at)"
                " VALUES (?, ?, NULL, ?, ?)",
                rows.bot_links,
            )
        record_cli(store, SNAPSHOT_IMPORT, None, audit_detail)
    except (sqlite3.Error, StoreError) as exc:
        raise SnapshotError(f"cannot import into {data_dir}: {exc}") from None
    finally:
        store.close()


def _remove(*paths: str) -> None:
    for path in paths:
        try:
            os.remove(path)
        except FileNotFoundError:
            pass
