"""Live actions on a running server, through its admin API: `announce`, `kick`, `status`.

The admin token is derived from `<data-dir>/server.key` (clawtown.ops.admin_token), so these
commands need read access to the server's data dir and its URL. Every failure (no data dir, no
key, server unreachable, token refused, unknown player) is one red line and exit code 1, and
the server is left as it was.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from typing import Annotated

import typer
from rich.table import Table

from ..keys import ServerKeyError
from ..ops.admin_token import admin_token_for
from ._common import (
    DEFAULT_DATA_DIR,
    DEFAULT_URL,
    DataDir,
    ServerUrl,
    console,
    fail,
    resolve_dir,
)

TIMEOUT_S = 5.0


class AdminClient:
    """Calls /api/admin/* of the server at `url` with the admin token of `data_dir`."""

    def __init__(self, data_dir: str, url: str, timeout: float = TIMEOUT_S) -> None:
        self.data_dir = resolve_dir(data_dir)
        self.url = url.strip().rstrip("/")
        self.timeout = timeout
        parsed = urllib.parse.urlsplit(self.url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            fail(f"invalid --url {url!r}: expected http://HOST:PORT")
        if not os.path.isdir(self.data_dir):
            fail(f"data dir not found: {self.data_dir} (set --data-dir or CT_DATA_DIR)")
        try:
            self.token = admin_token_for(self.data_dir)
        except FileNotFoundError as err:
            fail(str(err))
        except PermissionError:
            fail(f"cannot read the server key in {self.data_dir}: permission denied (run as the server's user)")
        except (ServerKeyError, OSError) as err:
            fail(f"cannot use the server key in {self.data_dir}: {err}")

    def call(self, method: str, path: str, body: dict | None = None, not_found: str | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{self.url}/api/admin/{path}", data=data, method=method,
            headers={"authorization": f"Bearer {self.token}", "content-type": "application/json",
                     "accept": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as err:
            self._refused(err, not_found)
        except (urllib.error.URLError, OSError) as err:
            reason = getattr(err, "reason", err)
            fail(f"cannot reach the server at {self.url}: {reason}")
        try:
            answer = json.loads(raw)
        except ValueError:
            fail(f"{self.url} did not answer JSON: is it a Clawtown server?")
        if not isinstance(answer, dict):
            fail(f"{self.url} gave an unexpected answer: is it a Clawtown server?")
        return answer

    def _refused(self, err: urllib.error.HTTPError, not_found: str | None):
        try:
            message = json.loads(err.read() or b"{}").get("error") or err.reason
        except (ValueError, AttributeError, OSError):
            message = err.reason
        if err.code == 401:
            fail(f"the server at {self.url} refused the admin token: is {self.data_dir} its data dir?")
        if err.code == 404 and message == "not found":
            fail(f"{self.url} has no admin API: is it a Clawtown server of this version?")
        if err.code == 404 and not_found:
            fail(not_found.format(message=message))
        if err.code == 429:
            fail(f"the server at {self.url} refuses admin calls from here for a while (too many bad tokens)")
        fail(f"{message} (HTTP {err.code})")


Text = Annotated[str, typer.Argument(help="What to say (at most 280 characters).", show_default=False)]
Player = Annotated[str, typer.Argument(help="Player id or name.", show_default=False)]


def announce(text: Text, data_dir: DataDir = DEFAULT_DATA_DIR, url: ServerUrl = DEFAULT_URL) -> None:
    """Say something to everyone online: a global system line in every chat."""
    if not text.strip():
        fail("nothing to announce: TEXT is empty")
    if len(text) > 280:
        fail(f"TEXT is {len(text)} characters long; at most 280")
    answer = AdminClient(data_dir, url).call("POST", "announce", {"text": text})
    console.print(f"announced to {answer.get('connections', 0)} connection(s): {answer.get('text', text)}",
                  highlight=False, markup=False)


def kick(player: Player, data_dir: DataDir = DEFAULT_DATA_DIR, url: ServerUrl = DEFAULT_URL) -> None:
    """Close every WebSocket of an online player (close code 4003 "kicked")."""
    answer = AdminClient(data_dir, url).call("POST", "kick", {"player": player},
                                             not_found=f"{player!r}: {{message}}")
    console.print(f"kicked {answer.get('name')} ({answer.get('playerId')}): "
                  f"{answer.get('closed', 0)} socket(s) closed", highlight=False, markup=False)


def status(
    data_dir: DataDir = DEFAULT_DATA_DIR,
    url: ServerUrl = DEFAULT_URL,
    as_json: Annotated[bool, typer.Option("--json", help="Print the raw JSON answer.")] = False,
) -> None:
    """Health of a running server: readiness, players online per map, tick and store lag."""
    s = AdminClient(data_dir, url).call("GET", "status")
    if as_json:
        console.print_json(data=s)
        return
    ready = "[green]yes[/]" if s.get("ready") else "[red]no[/]"
    store = "[green]ok[/]" if s.get("storeOk", True) else f"[red]failing[/] ({s.get('commitFailures', 0)} failures)"
    tick_ms = s.get("tickMs") or {}
    inbox = s.get("inbox") or {}
    overview = Table(title=f"Clawtown at {url}", show_header=False, title_justify="left")
    overview.add_column("what", style="bold")
    overview.add_column("value")
    overview.add_row("ready", ready)
    overview.add_row("server time", str(s.get("time", "")))
    overview.add_row("players online", f"{s.get('playersOnline', 0)} ({s.get('playersInWorld', 0)} in the world)")
    overview.add_row("connections", str(s.get("connections", 0)))
    overview.add_row("tick lag", f"{s.get('tickLagS', 0.0) * 1000:.1f} ms")
    overview.add_row("tick time p50 / p99", f"{tick_ms.get('p50', 0.0):.2f} / {tick_ms.get('p99', 0.0):.2f} ms")
    overview.add_row("store lag", f"{s.get('storeLagMs', 0.0):.0f} ms")
    overview.add_row("last commit", f"{s.get('commitMs', 0.0):.1f} ms")
    overview.add_row("store", store)
    overview.add_row("inbox", f"{inbox.get('length', 0)} queued, {inbox.get('drops', 0)} dropped")
    console.print(overview)
    maps = Table(title="Players online per map channel", title_justify="left")
    maps.add_column("map")
    maps.add_column("channel", justify="right")
    maps.add_column("online", justify="right")
    maps.add_column("in world", justify="right")
    for row in s.get("instances") or []:
        maps.add_row(str(row.get("map")), str(row.get("channel")), str(row.get("online", 0)),
                     str(row.get("population", "")))
    console.print(maps)


def register(app: typer.Typer) -> None:
    app.command()(announce)
    app.command()(kick)
    app.command()(status)
