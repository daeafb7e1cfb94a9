"""`clawtown export snapshot` and `clawtown import`: the game state as a documented file (clawtown.ops.snapshot)."""

from __future__ import annotations

import enum
import time
from typing import Annotated

import typer
from rich.table import Table

from ..ops.datadir import DataDirError
from ..ops.snapshot import SnapshotError, export_snapshot, import_snapshot
from ._common import DEFAULT_DATA_DIR, DataDir, console, fail, resolve_dir

export_app = typer.Typer(
    name="export",
    help="Export the game state (format: docs/snapshot-format.md).",
    no_args_is_help=True,
)


class SnapshotFormat(str, enum.Enum):
    json = "json"
    ndjson = "ndjson"


def show_counts(counts: dict[str, int]) -> None:
    table = Table(show_edge=False, pad_edge=False, box=None)
    table.add_column("section", style="cyan")
    table.add_column("records", justify="right")
    for name, count in counts.items():
        table.add_row(name, str(count))
    console.print(table)


@export_app.command("snapshot")
def snapshot(
    out: Annotated[str, typer.Option("--out", help="File to write (must not exist).", show_default=False)],
    data_dir: DataDir = DEFAULT_DATA_DIR,
    fmt: Annotated[
        SnapshotFormat,
        typer.Option("--format", help="json: one document; ndjson: one record per line.", case_sensitive=False),
    ] = SnapshotFormat.json,
    timestamp: Annotated[
        bool,
        typer.Option("--timestamp/--no-timestamp", help="Add an exportedAt field (then two exports of the same data differ)."),
    ] = False,
    db: Annotated[
        str | None,
        typer.Option("--db", help="Export this database file (e.g. a backup) instead of <data-dir>/clawtown.db.",
                     show_default=False),
    ] = None,
) -> None:
    """Write players and progression, events, parties, the board, join code metadata and bot links to a file.

    Reads one consistent snapshot, also while the server runs. Without --timestamp the output depends
    on the data only, so exporting, importing and exporting again gives the same bytes.
    """
    try:
        result = export_snapshot(
            resolve_dir(data_dir), out, fmt.value, db=db, exported_at=time.time() if timestamp else None
        )
    except (SnapshotError, DataDirError) as err:
        fail(str(err))
    console.print(
        f"snapshot written: [bold]{result.path}[/] ({result.format}, {result.size} bytes, schema v{result.schema_version})",
        highlight=False,
        soft_wrap=True,
    )
    show_counts(result.counts)


def import_command(
    file: Annotated[str, typer.Argument(help="Snapshot file (json or ndjson).", show_default=False)],
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Load a snapshot into an empty data dir (created if missing; no server may run there)."""
    data_dir = resolve_dir(data_dir)
    try:
        result = import_snapshot(data_dir, file)
    except (SnapshotError, DataDirError) as err:
        fail(str(err))
    console.print(f"imported {file} ({result.format}) into [bold]{data_dir}[/]", highlight=False, soft_wrap=True)
    show_counts(result.counts)
    if result.counts.get("joinCodes"):
        console.print(
            "  join codes come back as placeholders that can never be redeemed (a snapshot never holds the codes);"
            " players mint new ones",
            highlight=False,
            soft_wrap=True,
        )
    console.print(
        "  bots re-link with a new join code: bot tokens do not survive an import", highlight=False, soft_wrap=True
    )
