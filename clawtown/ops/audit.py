"""The audit trail for operators: record what a CLI command did, and read the trail back.

Commands that change who can act (codes, tokens) or replace data (restore, import) call
:func:`record_audit` on the store they worked with, right after the change, as actor ``cli``.
Entries never hold a secret: join codes appear as :func:`~clawtown.engine.audit.code_marker`.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..engine.audit import CLI, audit_entry
from ..store.base import DEFAULT_AUDIT_LIMIT, Store
from .players import ToolError, store_session

MAX_LIMIT = 100_000

_AGO = re.compile(r"(?:\d+[smhdw])+")
_AGO_PART = re.compile(r"(\d+)([smhdw])")
_UNIT_MS = {"s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 7 * 86_400_000}


def record_audit(
    store: Store,
    actor: str,
    action: str,
    subject: str | None = None,
    detail: dict[str, Any] | None = None,
    *,
    at: int | None = None,
) -> dict[str, Any]:
    """Append one audit entry to ``store`` (``at`` defaults to the store's clock); the stored entry."""
    return store.append_audit(audit_entry(at, actor, action, subject, detail))


def record_cli(store: Store, action: str, subject: str | None = None, detail: dict[str, Any] | None = None,
               *, at: int | None = None) -> dict[str, Any]:
    """:func:`record_audit` with the CLI as the actor."""
    return record_audit(store, CLI, action, subject, detail, at=at)


def parse_since(text: str, now_ms: int) -> int:
    """The ms timestamp ``--since`` names: a duration back from now (``90s``, ``1h``, ``2d``,
    ``1h30m``, ``1w``) or an ISO 8601 date/time (without a zone: local time)."""
    value = text.strip()
    compact = value.lower().replace(" ", "")
    if _AGO.fullmatch(compact):
        return now_ms - sum(int(n) * _UNIT_MS[unit] for n, unit in _AGO_PART.findall(compact))
    iso = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    try:
        when = datetime.fromisoformat(iso)
    except ValueError:
        raise ToolError(
            f"--since must be a duration such as 30m, 1h or 2d, or an ISO date/time such as "
            f"2025-01-31 or 2025-01-31T12:00Z (got {text!r})"
        ) from None
    if when.tzinfo is None:
        when = when.astimezone()  # a naive time is the operator's local time
    return int(when.timestamp() * 1000)


@dataclass(frozen=True)
class AuditListing:
    entries: list[dict[str, Any]]
    """Oldest first (newest last)."""
    since_ms: int | None
    action: str | None
    limit: int

    @property
    def maybe_more(self) -> bool:
        """True when the limit cut older entries off."""
        return len(self.entries) >= self.limit


def list_audit(
    data_dir: str, *, since_ms: int | None = None, action: str | None = None, limit: int = DEFAULT_AUDIT_LIMIT
) -> AuditListing:
    """The newest ``limit`` audit entries of the data dir (since ``since_ms``, of ``action``)."""
    if limit < 1 or limit > MAX_LIMIT:
        raise ToolError(f"--limit must be from 1 to {MAX_LIMIT}, got {limit}")
    if action is not None and not action.strip():
        raise ToolError("--action must not be empty")
    action = None if action is None else action.strip()
    with store_session(data_dir) as store:
        entries = store.list_audit(since_ms=since_ms, action=action, limit=limit)
    return AuditListing(entries, since_ms, action, limit)


def now_ms() -> int:
    return int(time.time() * 1000)


def iso_ms(ms: int) -> str:
    """An audit timestamp as ISO 8601 UTC with milliseconds (for --json)."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
