"""`clawtown join-code mint|list|revoke` and `clawtown relink`: join codes for players' bots."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ..ops import codes
from ..ops.players import EXPECTED_ERRORS
from ._common import DEFAULT_DATA_DIR, DataDir, console, fail, resolve_dir

app = typer.Typer(
    help="Join codes: short-lived codes a bot links with to control a player.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)

Player = Annotated[str, typer.Argument(help="The player's id, or its name (any case).", show_default=False)]
Ttl = Annotated[str, typer.Option("--ttl", help="How long the code stays valid: 30m, 2h, 1d, 1h30m (at most 30d).")]
BaseUrl = Annotated[
    str | None,
    typer.Option(
        "--base-url",
        help=f"Base URL bots reach the server at. Default: ${codes.BASE_URL_ENV}, else {codes.DEFAULT_BASE_URL}.",
        show_default=False,
    ),
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Print only the join token.")]


def format_time(ms: int | None) -> str:
    """A local date and time to the minute, or '-'."""
    if ms is None:
        return "-"
    return datetime.fromtimestamp(ms / 1000).astimezone().strftime("%Y-%m-%d %H:%M %Z").strip()


def _mint(data_dir: str, player: str, ttl: str, base_url: str | None, via: str = "mint") -> codes.MintedCode:
    try:
        return codes.mint_code(
            resolve_dir(data_dir), player, ttl_ms=codes.parse_ttl(ttl), base_url=codes.choose_base_url(base_url),
            via=via,
        )
    except EXPECTED_ERRORS as err:
        fail(str(err))


def _show_minted(minted: codes.MintedCode, title: str) -> None:
    # The token alone on the first line, unwrapped, so `| head -1` gets it.
    console.print(minted.token, markup=False, highlight=False, soft_wrap=True)
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(overflow="fold")
    grid.add_row("player", Text(f"{minted.player_name} ({minted.player_id})"))
    grid.add_row("code", minted.code)
    grid.add_row(
        "expires",
        f"{format_time(minted.expires_at)} (in {codes.format_duration(minted.expires_at - minted.created_at)})",
    )
    grid.add_row("join token", Text(minted.token))
    if minted.sandbox_token:
        grid.add_row("sandbox token", Text(minted.sandbox_token))
    grid.add_row("live codes", f"{minted.live_codes} of {codes.MAX_LIVE_CODES} (minting more drops the oldest)")
    console.print(Panel(grid, title=title, title_align="left", expand=False), highlight=False)


@app.command("mint")
def mint(
    player: Player,
    ttl: Ttl = "1d",
    base_url: BaseUrl = None,
    quiet: Quiet = False,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Mint a join code for PLAYER and print its join token (works while the server runs)."""
    minted = _mint(data_dir, player, ttl, base_url)
    if quiet:
        console.print(minted.token, markup=False, highlight=False, soft_wrap=True)
        return
    _show_minted(minted, "join code")


@app.command("list")
def list_(
    player: Annotated[
        str | None, typer.Option("--player", "-p", help="Only this player's codes (id or name).", show_default=False)
    ] = None,
    all_: Annotated[
        bool, typer.Option("--all", help="Also show expired, revoked and imported codes, with their ids.")
    ] = False,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """List live join codes (of one player with --player); --all adds their ids and states.

    An "imported" row is a placeholder a snapshot import put back: its metadata, no code.
    """
    try:
        rows = codes.list_codes(resolve_dir(data_dir), player, include_dead=all_)
    except EXPECTED_ERRORS as err:
        fail(str(err))
    if not rows:
        console.print("no live join codes" if not all_ else "no join codes")
        return
    table = Table(title=f"{len(rows)} join code{'s' if len(rows) != 1 else ''}", title_justify="left")
    table.add_column("code", no_wrap=True)
    table.add_column("player id", no_wrap=True)
    table.add_column("name")
    table.add_column("created")
    table.add_column("expires")
    if all_:
        table.add_column("state", no_wrap=True)
        table.add_column("id", no_wrap=True)
    for row in rows:
        cells = [
            row.code or "-",
            row.player_id,
            Text(row.player_name or "(gone)"),
            format_time(row.created_at),
            format_time(row.expires_at),
        ]
        if all_:
            cells += [row.state, row.id]
        table.add_row(*cells)
    console.print(table, highlight=False)


@app.command("revoke")
def revoke(
    code: Annotated[str, typer.Argument(help="The join code (any case), or a whole CT1|… join token.")],
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Revoke one join code: bots can no longer link with it (tokens already given keep working)."""
    try:
        row = codes.revoke_code(resolve_dir(data_dir), code)
    except EXPECTED_ERRORS as err:
        fail(str(err))
    who = f"{row.player_name} ({row.player_id})" if row.player_name else row.player_id
    console.print(f"revoked join code {row.code} of {who}", markup=False, highlight=False)


def relink(
    player: Player,
    ttl: Ttl = "1d",
    base_url: BaseUrl = None,
    quiet: Quiet = False,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Print a fresh join token for PLAYER, so its bot can link again and get its token back."""
    minted = _mint(data_dir, player, ttl, base_url, via="relink")
    if quiet:
        console.print(minted.token, markup=False, highlight=False, soft_wrap=True)
        return
    _show_minted(minted, "relink")
    console.print(
        "Linking with this token gives the bot its existing bot token back; it revokes nothing "
        "(use `clawtown tokens revoke` to cut old tokens off).",
        markup=False,
        highlight=False,
    )
