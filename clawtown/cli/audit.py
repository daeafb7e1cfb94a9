"""`clawtown audit`: the audit trail (admin actions, bot links, codes, tokens, restores) as a table."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from ..ops import audit as ops_audit
from ..ops.players import EXPECTED_ERRORS
from ..store.base import DEFAULT_AUDIT_LIMIT
from ._common import DEFAULT_DATA_DIR, DataDir, console, fail, resolve_dir


def _local_time(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _detail(value: Any) -> str:
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))


def _as_json(entry: dict[str, Any]) -> dict[str, Any]:
    return {**entry, "time": ops_audit.iso_ms(entry["at"])}


def audit(
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            help="Only entries from this long ago (30m, 1h, 2d, 1h30m) or since this ISO date/time "
            "(2025-01-31, 2025-01-31T12:00Z; no zone: local time).",
            show_default=False,
        ),
    ] = None,
    action: Annotated[
        str | None,
        typer.Option("--action", help="Only this action, e.g. bot.link or tokens.revoke.", show_default=False),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="Show at most this many (the newest).")] = DEFAULT_AUDIT_LIMIT,
    as_json: Annotated[bool, typer.Option("--json", help="Print the entries as a JSON array.")] = False,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Show the audit trail, newest last: who linked, revoked, minted, kicked, restored or imported.

    Works while the server runs (it reads the data dir's database).
    """
    try:
        since_ms = None if since is None else ops_audit.parse_since(since, ops_audit.now_ms())
        listing = ops_audit.list_audit(resolve_dir(data_dir), since_ms=since_ms, action=action, limit=limit)
    except EXPECTED_ERRORS as err:
        fail(str(err))
    if as_json:
        # typer.echo, not Rich: the JSON must come out unwrapped and unhighlighted.
        typer.echo(json.dumps([_as_json(e) for e in listing.entries], ensure_ascii=False))
        return
    if not listing.entries:
        console.print("no audit entries" + (" match" if since is not None or action is not None else ""),
                      highlight=False)
        return
    count = len(listing.entries)
    title = f"{count} audit entr{'ies' if count != 1 else 'y'}"
    if listing.maybe_more:
        title += f" (the newest {count}; --limit shows more)"
    table = Table(title=title, title_justify="left")
    table.add_column("time", no_wrap=True)
    table.add_column("actor", overflow="fold")
    table.add_column("action", no_wrap=True, style="bold")
    table.add_column("subject", overflow="fold")
    table.add_column("detail", overflow="fold")
    table.add_column("request id", overflow="fold", style="dim")
    for entry in listing.entries:
        table.add_row(
            _local_time(entry["at"]),
            Text(entry["actor"]),
            Text(entry["action"]),
            Text(entry["subject"] or "-"),
            Text(_detail(entry["detail"])),
            Text(entry["requestId"] or "-"),
        )
    console.print(table, highlight=False)
