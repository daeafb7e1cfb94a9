"""The operator's command line: `clawtown …` (Typer sub-apps over clawtown.ops; Rich output)."""

from __future__ import annotations

import typer
from rich.console import Console

from .. import __version__

app = typer.Typer(
    name="clawtown",
    help="Operate a Clawtown server: the server itself runs with `twistd clawtown`.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
console = Console()


@app.callback()
def _root() -> None:
    """Operate a Clawtown server: the server itself runs with `twistd clawtown`."""


@app.command()
def version() -> None:
    """Print the installed Clawtown version."""
    console.print(f"clawtown {__version__}")


from . import live  # noqa: E402  (live actions through the admin API: announce, kick, status)

live.register(app)

from . import codes, db, players, tokens  # noqa: E402  (join codes, bot tokens, players, schema)

app.add_typer(codes.app, name="join-code")
app.command("relink")(codes.relink)
app.add_typer(tokens.app, name="tokens")
app.add_typer(players.app, name="players")
app.add_typer(db.app, name="db")

from . import backup, snapshot  # noqa: E402  (backups, snapshot export and import)

app.add_typer(backup.backup_app, name="backup")
app.add_typer(snapshot.export_app, name="export")
app.command("import")(snapshot.import_command)

from . import loadtest  # noqa: E402  (simulated players and bots against a running server)

loadtest.register(app)

from . import audit  # noqa: E402  (the audit trail)

app.command("audit")(audit.audit)


def main() -> None:
    app()
