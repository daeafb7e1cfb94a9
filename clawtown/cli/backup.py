"""`clawtown backup create|verify|restore`: online backups of the data dir's database (clawtown.ops.backup)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from ..ops.backup import (
    BackupError,
    DbSummary,
    create_backup,
    newest_backup,
    restore_backup,
    verify_backup,
)
from ..ops.datadir import DataDirError
from ..store.migrations import SCHEMA_VERSION
from ._common import DEFAULT_DATA_DIR, DataDir, console, err_console, fail, resolve_dir

backup_app = typer.Typer(
    name="backup",
    help="Back up, verify and restore the database (backups are safe while the server runs).",
    no_args_is_help=True,
)


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def show_summary(summary: DbSummary, title: str) -> None:
    """Size, schema version and a table of row counts."""
    version = "unreadable" if summary.schema_version is None else f"v{summary.schema_version}"
    console.print(f"{title}: [bold]{summary.path}[/]", highlight=False, soft_wrap=True)
    console.print(f"  size {human_size(summary.size)} ({summary.size} bytes), schema {version}", highlight=False)
    if summary.counts:
        table = Table(show_edge=False, pad_edge=False, box=None)
        table.add_column("table", style="cyan")
        table.add_column("rows", justify="right")
        for name, count in summary.counts.items():
            table.add_row(name, str(count))
        console.print(table)


@backup_app.command("create")
def create(
    data_dir: DataDir = DEFAULT_DATA_DIR,
    out: Annotated[
        str | None,
        typer.Option("--out", help="Backup file to write (must not exist). Default: <data-dir>/backups/clawtown-<UTC time>.db"),
    ] = None,
) -> None:
    """Copy the database into a backup file, consistently, even while the server writes to it."""
    data_dir = resolve_dir(data_dir)
    error = None
    progress = Progress(
        TextColumn("backing up"), BarColumn(), DownloadColumn(), TimeRemainingColumn(),
        console=err_console, transient=True, disable=not err_console.is_terminal,
    )
    with progress:
        task = progress.add_task("backup", total=None)

        def advance(pages: int, total: int) -> None:
            progress.update(task, completed=pages, total=total)

        try:
            summary = create_backup(data_dir, out, progress=advance)
        except (BackupError, DataDirError) as err:
            error = str(err)
    if error is not None:
        fail(error)
    show_summary(summary, "backup written")


@backup_app.command("verify")
def verify(
    file: Annotated[
        str | None,
        typer.Argument(help="Backup file to check. Default: the newest one in <data-dir>/backups", show_default=False),
    ] = None,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Check a backup: SQLite integrity check, schema version, rows per table."""
    try:
        path = file if file is not None else newest_backup(resolve_dir(data_dir))
        summary = verify_backup(path)
    except BackupError as err:
        fail(str(err))
    show_summary(summary, "backup ok")
    if summary.too_new:
        err_console.print(
            f"[yellow]warning:[/] schema v{summary.schema_version} is newer than this clawtown "
            f"(v{SCHEMA_VERSION}): restore would refuse it",
            highlight=False,
            soft_wrap=True,
        )


@backup_app.command("restore")
def restore(
    file: Annotated[str, typer.Argument(help="Backup file to restore.", show_default=False)],
    data_dir: DataDir = DEFAULT_DATA_DIR,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Replace the current database without asking.")] = False,
) -> None:
    """Replace the data dir's database with a backup (the server must be stopped).

    The backup is verified first; the current database is kept in <data-dir>/replaced/.
    """
    data_dir = resolve_dir(data_dir)

    def confirm(restored: DbSummary, current: DbSummary | None) -> bool:
        if current is None or yes:
            return True
        players = current.counts.get("players")
        held = "unreadable" if players is None else f"{players} players"
        console.print(
            f"{current.path} ({held}) will be replaced by {restored.path} "
            f"({restored.counts.get('players', 0)} players) and moved to replaced/.",
            highlight=False,
            soft_wrap=True,
        )
        try:
            return typer.confirm("Restore?", default=False)
        except typer.Abort:  # no answer (end of input)
            console.print()
            return False

    try:
        result = restore_backup(data_dir, file, confirm=confirm)
    except (BackupError, DataDirError) as err:
        fail(str(err))
    if result is None:
        fail("restore cancelled: nothing changed (pass --yes to skip the question)")
    show_summary(result.restored, "restored")
    console.print(f"  into {result.target}", highlight=False, soft_wrap=True)
    for path in result.replaced:
        console.print(f"  the replaced file is kept as {path}", highlight=False, soft_wrap=True)
    if not result.replaced:
        console.print("  (the data dir had no database: nothing was replaced)", highlight=False)
    if result.audit_error is not None:
        err_console.print(
            f"[yellow]warning:[/] the restore is not in the audit trail: {result.audit_error}",
            highlight=False,
            soft_wrap=True,
        )
