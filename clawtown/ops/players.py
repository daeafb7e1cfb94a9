"""Players as operators see them: find one by id or name, list them, inspect one record.

Everything reads the data dir's database through :func:`store_session`, which opens it with
``open_existing_store`` (never creating one), closes it again, and turns a database held by
another writer into one readable :class:`ToolError`.  The running server's admin API is asked
only for what the database cannot know: who is online right now.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ..keys import ServerKeyError
from ..sim.items import CATALOG, EQUIP_SLOTS
from ..store import SqliteStore, StoreError
from ..store.sqlite import DEFAULT_BUSY_TIMEOUT_MS
from .admin_token import admin_token_for
from .datadir import DataDirError, open_existing_store, require_data_dir


class ToolError(Exception):
    """An operator command refused; ``str(error)`` is one line meant for a human."""


class PlayerNotFound(ToolError):
    """No player has this id or name."""


class AmbiguousPlayer(ToolError):
    """Several players share this name; ``ids`` lists them."""

    def __init__(self, name: str, ids: list[str]) -> None:
        super().__init__(f"{len(ids)} players are named {name!r}: {', '.join(ids)} (pass an id instead)")
        self.ids = ids


class AdminApiError(ToolError):
    """The server at --url could not be reached, refused the admin token or answered oddly."""


#: What the operator commands expect to go wrong; the CLI prints these as one line.
EXPECTED_ERRORS: tuple[type[Exception], ...] = (ToolError, DataDirError, StoreError, ServerKeyError, OSError)

_LOCKED = ("database is locked", "database is busy")


def _is_locked(err: Exception) -> bool:
    return any(text in str(err) for text in _LOCKED)


def _locked_error(data_dir: str) -> ToolError:
    return ToolError(
        f"the database in {data_dir} is locked by another writer (waited "
        f"{DEFAULT_BUSY_TIMEOUT_MS / 1000:g} s); nothing was changed, try again"
    )


@contextmanager
def store_session(data_dir: str) -> Iterator[SqliteStore]:
    """The data dir's store, closed on the way out; a locked database becomes a ToolError."""
    try:
        store = open_existing_store(data_dir)
    except DataDirError as err:
        if _is_locked(err):
            raise _locked_error(data_dir) from None
        raise
    try:
        yield store
    except StoreError as err:
        if _is_locked(err):
            raise _locked_error(data_dir) from None
        raise
    finally:
        store.close()


def resolve_player(store: SqliteStore, ref: str) -> dict[str, Any]:
    """The player whose id is ``ref``, else the one whose name is ``ref`` (any case)."""
    ref = ref.strip()
    if not ref:
        raise PlayerNotFound("no player given (pass an id or a name)")
    record = store.get_player(ref)
    if record is not None:
        return record
    matches = store.find_players_by_name(ref)
    if not matches:
        raise PlayerNotFound(f"no player with id or name {ref!r}")
    if len(matches) > 1:
        raise AmbiguousPlayer(ref, [m["id"] for m in matches])
    return matches[0]


# ------------------------------------------------------------------------------ listing

SORT_KEYS = ("level", "name", "xp", "zenny")


@dataclass(frozen=True)
class PlayerSummary:
    """One row of `players list`."""

    id: str
    name: str
    job: str
    level: int
    xp: int
    zenny: int
    map: str
    mode: str
    linked_bot: bool

    @classmethod
    def of(cls, record: dict[str, Any]) -> PlayerSummary:
        return cls(
            id=record["id"],
            name=record["name"],
            job=str(record.get("job", "novice")),
            level=int(record.get("level", 1)),
            xp=int(record.get("xp", 0)),
            zenny=int(record.get("zenny", 0)),
            map=str(record.get("map", "town")),
            mode=str(record.get("mode", "manual")),
            linked_bot=bool(record.get("linkedBot", False)),
        )


_SORTS: dict[str, Callable[[PlayerSummary], Any]] = {
    "level": lambda p: (-p.level, -p.xp, p.name.lower(), p.id),
    "name": lambda p: (p.name.lower(), p.id),
    "xp": lambda p: (-p.xp, p.name.lower(), p.id),
    "zenny": lambda p: (-p.zenny, p.name.lower(), p.id),
}


@dataclass(frozen=True)
class PlayerListing:
    players: list[PlayerSummary]
    """The rows to show, sorted and cut to the limit."""
    matched: int
    """How many players matched before the limit."""
    total: int
    """How many players the database holds."""


def list_players(
    data_dir: str, *, sort: str = "level", limit: int | None = None, only: Iterable[str] | None = None
) -> PlayerListing:
    """Stored players sorted by ``sort`` (level, xp, zenny: highest first; name: A to Z).

    ``only`` keeps just these ids (e.g. the online ones); ``limit`` cuts the list.
    """
    if sort not in _SORTS:
        raise ToolError(f"cannot sort by {sort!r}: use one of {', '.join(SORT_KEYS)}")
    if limit is not None and limit < 1:
        raise ToolError(f"--limit must be at least 1, got {limit}")
    with store_session(data_dir) as store:
        records = store.load_players()
    total = len(records)
    if only is not None:
        wanted = set(only)
        records = [r for r in records if r["id"] in wanted]
    rows = sorted((PlayerSummary.of(r) for r in records), key=_SORTS[sort])
    return PlayerListing(rows if limit is None else rows[:limit], len(rows), total)


# ------------------------------------------------------------------------------- detail


@dataclass(frozen=True)
class PlayerDetail:
    """Everything `players show` prints about one player."""

    record: dict[str, Any]
    party: dict[str, Any] | None
    party_names: dict[str, str]
    """Names of the party's members by id (members no longer stored are missing)."""
    bot_link: dict[str, Any] | None
    live_codes: list[dict[str, Any]]
    events: list[dict[str, Any]]
    """The newest events, oldest first."""

    @property
    def inventory(self) -> list[tuple[str, int]]:
        """(item name, quantity) per inventory row, largest stacks first."""
        rows = [
            (_item_name(row.get("itemId")), int(row.get("qty", 1)))
            for row in self.record.get("inventory") or []
            if isinstance(row, dict)
        ]
        return sorted(rows, key=lambda r: (-r[1], r[0]))

    @property
    def equipment(self) -> dict[str, str | None]:
        """Slot -> the equipped item's name (None for an empty slot)."""
        by_uid = {row.get("uid"): row for row in self.record.get("inventory") or [] if isinstance(row, dict)}
        slots = dict.fromkeys(EQUIP_SLOTS)
        for slot, uid in (self.record.get("equipment") or {}).items():
            row = by_uid.get(uid) if uid else None
            slots[slot] = None if row is None else _item_name(row.get("itemId"))
        return slots


def _item_name(item_id: Any) -> str:
    item = CATALOG.get(item_id) if isinstance(item_id, str) else None
    return item.name if item is not None else str(item_id)


def player_detail(data_dir: str, ref: str, *, events: int = 10, now_ms: int) -> PlayerDetail:
    """One player's record with its party, bot link, live join codes and last ``events``."""
    with store_session(data_dir) as store:
        record = resolve_player(store, ref)
        player_id = record["id"]
        party = None
        names: dict[str, str] = {}
        if record.get("partyId"):
            party = next((p for p in store.load_parties() if p["id"] == record["partyId"]), None)
        if party is not None:
            for member in party.get("members", []):
                found = store.get_player(member) if isinstance(member, str) and member else None
                if found is not None:
                    names[member] = found["name"]
        newest = store.newest_event_seq(player_id)
        recent: list[dict[str, Any]] = []
        if newest is not None and events > 0:
            recent = store.list_events(player_id, after_seq=newest - events, limit=events)
        return PlayerDetail(
            record=record,
            party=party,
            party_names=names,
            bot_link=store.get_bot_link(player_id),
            live_codes=store.list_join_codes(player_id, now=now_ms),
            events=recent,
        )


# ------------------------------------------------------------------------------- online

ADMIN_PREFIX = "/api/admin/"
ADMIN_TIMEOUT_S = 5.0


def admin_call(
    data_dir: str, url: str, method: str, path: str, body: dict[str, Any] | None = None,
    *, timeout: float = ADMIN_TIMEOUT_S,
) -> Any:
    """Call ``/api/admin/<path>`` of the server at ``url`` with the admin token of ``data_dir``.

    The decoded JSON answer; AdminApiError if the server cannot be reached, refuses the
    token or answers something else than JSON.
    """
    require_data_dir(data_dir)
    token = admin_token_for(data_dir)
    base = url.strip().rstrip("/")
    parts = urllib.parse.urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise AdminApiError(f"--url must be http://HOST:PORT or https://HOST (got {url!r})")
    request = urllib.request.Request(
        base + ADMIN_PREFIX + path,
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
            "Content-Type": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
    except urllib.error.HTTPError as err:
        if err.code == 401:
            raise AdminApiError(
                f"the server at {base} refused the admin token: is {data_dir} its data dir?"
            ) from None
        if err.code == 429:
            raise AdminApiError(
                f"the server at {base} refuses admin calls from here for a while (too many bad tokens)"
            ) from None
        raise AdminApiError(f"the server at {base} answered HTTP {err.code} to {ADMIN_PREFIX}{path}") from None
    except (urllib.error.URLError, OSError, ValueError) as err:
        reason = getattr(err, "reason", err)
        raise AdminApiError(f"cannot reach the server at {base} ({reason}): start it or pass --url") from None
    try:
        return json.loads(raw)
    except ValueError:
        raise AdminApiError(f"the server at {base} did not answer JSON: is it a Clawtown server?") from None


def _ids_in(body: Any) -> set[str] | None:
    """Player ids in an answer of GET /api/admin/online ({"players": [{"id": ...}, ...]})."""
    rows = body.get("players") if isinstance(body, dict) else None
    if not isinstance(rows, list):
        return None
    ids = {row.get("id") if isinstance(row, dict) else None for row in rows}
    return ids if all(isinstance(i, str) for i in ids) else None


def online_player_ids(data_dir: str, url: str, *, timeout: float = ADMIN_TIMEOUT_S) -> set[str]:
    """Ids of the players online now on the server at ``url`` (its admin API)."""
    ids = _ids_in(admin_call(data_dir, url, "GET", "online", timeout=timeout))
    if ids is None:
        raise AdminApiError(f"the server at {url} sent an unexpected answer to {ADMIN_PREFIX}online")
    return ids
