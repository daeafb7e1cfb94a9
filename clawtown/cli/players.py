"""`clawtown players list|show`: the stored characters, as a table or one at a time."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ..ops import codes, players
from ..ops.players import EXPECTED_ERRORS
from ._common import (
    DEFAULT_DATA_DIR,
    DEFAULT_URL,
    DataDir,
    ServerUrl,
    console,
    fail,
    resolve_dir,
)
from .codes import format_time

app = typer.Typer(
    help="Players stored in the data dir.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


class SortKey(str, Enum):
    level = "level"
    name = "name"
    xp = "xp"
    zenny = "zenny"


@app.command("list")
def list_(
    online: Annotated[
        bool, typer.Option("--online", help="Only players online now (asks the running server at --url).")
    ] = False,
    sort: Annotated[
        SortKey, typer.Option("--sort", help="Order: level, xp, zenny (highest first) or name.", case_sensitive=False)
    ] = SortKey.level,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Show at most this many players.")] = 100,
    data_dir: DataDir = DEFAULT_DATA_DIR,
    url: ServerUrl = DEFAULT_URL,
) -> None:
    """List stored players in a table."""
    directory = resolve_dir(data_dir)
    try:
        only = players.online_player_ids(directory, url) if online else None
        listing = players.list_players(directory, sort=sort.value, limit=limit, only=only)
    except EXPECTED_ERRORS as err:
        fail(str(err))
    if not listing.players:
        console.print("no players online" if online else "no players stored", highlight=False)
        return
    shown = len(listing.players)
    title = f"{'online players' if online else 'players'}: {shown}"
    if shown < listing.matched:
        title += f" of {listing.matched} (--limit)"
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("id", no_wrap=True)
    table.add_column("name", no_wrap=True)
    table.add_column("job")
    for heading in ("level", "xp", "zenny"):
        table.add_column(heading, justify="right")
    table.add_column("map")
    table.add_column("mode")
    table.add_column("bot")
    for p in listing.players:
        table.add_row(
            p.id, Text(p.name), p.job, str(p.level), str(p.xp), str(p.zenny), p.map, p.mode,
            "linked" if p.linked_bot else "-",
        )
    console.print(table, highlight=False)


def _grid() -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    return grid


def _row(grid: Table, label: str, value: str) -> None:
    grid.add_row(label, Text(value))  # Text: names and texts players typed are never markup


def _bot_line(link: dict[str, Any] | None) -> str:
    if link is None:
        return "never linked"
    state = "linked" if link.get("tokenHash") else "no live token"
    line = f"{state}, generation {link['generation']}"
    if link.get("revokedAt") is not None:
        line += f", last revoked {format_time(link['revokedAt'])}"
    return line


@app.command("show")
def show(
    player: Annotated[str, typer.Argument(help="The player's id, or its name (any case).", show_default=False)],
    events: Annotated[int, typer.Option("--events", min=0, help="How many of the newest events to show.")] = 10,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Show one player: stats, inventory, equipment, party, bot link and newest events."""
    try:
        detail = players.player_detail(resolve_dir(data_dir), player, events=events, now_ms=codes.now_ms())
    except EXPECTED_ERRORS as err:
        fail(str(err))
    rec = detail.record
    grid = _grid()
    _row(grid, "id", rec["id"])
    _row(grid, "job", f"{rec.get('job', 'novice')}, level {rec.get('level', 1)} ({rec.get('xp', 0)} xp)")
    knocked_out = " (knocked out)" if rec.get("knockedOut") else ""
    _row(grid, "hp", f"{rec.get('hp', '?')} / {rec.get('maxHp', '?')}{knocked_out}")
    _row(grid, "zenny", str(rec.get("zenny", 0)))
    base = rec.get("baseStats") or {}
    stats = "  ".join(f"{k} {v}" for k, v in base.items())
    _row(grid, "stats", f"{stats}  (+{rec.get('statPoints', 0)} unspent)")
    where = f"{rec.get('map', 'town')} ch{rec.get('channel', 1)} at ({rec.get('x', '?')}, {rec.get('y', '?')})"
    _row(grid, "where", where)
    intent = f", intent: {rec['intent']}" if rec.get("intent") else ""
    _row(grid, "mode", f"{rec.get('mode', 'manual')}{intent}")
    inventory = detail.inventory
    items = ", ".join(f"{name} x{qty}" for name, qty in inventory[:8]) or "empty"
    if len(inventory) > 8:
        items += f", … ({len(inventory) - 8} more)"
    _row(grid, "inventory", f"{len(inventory)} row{'s' if len(inventory) != 1 else ''}: {items}" if inventory else items)
    _row(grid, "equipment", "  ".join(f"{slot}: {name or '-'}" for slot, name in detail.equipment.items()))
    if detail.party is not None:
        members = [detail.party_names.get(m, f"{m} (gone)") for m in detail.party.get("members", [])]
        leader = detail.party_names.get(detail.party.get("leaderId", ""), detail.party.get("leaderId", "?"))
        _row(grid, "party", f"{detail.party['id']}: {', '.join(members)} (leader {leader})")
    elif rec.get("partyId"):
        _row(grid, "party", f"{rec['partyId']} (not stored)")
    else:
        _row(grid, "party", "-")
    _row(grid, "bot", _bot_line(detail.bot_link))
    live = ", ".join(c["code"] for c in detail.live_codes)
    _row(grid, "join codes", f"{len(detail.live_codes)} live" + (f": {live}" if live else ""))
    _row(grid, "created", format_time(rec.get("createdAt") or None))
    _row(grid, "last seen", format_time(rec.get("seenAt") or None))
    parts: list[Any] = [grid]
    if detail.events:
        table = Table(title=f"newest {len(detail.events)} events", title_justify="left", expand=False)
        table.add_column("#", justify="right")
        table.add_column("at", no_wrap=True)
        table.add_column("kind")
        table.add_column("text", overflow="fold")
        for event in detail.events:
            table.add_row(str(event["id"]), format_time(event["at"]), Text(event["kind"]), Text(event["text"]))
        parts.append(table)
    elif events > 0:
        parts.append(Text("no events stored"))
    console.print(Panel(Group(*parts), title=Text(rec["name"]), title_align="left"), highlight=False)
