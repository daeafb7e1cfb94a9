"""MemoryStore: the Store contract in plain dicts, for tests.

It validates and encodes exactly like SqliteStore (records are kept as JSON text, so
callers never share mutable state with the store), and a batch is validated in full
before anything changes, so a bad batch leaves no trace.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from clawtown.store.base import (
    DEFAULT_AUDIT_LIMIT,
    DEFAULT_BOARD_LIMIT,
    DEFAULT_EVENTS_KEPT,
    DEFAULT_MAX_LIVE_JOIN_CODES,
    JOIN_CODE_COLLISION,
    JOIN_CODE_ID_TAKEN,
    SCHEMA_VERSION_KEY,
    TOKEN_HASH_TAKEN,
    AuditRow,
    BoardRow,
    BotLinkRow,
    EventRow,
    JoinCodeRow,
    PartyRow,
    PlayerRow,
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
from clawtown.store.migrations import SCHEMA_VERSION


class MemoryStore:
    """A :class:`~clawtown.store.base.Store` that lives and dies with the process."""

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._closed = False
        self._players: dict[str, PlayerRow] = {}
        self._events: dict[str, dict[int, EventRow]] = {}
        self._parties: dict[str, PartyRow] = {}
        self._board: dict[str, BoardRow] = {}
        self._meta: dict[str, str] = {SCHEMA_VERSION_KEY: str(SCHEMA_VERSION)}
        self._join_codes: dict[str, JoinCodeRow] = {}  # by id
        self._bot_links: dict[str, BotLinkRow] = {}
        self._audit: list[tuple[int, AuditRow]] = []
        self._audit_last_id = 0

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("store is closed")

    # ------------------------------------------------------------------ writes

    def save_batch(
        self,
        *,
        players: Iterable[Mapping[str, Any]] = (),
        events: Iterable[Mapping[str, Any]] = (),
        parties: Iterable[Mapping[str, Any]] = (),
        deleted_parties: Iterable[str] = (),
        board: Iterable[Mapping[str, Any]] = (),
    ) -> None:
        self._check_open()
        batch = prepare_batch(
            int(self._clock() * 1000),
            players=players,
            events=events,
            parties=parties,
            deleted_parties=deleted_parties,
            board=board,
        )
        # Validation is over; nothing below can fail, so the batch applies whole.
        self._players.update((row.id, row) for row in batch.players)
        for event in batch.events:
            self._events.setdefault(event.player_id, {})[event.seq] = event
        self._parties.update((row.id, row) for row in batch.parties)
        for party_id in batch.deleted_parties:
            self._parties.pop(party_id, None)
        self._board.update((row.id, row) for row in batch.board)

    def prune_events(self, player_id: str, keep_last: int = DEFAULT_EVENTS_KEPT) -> int:
        self._check_open()
        require_text(player_id, "player_id")
        require_int(keep_last, "keep_last", minimum=0)
        events = self._events.get(player_id, {})
        doomed = sorted(events)[: max(len(events) - keep_last, 0)]
        for seq in doomed:
            del events[seq]
        return len(doomed)

    def prune_all_events(self, keep_last: int = DEFAULT_EVENTS_KEPT) -> int:
        self._check_open()
        require_int(keep_last, "keep_last", minimum=0)
        return sum(self.prune_events(player_id, keep_last) for player_id in list(self._events))

    def prune_board(self, keep_last: int = DEFAULT_BOARD_LIMIT) -> int:
        self._check_open()
        require_int(keep_last, "keep_last", minimum=0)
        doomed = self._board_oldest_first()[: max(len(self._board) - keep_last, 0)]
        for row in doomed:
            del self._board[row.id]
        return len(doomed)

    def set_meta(self, key: str, value: str) -> None:
        self._check_open()
        require_meta_key(key, writing=True)
        self._meta[key] = require_text(value, f"meta value for {key!r}", allow_empty=True)

    def mint_join_code(
        self,
        code: str,
        player_id: str,
        created_at: int,
        expires_at: int,
        max_live: int = DEFAULT_MAX_LIVE_JOIN_CODES,
    ) -> dict[str, Any]:
        self._check_open()
        row = prepare_join_code(code, player_id, created_at, expires_at, max_live)
        if self._join_code_by_code(row.code) is not None:
            raise StoreError(JOIN_CODE_COLLISION)
        # Validation is over; nothing below can fail, so the mint applies whole.
        live = []
        for held in self._join_codes_oldest_first(row.player_id):
            if held.revoked_at is not None or held.expires_at <= row.created_at:
                del self._join_codes[held.id]
            elif held.code is not None:
                live.append(held)
        for held in live[: max(len(live) - max_live + 1, 0)]:
            del self._join_codes[held.id]
        self._join_codes[row.id] = row
        return join_code_record(row)

    def restore_join_codes(self, records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        self._check_open()
        rows = prepare_join_code_placeholders(records)
        for row in rows:
            if row.id in self._join_codes:
                raise StoreError(f"{JOIN_CODE_ID_TAKEN}: {row.id!r}")
        self._join_codes.update((row.id, row) for row in rows)
        return [join_code_record(row) for row in rows]

    def revoke_join_code(self, code: str, at: int) -> bool:
        self._check_open()
        row = self._join_code_by_code(require_text(code, "code"))
        require_int(at, "at", minimum=0)
        if row is None or row.revoked_at is not None:
            return False
        self._join_codes[row.id] = row._replace(revoked_at=at)
        return True

    def purge_join_codes(self, now: int) -> int:
        self._check_open()
        require_int(now, "now", minimum=0)
        doomed = [
            row.id
            for row in self._join_codes.values()
            if row.revoked_at is not None or row.expires_at <= now
        ]
        for code_id in doomed:
            del self._join_codes[code_id]
        return len(doomed)

    def save_bot_link(
        self, player_id: str, generation: int, token_hash: str, linked_at: int
    ) -> dict[str, Any]:
        self._check_open()
        row = prepare_bot_link(player_id, generation, token_hash, linked_at)
        stored = self._bot_links.get(row.player_id)
        check_bot_link_generation(row, stored)
        holder = self._bot_link_by_hash(row.token_hash)
        if holder is not None and holder.player_id != row.player_id:
            raise StoreError(TOKEN_HASH_TAKEN)
        row = row._replace(revoked_at=None if stored is None else stored.revoked_at)
        self._bot_links[row.player_id] = row
        return bot_link_record(row)

    def revoke_bot_tokens(self, player_id: str, at: int) -> int:
        self._check_open()
        require_text(player_id, "player_id")
        require_int(at, "at", minimum=0)
        stored = self._bot_links.get(player_id)
        generation = next_bot_generation(player_id, stored)
        if stored is None:
            stored = BotLinkRow(player_id, generation, None, None, None)
        self._bot_links[player_id] = stored._replace(
            generation=generation, token_hash=None, revoked_at=at
        )
        return generation

    def append_audit(self, record: Mapping[str, Any]) -> dict[str, Any]:
        self._check_open()
        row = prepare_audit(record, int(self._clock() * 1000))
        self._audit_last_id += 1
        self._audit.append((self._audit_last_id, row))
        return audit_record(self._audit_last_id, row)

    # ------------------------------------------------------------------- reads

    def list_audit(
        self,
        since_ms: int | None = None,
        action: str | None = None,
        limit: int = DEFAULT_AUDIT_LIMIT,
    ) -> list[dict[str, Any]]:
        self._check_open()
        check_audit_query(since_ms, action, limit)
        matching = [
            (entry_id, row)
            for entry_id, row in self._audit
            if (since_ms is None or row.at >= since_ms) and (action is None or row.action == action)
        ]
        return [audit_record(entry_id, row) for entry_id, row in matching[-limit:]]

    def load_players_in_mode(self, mode: str) -> list[dict[str, Any]]:
        require_text(mode, "mode")
        return [rec for rec in self.load_players() if rec.get("mode") == mode]

    def wipe(self) -> None:
        self._check_open()
        for table in (self._players, self._events, self._parties, self._board, self._join_codes, self._bot_links):
            table.clear()

    def load_players(self) -> list[dict[str, Any]]:
        self._check_open()
        return [decode_json(self._players[pid].data) for pid in sorted(self._players)]

    def get_player(self, player_id: str) -> dict[str, Any] | None:
        self._check_open()
        row = self._players.get(require_text(player_id, "player_id"))
        return None if row is None else decode_json(row.data)

    def find_player_by_session_hash(self, session_hash: str) -> dict[str, Any] | None:
        self._check_open()
        require_text(session_hash, "session_hash")
        matches = [row for row in self._players.values() if row.session_hash == session_hash]
        if not matches:
            return None
        best = min(matches, key=lambda row: (-row.updated_at, row.id))
        return decode_json(best.data)

    def find_players_by_name(self, name: str) -> list[dict[str, Any]]:
        self._check_open()
        key = name_key(require_text(name, "name"))
        return [
            decode_json(row.data)
            for _, row in sorted(self._players.items())
            if row.name_key == key
        ]

    def count_players(self) -> int:
        self._check_open()
        return len(self._players)

    def list_events(
        self, player_id: str, after_seq: int | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        self._check_open()
        events = self._events.get(require_text(player_id, "player_id"), {})
        if after_seq is not None:
            require_int(after_seq, "after_seq")
        require_int(limit, "limit", minimum=1)
        seqs = sorted(seq for seq in events if after_seq is None or seq > after_seq)
        return [event_record(events[seq]) for seq in seqs[:limit]]

    def oldest_event_seq(self, player_id: str) -> int | None:
        self._check_open()
        return min(self._events.get(require_text(player_id, "player_id"), {}), default=None)

    def newest_event_seq(self, player_id: str) -> int | None:
        self._check_open()
        return max(self._events.get(require_text(player_id, "player_id"), {}), default=None)

    def load_parties(self) -> list[dict[str, Any]]:
        self._check_open()
        return [decode_json(self._parties[pid].data) for pid in sorted(self._parties)]

    def load_board(self, limit: int = DEFAULT_BOARD_LIMIT) -> list[dict[str, Any]]:
        self._check_open()
        require_int(limit, "limit", minimum=1)
        return [decode_json(row.data) for row in self._board_oldest_first()[-limit:]]

    def _board_oldest_first(self) -> list[BoardRow]:
        return sorted(self._board.values(), key=lambda row: (row.created_at, row.id))

    def get_join_code(self, code: str) -> dict[str, Any] | None:
        self._check_open()
        row = self._join_code_by_code(require_text(code, "code"))
        return None if row is None else join_code_record(row)

    def _join_code_by_code(self, code: str) -> JoinCodeRow | None:
        # A placeholder's code is None, which no text equals.
        return next((row for row in self._join_codes.values() if row.code == code), None)

    def list_join_codes(
        self, player_id: str | None = None, now: int | None = None
    ) -> list[dict[str, Any]]:
        self._check_open()
        if player_id is not None:
            require_text(player_id, "player_id")
        if now is not None:
            require_int(now, "now", minimum=0)
        return [
            join_code_record(row)
            for row in self._join_codes_oldest_first(player_id)
            if now is None or (row.code is not None and row.revoked_at is None and row.expires_at > now)
        ]

    def _join_codes_oldest_first(self, player_id: str | None) -> list[JoinCodeRow]:
        return sorted(
            (
                row
                for row in self._join_codes.values()
                if player_id is None or row.player_id == player_id
            ),
            # as SQLite's ORDER BY created_at, code, id: a NULL code sorts first
            key=lambda row: (row.created_at, row.code is not None, row.code or "", row.id),
        )

    def get_bot_link(self, player_id: str) -> dict[str, Any] | None:
        self._check_open()
        row = self._bot_links.get(require_text(player_id, "player_id"))
        return None if row is None else bot_link_record(row)

    def find_bot_link(self, token_hash: str) -> dict[str, Any] | None:
        self._check_open()
        row = self._bot_link_by_hash(require_token_hash(token_hash))
        return None if row is None else bot_link_record(row)

    def find_bot_links(self, token_hashes: Iterable[str]) -> dict[str, dict[str, Any]]:
        self._check_open()
        wanted = set(require_token_hashes(token_hashes))
        return {
            row.token_hash: bot_link_record(row)
            for row in self._bot_links.values()
            if row.token_hash in wanted
        }

    def _bot_link_by_hash(self, token_hash: str) -> BotLinkRow | None:
        return next(
            (row for row in self._bot_links.values() if row.token_hash == token_hash), None
        )

    def get_meta(self, key: str) -> str | None:
        self._check_open()
        return self._meta.get(require_meta_key(key))

    def close(self) -> None:
        self._closed = True
