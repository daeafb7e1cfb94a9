"""The load test's options, checked before anything is started (pure: no I/O but path checks)."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from urllib.parse import urlsplit

SCENARIOS = ("wander", "hunt", "crowd", "chat")
BOT_JOINS = ("link", "spawn")
MAX_CLIENTS = 20_000
MAX_PROCS = 64
MAX_DURATION_S = 24 * 3600.0
MAX_RAMP_S = 3600.0
CLIENTS_PER_PROC = 400
"""With --procs left out: one worker process per this many clients (at most one per CPU)."""


class OptionError(ValueError):
    """An option is invalid; the message names it and says what is expected."""


@dataclass(frozen=True)
class Options:
    url: str
    players: int
    bots: int
    duration: float
    ramp: float = 0.0
    scenario: str = "wander"
    procs: int = 1
    out: str | None = None
    plot: str | None = None
    seed: int = 1
    bot_join: str = "link"
    scheme: str = field(default="http")
    host: str = field(default="127.0.0.1")
    port: int = field(default=80)
    base_path: str = field(default="")

    @property
    def clients(self) -> int:
        return self.players + self.bots

    @property
    def ws_base(self) -> str:
        scheme = "wss" if self.scheme == "https" else "ws"
        return f"{scheme}://{_netloc(self.host, self.port)}{self.base_path}"

    @property
    def http_base(self) -> str:
        return f"{self.scheme}://{_netloc(self.host, self.port)}{self.base_path}"


def _netloc(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _int(name: str, raw, lo: int, hi: int) -> int:
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        raise OptionError(f"{name} must be a whole number, not {raw!r}") from None
    if not lo <= value <= hi:
        raise OptionError(f"{name} must be between {lo} and {hi:,}, not {value}")
    return value


def _seconds(name: str, raw, lo: float, hi: float, allow_zero: bool) -> float:
    try:
        value = float(str(raw).strip().removesuffix("s"))
    except (TypeError, ValueError):
        raise OptionError(f"{name} must be a number of seconds, not {raw!r}") from None
    if not math.isfinite(value) or value < lo or value > hi or (value == 0 and not allow_zero):
        bound = f"at least {lo:g}" if allow_zero else "more than 0"
        raise OptionError(f"{name} must be {bound} and at most {hi:g} seconds, not {raw}")
    return value


def _output(name: str, path: str | None, suffix: str) -> str | None:
    if path is None:
        return None
    path = str(path).strip()
    if not path:
        raise OptionError(f"{name} needs a file name")
    if suffix and not path.lower().endswith(suffix):
        raise OptionError(f"{name} must name a {suffix} file, not {path!r}")
    full = os.path.abspath(os.path.expanduser(path))
    parent = os.path.dirname(full)
    if os.path.isdir(full):
        raise OptionError(f"{name} {path!r} is a directory")
    if not os.path.isdir(parent):
        raise OptionError(f"{name}: the directory {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise OptionError(f"{name}: cannot write into {parent}")
    return full


def parse_url(raw: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, base path) of the server's base URL."""
    text = str(raw or "").strip()
    if not text:
        raise OptionError("--url is required: the server's base URL, e.g. http://127.0.0.1:8080")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise OptionError(f"invalid --url {raw!r}: expected http://HOST:PORT") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OptionError(f"invalid --url {raw!r}: expected http://HOST:PORT (or https://)")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise OptionError(f"invalid --url {raw!r}: give the server's base URL only (no query, fragment or user)")
    if port is None:
        port = 443 if parts.scheme == "https" else 80
    return parts.scheme, parts.hostname, port, parts.path.rstrip("/")


def auto_procs(clients: int, cpus: int | None = None) -> int:
    cpus = cpus or os.cpu_count() or 1
    return max(1, min(cpus, math.ceil(clients / CLIENTS_PER_PROC)))


def validate(url, players="0", bots="0", duration=None, ramp="0", scenario="wander", procs=None, out=None,
             plot=None, seed="1", bot_join="link") -> Options:
    """Options from the command line's strings; raises OptionError with a one-line reason."""
    scheme, host, port, base_path = parse_url(url)
    n_players = _int("--players", players, 0, MAX_CLIENTS)
    n_bots = _int("--bots", bots, 0, MAX_CLIENTS)
    if n_players + n_bots == 0:
        raise OptionError("nothing to simulate: give --players N and/or --bots M (at least one client)")
    if n_players + n_bots > MAX_CLIENTS:
        raise OptionError(f"--players + --bots must be at most {MAX_CLIENTS:,}")
    if duration is None:
        raise OptionError("--duration is required: how many seconds to hold the load")
    dur = _seconds("--duration", duration, 0.0, MAX_DURATION_S, allow_zero=False)
    rmp = _seconds("--ramp", ramp, 0.0, MAX_RAMP_S, allow_zero=True)
    scen = str(scenario).strip().lower()
    if scen not in SCENARIOS:
        raise OptionError(f"--scenario must be one of {', '.join(SCENARIOS)}, not {scenario!r}")
    join = str(bot_join).strip().lower()
    if join not in BOT_JOINS:
        raise OptionError(f"--bot-join must be one of {', '.join(BOT_JOINS)}, not {bot_join!r}")
    if procs is None or str(procs).strip().lower() in ("", "auto"):
        n_procs = auto_procs(n_players + n_bots)
    else:
        n_procs = _int("--procs", procs, 1, MAX_PROCS)
    n_procs = min(n_procs, n_players + n_bots)
    out_path = _output("--out", out, ".json")
    plot_path = _output("--plot", plot, ".png")
    if out_path and plot_path and out_path == plot_path:
        raise OptionError("--out and --plot must be different files")
    return Options(url=str(url).strip(), players=n_players, bots=n_bots, duration=dur, ramp=rmp, scenario=scen,
                   procs=n_procs, out=out_path, plot=plot_path, seed=_int("--seed", seed, 0, 2**31 - 1),
                   bot_join=join, scheme=scheme, host=host, port=port, base_path=base_path)
