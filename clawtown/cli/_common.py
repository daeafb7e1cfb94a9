"""What every CLI command shares: the data-dir and url options, output consoles, clean failure."""

from __future__ import annotations

import os
from typing import Annotated, NoReturn

import typer
from rich.console import Console

console = Console()
err_console = Console(stderr=True)

DataDir = Annotated[
    str, typer.Option("--data-dir", envvar="CT_DATA_DIR", help="The server's data directory.", show_default=True)
]
ServerUrl = Annotated[
    str, typer.Option("--url", envvar="CT_URL", help="Base URL of the running server (admin API).", show_default=True)
]
DEFAULT_DATA_DIR = "./.data"
DEFAULT_URL = "http://127.0.0.1:8080"


def fail(message: str, code: int = 1) -> NoReturn:
    """One red line on stderr and a non-zero exit; nothing else is printed."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def resolve_dir(data_dir: str) -> str:
    return os.path.abspath(os.path.expanduser(data_dir))
