"""The Store contract shared by every backend, and the batch validation they all use.

A store keeps what the game hands it: records are plain dicts, saved as JSON next to
a few indexed columns.  Nothing here knows the game rules (no ``clawtown.sim``).

Every backend validates input with :func:`prepare_batch` and the ``require_*`` helpers
below, *before* touching its data, so bad input raises :class:`StoreError` and leaves
the store exactly as it was.

Record shapes (camelCase keys, as the game produces them):

* player: ``{"id": str, "name": str, "sessionHash"?: str|None, "updatedAt"?: int ms, ...}``
  (``updatedAt`` defaults to the store's clock);
* event: ``{"playerId": str, "id": int (the per-player seq), "at": int ms, "kind": str,
  "text": str, "important"?: bool, "data"?: JSON|None}``;
* party: ``{"id": str, ...}``;
* board post: ``{"id": str, "createdAt": int ms, ...}``;
* join code: ``{"id": str, "code": str (6 chars)|None, "playerId": str, "createdAt": int ms,
  "expiresAt": int ms, "revokedAt": int ms|None}`` -- live while it has a code, is not
  revoked and ``expiresAt`` is after now.  ``id`` is opaque (``jc_`` + 16 url-safe
  characters from :mod:`secrets`, drawn by the store, unrelated to the code): it names the
  row where the code, a secret, must not appear (snapshots).  A row without a code is a
  *placeholder* put back by :meth:`Store.restore_join_codes` from a snapshot, which never
  holds codes: it keeps the id and times of the code it stands for, but no lookup by code
  can find it, so it can never be redeemed, and it is never live.  Like any code it is
  deleted once expired or revoked (purge, minting's clean-up);
* bot link: ``{"playerId": str, "generation": int >= 0, "tokenHash": str|None,
  "linkedAt": int ms|None, "revokedAt": int ms|None}``.  The caller derives a bot token
  from a server key, the player id and the generation; the store only ever sees the
  token's SHA-256 hex digest.  Revoking bumps the generation and clears the hash, which
  invalidates every token of the player at once.
* audit entry: ``{"id": int (given by the store, increasing), "at": int ms, "actor": str,
  "action": str, "subject": str|None, "detail": JSON|None, "requestId": str|None}`` --
  who did what to whom; appended, never changed, and kept by :meth:`Store.wipe`.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol, runtime_checkable

import orjson

#: Events kept per player by :meth:`Store.prune_events` unless told otherwise.
DEFAULT_EVENTS_KEPT = 1000
#: Board posts returned by :meth:`Store.load_board` unless told otherwise.
DEFAULT_BOARD_LIMIT = 50
#: The meta key holding the schema version; only migrations may write it.
SCHEMA_VERSION_KEY = "schema_version"
#: Length of a join code.
JOIN_CODE_LENGTH = 6
#: Live join codes a player may hold; :meth:`Store.mint_join_code` evicts the oldest.
DEFAULT_MAX_LIVE_JOIN_CODES = 5
#: How a join code's opaque id starts; 16 url-safe characters (96 random bits) follow.
JOIN_CODE_ID_PREFIX = "jc_"
#: Longest join code id :meth:`Store.restore_join_codes` accepts.
JOIN_CODE_ID_MAX = 64

#: Audit entries returned by :meth:`Store.list_audit` unless told otherwise.
DEFAULT_AUDIT_LIMIT = 200
#: Most token hashes one :meth:`Store.find_bot_links` call looks up (SQLite allows 32,766 parameters).
MAX_BOT_LINK_LOOKUP = 500
#: Longest actor, action, subject and request id an audit entry may carry.
AUDIT_TEXT_MAX = 200

#: Why :meth:`Store.mint_join_code` refused a code that is already stored.
JOIN_CODE_COLLISION = "join code collision"
#: Why :meth:`Store.restore_join_codes` refused an id that is already stored.
JOIN_CODE_ID_TAKEN = "join code id is already stored"
#: Why :meth:`Store.save_bot_link` refused a token hash held by another player.
TOKEN_HASH_TAKEN = "token_hash is already linked to another player"

_SHA256_HEX_LENGTH = 64
_HEX_DIGITS = frozenset("0123456789abcdef")

_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1


class StoreError(Exception):
    """The store refused an operation (bad input, unreadable or failing database)."""


class SchemaTooNew(StoreError):
    """The database was written by a newer clawtown than this one."""

    def __init__(self, found: int, supported: int) -> None:
        super().__init__(
            f"database schema v{found} is newer than this clawtown (v{supported}); "
            "upgrade clawtown"
        )
        self.found = found
        self.supported = supported


@runtime_checkable
class Store(Protocol):
    """Durable progression storage.  Synchronous: call it from the store's own thread."""

    def save_batch(
        self,
        *,
        players: Iterable[Mapping[str, Any]] = (),
        events: Iterable[Mapping[str, Any]] = (),
        parties: Iterable[Mapping[str, Any]] = (),
        deleted_parties: Iterable[str] = (),
        board: Iterable[Mapping[str, Any]] = (),
    ) -> None:
        """Upsert/delete everything given in ONE transaction: all of it or nothing."""

    def load_players(self) -> list[dict[str, Any]]:
        """Every player record, ordered by id."""

    def load_players_in_mode(self, mode: str) -> list[dict[str, Any]]:
        """The records whose "mode" is `mode` (e.g. "agent": H-Mode characters resume at start)."""

    def wipe(self) -> None:
        """Delete every player, event, party, board post, join code and bot link (test resets).

        The audit trail is kept: it records the reset itself.
        """

    def get_player(self, player_id: str) -> dict[str, Any] | None:
        """The player record with this id, or None."""

    def find_player_by_session_hash(self, session_hash: str) -> dict[str, Any] | None:
        """The most recently updated player holding this session hash, or None."""

    def find_players_by_name(self, name: str) -> list[dict[str, Any]]:
        """Players whose name matches case-insensitively, ordered by id."""

    def count_players(self) -> int:
        """How many players are stored."""

    def list_events(
        self, player_id: str, after_seq: int | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Up to ``limit`` events of a player with seq > ``after_seq``, ascending."""

    def oldest_event_seq(self, player_id: str) -> int | None:
        """The smallest stored seq of a player, or None if it has no events."""

    def newest_event_seq(self, player_id: str) -> int | None:
        """The largest stored seq of a player, or None if it has no events."""

    def prune_events(self, player_id: str, keep_last: int = DEFAULT_EVENTS_KEPT) -> int:
        """Delete all but the newest ``keep_last`` events of a player; return how many went."""

    def prune_all_events(self, keep_last: int = DEFAULT_EVENTS_KEPT) -> int:
        """:meth:`prune_events` for every player in one pass; return how many went."""

    def load_parties(self) -> list[dict[str, Any]]:
        """Every party record, ordered by id."""

    def load_board(self, limit: int = DEFAULT_BOARD_LIMIT) -> list[dict[str, Any]]:
        """The newest ``limit`` board posts, oldest first (newest last)."""

    def prune_board(self, keep_last: int = DEFAULT_BOARD_LIMIT) -> int:
        """Delete all but the newest ``keep_last`` board posts; return how many went."""

    def get_meta(self, key: str) -> str | None:
        """The meta value stored under ``key``, or None."""

    def set_meta(self, key: str, value: str) -> None:
        """Store a meta value (``schema_version`` is reserved for migrations)."""

    def mint_join_code(
        self,
        code: str,
        player_id: str,
        created_at: int,
        expires_at: int,
        max_live: int = DEFAULT_MAX_LIVE_JOIN_CODES,
    ) -> dict[str, Any]:
        """Store a new join code for a player and return its record, in ONE transaction.

        The store draws the record's ``id``.  First the player's expired
        (``expires_at <= created_at``) and revoked codes go, placeholders included, then
        the oldest live ones (by ``created_at``, then code) until fewer than ``max_live``
        remain; placeholders are never live, so they neither count nor get evicted.  A
        code that is still stored, whoever holds it and whatever its state, raises
        StoreError("join code collision") and changes nothing: the caller retries with
        a new code.
        """

    def restore_join_codes(self, records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Store placeholders for codes known only by their metadata, in ONE transaction.

        Each record is ``{"id", "playerId", "createdAt", "expiresAt", "revokedAt"}`` (a
        snapshot's ``joinCodes``); the placeholder keeps all of it and holds no code.  An
        id given twice or already stored raises StoreError and changes nothing.
        """

    def get_join_code(self, code: str) -> dict[str, Any] | None:
        """The join code record, live or not, or None (never a placeholder).

        Any non-empty text may be looked up (a code of the wrong length is just unknown),
        so callers can pass what a user typed; only minting checks the code's form.
        """

    def list_join_codes(
        self, player_id: str | None = None, now: int | None = None
    ) -> list[dict[str, Any]]:
        """Join codes (of one player if given) by ``created_at``, code, then id; only live at ``now``.

        Placeholders (no code) come before the codes of the same ``created_at``.
        """

    def revoke_join_code(self, code: str, at: int) -> bool:
        """Mark a join code revoked at ``at``; False if it is unknown or already revoked."""

    def purge_join_codes(self, now: int) -> int:
        """Delete every expired (at ``now``) or revoked join code or placeholder; return how many went."""

    def get_bot_link(self, player_id: str) -> dict[str, Any] | None:
        """The bot link of a player, or None."""

    def save_bot_link(
        self, player_id: str, generation: int, token_hash: str, linked_at: int
    ) -> dict[str, Any]:
        """Upsert a player's bot link and return it (``revokedAt`` is kept).

        Refuses (StoreError) a generation lower than the stored one, so a stale writer
        cannot resurrect revoked tokens, and a ``token_hash`` linked to another player.
        """

    def find_bot_link(self, token_hash: str) -> dict[str, Any] | None:
        """The bot link holding this token hash, or None."""

    def find_bot_links(self, token_hashes: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The bot links holding these token hashes, by hash, in one lookup (unknown hashes left out).

        At most :data:`MAX_BOT_LINK_LOOKUP` hashes per call.
        """

    def revoke_bot_tokens(self, player_id: str, at: int) -> int:
        """Invalidate every bot token of a player; return the new generation.

        The generation goes up by one (a missing link is created with generation 1),
        the token hash is cleared and ``revokedAt`` becomes ``at``.
        """

    def append_audit(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """Append one audit entry (``id`` is assigned; ``at`` defaults to the clock); return it."""

    def list_audit(
        self,
        since_ms: int | None = None,
        action: str | None = None,
        limit: int = DEFAULT_AUDIT_LIMIT,
    ) -> list[dict[str, Any]]:
        """The newest ``limit`` audit entries (``at >= since_ms``, of ``action``), newest last."""

    def close(self) -> None:
        """Release the store; later calls raise StoreError.  Safe to call twice."""


# --------------------------------------------------------------------------- rows


class PlayerRow(NamedTuple):
    id: str
    name: str
    name_key: str
    session_hash: str | None
    updated_at: int
    data: str


class EventRow(NamedTuple):
    player_id: str
    seq: int
    at: int
    kind: str
    text: str
    important: int
    data: str | None


class PartyRow(NamedTuple):
    id: str
    data: str


class BoardRow(NamedTuple):
    id: str
    created_at: int
    data: str


class JoinCodeRow(NamedTuple):
    id: str
    code: str | None
    player_id: str
    created_at: int
    expires_at: int
    revoked_at: int | None


class BotLinkRow(NamedTuple):
    player_id: str
    generation: int
    token_hash: str | None
    linked_at: int | None
    revoked_at: int | None


class AuditRow(NamedTuple):
    at: int
    actor: str
    action: str
    subject: str | None
    detail: str | None
    request_id: str | None


@dataclass(frozen=True)
class Batch:
    """A validated, encoded ``save_batch`` call, ready to be applied."""

    players: tuple[PlayerRow, ...]
    events: tuple[EventRow, ...]
    parties: tuple[PartyRow, ...]
    deleted_parties: tuple[str, ...]
    board: tuple[BoardRow, ...]


# --------------------------------------------------------------------- validation


def require_text(value: Any, what: str, *, allow_empty: bool = False) -> str:
    """``value`` if it is an encodable str (non-empty unless allowed), else StoreError."""
    if not isinstance(value, str):
        raise StoreError(f"{what} must be a string, got {type(value).__name__}")
    if not value and not allow_empty:
        raise StoreError(f"{what} must not be empty")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise StoreError(f"{what} is not valid text: {exc.reason}") from exc
    return value


def require_int(value: Any, what: str, *, minimum: int = _INT64_MIN) -> int:
    """``value`` if it is an int (not a bool) in [minimum, int64 max], else StoreError."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise StoreError(f"{what} must be an integer, got {type(value).__name__}")
    if not minimum <= value <= _INT64_MAX:
        raise StoreError(f"{what} must be between {minimum} and {_INT64_MAX}, got {value}")
    return value


def require_join_code(value: Any, what: str = "join code") -> str:
    """``value`` if it is a text of exactly :data:`JOIN_CODE_LENGTH` characters."""
    require_text(value, what)
    if len(value) != JOIN_CODE_LENGTH:
        raise StoreError(
            f"{what} must be {JOIN_CODE_LENGTH} characters long, got {len(value)}"
        )
    return value


def require_token_hashes(values: Any) -> list[str]:
    """Distinct SHA-256 hex digests (see :func:`require_token_hash`), at most MAX_BOT_LINK_LOOKUP."""
    hashes = list(dict.fromkeys(
        require_token_hash(v, f"token_hashes[{i}]") for i, v in enumerate(_items(values, "token_hashes"))
    ))
    if len(hashes) > MAX_BOT_LINK_LOOKUP:
        raise StoreError(f"at most {MAX_BOT_LINK_LOOKUP} token hashes per lookup, got {len(hashes)}")
    return hashes


def require_token_hash(value: Any, what: str = "token_hash") -> str:
    """``value`` if it is a lowercase SHA-256 hex digest, else StoreError.

    The message never echoes the value: a caller passing the raw token by mistake
    must not see it end up in a log.
    """
    require_text(value, what)
    if len(value) != _SHA256_HEX_LENGTH or not _HEX_DIGITS.issuperset(value):
        raise StoreError(
            f"{what} must be a SHA-256 hex digest ({_SHA256_HEX_LENGTH} lowercase hex digits)"
        )
    return value


def name_key(name: str) -> str:
    """The case-insensitive lookup key of a player name."""
    return name.lower()


def encode_json(value: Any, what: str) -> str:
    """JSON text for ``value``, or StoreError if it cannot be represented."""
    try:
        return orjson.dumps(value).decode()
    except (TypeError, ValueError) as exc:
        raise StoreError(f"{what} is not JSON-serialisable: {exc}") from exc


def decode_json(text: str | None) -> Any:
    """The value stored by :func:`encode_json` (None stays None)."""
    return None if text is None else orjson.loads(text)


def event_record(row: EventRow) -> dict[str, Any]:
    """The event dict handed back to callers for a stored row."""
    return {
        "playerId": row.player_id,
        "id": row.seq,
        "at": row.at,
        "kind": row.kind,
        "text": row.text,
        "important": bool(row.important),
        "data": decode_json(row.data),
    }


def join_code_record(row: JoinCodeRow) -> dict[str, Any]:
    """The join code dict handed back to callers for a stored row."""
    return {
        "id": row.id,
        "code": row.code,
        "playerId": row.player_id,
        "createdAt": row.created_at,
        "expiresAt": row.expires_at,
        "revokedAt": row.revoked_at,
    }


def bot_link_record(row: BotLinkRow) -> dict[str, Any]:
    """The bot link dict handed back to callers for a stored row."""
    return {
        "playerId": row.player_id,
        "generation": row.generation,
        "tokenHash": row.token_hash,
        "linkedAt": row.linked_at,
        "revokedAt": row.revoked_at,
    }


def audit_record(entry_id: int, row: AuditRow) -> dict[str, Any]:
    """The audit entry dict handed back to callers for a stored row."""
    return {
        "id": entry_id,
        "at": row.at,
        "actor": row.actor,
        "action": row.action,
        "subject": row.subject,
        "detail": decode_json(row.detail),
        "requestId": row.request_id,
    }


def _records(items: Any, what: str) -> list[Mapping[str, Any]]:
    items = _items(items, what)
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise StoreError(f"{what}[{index}] must be a dict, got {type(item).__name__}")
    return items


def _items(items: Any, what: str) -> list[Any]:
    if isinstance(items, (str, bytes, Mapping)) or not isinstance(items, Iterable):
        raise StoreError(f"{what} must be a list, got {type(items).__name__}")
    return list(items)


def _player_row(record: Mapping[str, Any], where: str, now_ms: int) -> PlayerRow:
    player_id = require_text(record.get("id"), f"{where}.id")
    name = require_text(record.get("name"), f"{where}.name")
    session_hash = record.get("sessionHash")
    if session_hash is not None:
        require_text(session_hash, f"{where}.sessionHash")
    updated_at = record.get("updatedAt")
    updated_at = now_ms if updated_at is None else require_int(updated_at, f"{where}.updatedAt")
    return PlayerRow(
        player_id, name, name_key(name), session_hash, updated_at, encode_json(record, where)
    )


def _event_row(record: Mapping[str, Any], where: str) -> EventRow:
    important = record.get("important", False)
    if important not in (True, False):  # also accepts 0 and 1
        raise StoreError(f"{where}.important must be a boolean, got {important!r}")
    data = record.get("data")
    return EventRow(
        require_text(record.get("playerId"), f"{where}.playerId"),
        require_int(record.get("id"), f"{where}.id"),
        require_int(record.get("at"), f"{where}.at"),
        require_text(record.get("kind"), f"{where}.kind"),
        require_text(record.get("text"), f"{where}.text", allow_empty=True),
        int(important),
        None if data is None else encode_json(data, f"{where}.data"),
    )


def _party_row(record: Mapping[str, Any], where: str) -> PartyRow:
    return PartyRow(require_text(record.get("id"), f"{where}.id"), encode_json(record, where))


def _board_row(record: Mapping[str, Any], where: str) -> BoardRow:
    return BoardRow(
        require_text(record.get("id"), f"{where}.id"),
        require_int(record.get("createdAt"), f"{where}.createdAt"),
        encode_json(record, where),
    )


def prepare_batch(
    now_ms: int,
    *,
    players: Any = (),
    events: Any = (),
    parties: Any = (),
    deleted_parties: Any = (),
    board: Any = (),
) -> Batch:
    """Validate and encode a ``save_batch`` call; raise StoreError on any bad item.

    ``now_ms`` is the ``updated_at`` of players that carry no ``updatedAt``.
    """
    batch = Batch(
        players=tuple(
            _player_row(r, f"players[{i}]", now_ms)
            for i, r in enumerate(_records(players, "players"))
        ),
        events=tuple(
            _event_row(r, f"events[{i}]") for i, r in enumerate(_records(events, "events"))
        ),
        parties=tuple(
            _party_row(r, f"parties[{i}]") for i, r in enumerate(_records(parties, "parties"))
        ),
        deleted_parties=tuple(
            require_text(p, f"deleted_parties[{i}]")
            for i, p in enumerate(_items(deleted_parties, "deleted_parties"))
        ),
        board=tuple(
            _board_row(r, f"board[{i}]") for i, r in enumerate(_records(board, "board"))
        ),
    )
    both = {row.id for row in batch.parties} & set(batch.deleted_parties)
    if both:
        raise StoreError(
            f"parties both saved and deleted in one batch: {', '.join(sorted(both))}"
        )
    return batch


def require_meta_key(key: Any, *, writing: bool = False) -> str:
    """A valid meta key; writing ``schema_version`` is refused."""
    require_text(key, "meta key")
    if writing and key == SCHEMA_VERSION_KEY:
        raise StoreError(f"meta key {key!r} is reserved for migrations")
    return key


def new_join_code_id() -> str:
    """A fresh opaque join code id: :data:`JOIN_CODE_ID_PREFIX` + 16 url-safe characters."""
    return JOIN_CODE_ID_PREFIX + secrets.token_urlsafe(12)


def _expiring_after_creation(row: JoinCodeRow, expires: str, created: str) -> JoinCodeRow:
    """``row`` if it expires after it was created, else StoreError naming the two fields."""
    if row.expires_at <= row.created_at:
        raise StoreError(f"{expires} ({row.expires_at}) must be after {created} ({row.created_at})")
    return row


def prepare_join_code(
    code: Any, player_id: Any, created_at: Any, expires_at: Any, max_live: Any
) -> JoinCodeRow:
    """Validate a ``mint_join_code`` call; the new (unrevoked) row with a new id, or StoreError."""
    row = JoinCodeRow(
        new_join_code_id(),
        require_join_code(code, "code"),
        require_text(player_id, "player_id"),
        require_int(created_at, "created_at", minimum=0),
        require_int(expires_at, "expires_at", minimum=0),
        None,
    )
    require_int(max_live, "max_live", minimum=1)
    return _expiring_after_creation(row, "expires_at", "created_at")


def _placeholder_row(record: Any, where: str) -> JoinCodeRow:
    if not isinstance(record, Mapping):
        raise StoreError(f"{where} must be an object, got {type(record).__name__}")
    code_id = require_text(record.get("id"), f"{where}.id")
    if len(code_id) > JOIN_CODE_ID_MAX:
        raise StoreError(f"{where}.id must be at most {JOIN_CODE_ID_MAX} characters, got {len(code_id)}")
    revoked_at = record.get("revokedAt")
    row = JoinCodeRow(
        code_id,
        None,
        require_text(record.get("playerId"), f"{where}.playerId"),
        require_int(record.get("createdAt"), f"{where}.createdAt", minimum=0),
        require_int(record.get("expiresAt"), f"{where}.expiresAt", minimum=0),
        None if revoked_at is None else require_int(revoked_at, f"{where}.revokedAt", minimum=0),
    )
    return _expiring_after_creation(row, f"{where}.expiresAt", f"{where}.createdAt")


def prepare_join_code_placeholders(records: Any, what: str = "join_codes") -> tuple[JoinCodeRow, ...]:
    """Validate a ``restore_join_codes`` call: the placeholder rows (no code), or StoreError.

    ``what`` names the records in error messages (``joinCodes[2].playerId ...``).
    """
    rows = tuple(_placeholder_row(r, f"{what}[{i}]") for i, r in enumerate(_items(records, what)))
    seen: set[str] = set()
    for row in rows:
        if row.id in seen:
            raise StoreError(f"duplicate join code id {row.id!r}")
        seen.add(row.id)
    return rows


def prepare_bot_link(
    player_id: Any, generation: Any, token_hash: Any, linked_at: Any
) -> BotLinkRow:
    """Validate a ``save_bot_link`` call; the row to store (``revoked_at`` not yet known)."""
    return BotLinkRow(
        require_text(player_id, "player_id"),
        require_int(generation, "generation", minimum=0),
        require_token_hash(token_hash),
        require_int(linked_at, "linked_at", minimum=0),
        None,
    )


def check_bot_link_generation(row: BotLinkRow, stored: BotLinkRow | None) -> None:
    """Refuse saving ``row`` over a link of a newer generation (a stale writer)."""
    if stored is not None and row.generation < stored.generation:
        raise StoreError(
            f"stale bot link for player {row.player_id!r}: generation {row.generation} "
            f"is older than the stored generation {stored.generation}"
        )


def next_bot_generation(player_id: str, stored: BotLinkRow | None) -> int:
    """The generation a revocation moves a player's bot link to."""
    if stored is None:
        return 1
    if stored.generation >= _INT64_MAX:
        raise StoreError(f"bot link generation of player {player_id!r} cannot go higher")
    return stored.generation + 1


def _short_text(value: Any, what: str, *, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    require_text(value, what)
    if len(value) > AUDIT_TEXT_MAX:
        raise StoreError(f"{what} must be at most {AUDIT_TEXT_MAX} characters, got {len(value)}")
    return value


def prepare_audit(record: Any, now_ms: int) -> AuditRow:
    """Validate an ``append_audit`` record; the row to store, or StoreError."""
    if not isinstance(record, Mapping):
        raise StoreError(f"audit record must be a dict, got {type(record).__name__}")
    at = record.get("at")
    detail = record.get("detail")
    return AuditRow(
        now_ms if at is None else require_int(at, "audit.at", minimum=0),
        _short_text(record.get("actor"), "audit.actor"),
        _short_text(record.get("action"), "audit.action"),
        _short_text(record.get("subject"), "audit.subject", optional=True),
        None if detail is None else encode_json(detail, "audit.detail"),
        _short_text(record.get("requestId"), "audit.requestId", optional=True),
    )


def check_audit_query(since_ms: Any, action: Any, limit: Any) -> None:
    """Validate a ``list_audit`` call."""
    if since_ms is not None:
        require_int(since_ms, "since_ms")
    if action is not None:
        require_text(action, "action")
    require_int(limit, "limit", minimum=1)
