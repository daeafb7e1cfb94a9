"""`clawtown tokens revoke`: cut every bot token of a player off at once."""

from __future__ import annotations

from typing import Annotated

import typer

from ..ops import codes
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

app = typer.Typer(
    help="Bot tokens: what a linked bot authenticates with.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


@app.command("revoke")
def revoke(
    player: Annotated[str, typer.Argument(help="The player's id, or its name (any case).", show_default=False)],
    data_dir: DataDir = DEFAULT_DATA_DIR,
    url: ServerUrl = DEFAULT_URL,
) -> None:
    """Invalidate every bot token of PLAYER (its bot must link again with a new join code).

    Works on the data dir's database; a server running on it is asked at --url to drop the
    tokens it cached, and otherwise stops accepting them within 5 s.
    """
    try:
        done = codes.revoke_tokens(resolve_dir(data_dir), player, url=url)
    except EXPECTED_ERRORS as err:
        fail(str(err))
    console.print(
        f"revoked the bot tokens of {done.player_name} ({done.player_id}): generation is now "
        f"{done.generation}; every bot token of this player stopped working.",
        markup=False,
        highlight=False,
    )
    if done.server_forgot:
        console.print("The running server dropped the tokens it cached: the revocation acts now.", highlight=False)
    elif done.server_running:
        console.print(
            f"A server is running on this data dir: it forgets the tokens it cached within {done.cache_s:g} s.",
            markup=False,
            highlight=False,
        )
    console.print(
        f"To link a bot again: clawtown relink {done.player_id}", markup=False, highlight=False
    )
