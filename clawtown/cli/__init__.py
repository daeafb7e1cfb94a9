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


def main() -> None:
    app()
