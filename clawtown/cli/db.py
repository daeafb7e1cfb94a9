"""`clawtown db migrate`: bring the data dir's database schema up to date."""

from __future__ import annotations

import typer

from ..ops import schema
from ..ops.players import EXPECTED_ERRORS
from ._common import DEFAULT_DATA_DIR, DataDir, console, fail, resolve_dir

app = typer.Typer(
    help="The data dir's database.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


@app.command("migrate")
def migrate(data_dir: DataDir = DEFAULT_DATA_DIR) -> None:
    """Apply pending schema migrations and print the schema version."""
    try:
        done = schema.migrate_data_dir(resolve_dir(data_dir))
    except EXPECTED_ERRORS as err:
        fail(str(err))
    if done.changed:
        console.print(f"migrated the database from schema v{done.before} to v{done.after}", highlight=False)
    else:
        console.print(f"the database is up to date: schema v{done.after}", highlight=False)
