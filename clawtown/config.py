"""Server settings: one frozen `Settings` value, from command-line options, then the environment, then defaults.

| setting         | option              | environment          | default                          |
|-----------------|---------------------|----------------------|----------------------------------|
| listen          | --listen / -l       | HOST, PORT           | tcp:8080:interface=127.0.0.1     |
| data_dir        | --data-dir          | CT_DATA_DIR          | ./.data                          |
| public_base_url | --public-base-url   | CT_PUBLIC_BASE_URL   | None (unset)                     |
| seed            | --seed              | CT_SEED              | None (a random seed at start)    |
| test_mode       | --test-mode         | CT_TEST=1            | False                            |
| instance_cap    | -                   | CT_INSTANCE_CAP      | 150                              |
| trusted_proxies | --trusted-proxies   | CT_TRUSTED_PROXIES   | none                             |
| allowed_origins | --allowed-origins   | CT_ALLOWED_ORIGINS   | none (Origin not checked)        |
| backup_every_s  | --backup-every      | CT_BACKUP_EVERY      | None (off)                       |
| backup_keep     | --backup-keep       | CT_BACKUP_KEEP       | 24                               |
| log_format      | --log-format        | CT_LOG_FORMAT        | text                             |

An environment variable set to the empty string counts as unset. Every validation error is a
`ConfigError` whose text is one line naming the option or variable at fault. This module
parses and checks only: it imports no reactor and opens no socket.
"""

from __future__ import annotations

import ipaddress
import os
import re
import reprlib
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from twisted.internet.endpoints import quoteStringArgument, serverFromString

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
DEFAULT_DATA_DIR = "./.data"
DEFAULT_TICK_HZ = 20
DEFAULT_SYNC_HZ = 10
DEFAULT_INSTANCE_CAP = 150
DEFAULT_BACKUP_KEEP = 24


class ConfigError(ValueError):
    """A setting has a bad value. `str(error)` is a one-line message meant for a human."""


_brief = reprlib.Repr()
_brief.maxstring = _brief.maxother = 80
_shown = _brief.repr
"""repr() cut to a readable length, for quoting bad values in messages."""


def tcp_listen_description(host: str, port: int) -> str:
    """The strports description for a TCP listener on `host` (IPv6 colons escaped) and `port`."""
    return f"tcp:{port}:interface={quoteStringArgument(host)}"


DEFAULT_LISTEN = tcp_listen_description(DEFAULT_HOST, DEFAULT_PORT)


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything the server needs to know at start, already validated."""

    listen: str = DEFAULT_LISTEN
    """Where to accept connections: a strports/endpoint description (`tcp:PORT:interface=HOST`)."""
    data_dir: str = DEFAULT_DATA_DIR
    """Directory of the embedded database and other durable files."""
    public_base_url: str | None = None
    """How players and bots reach this server (`https://town.example.com`, no trailing slash)."""
    seed: int | None = None
    """Seed of the world's random generator; None means the service picks one at start."""
    test_mode: bool = False
    """Enables the test-only helpers (the /api/debug routes)."""
    tick_hz: int = DEFAULT_TICK_HZ
    """Simulation steps per second."""
    sync_hz: int = DEFAULT_SYNC_HZ
    """State updates sent to clients per second."""
    instance_cap: int = DEFAULT_INSTANCE_CAP
    """Most players in one running copy (channel) of a map."""
    trusted_proxies: tuple = ()
    """Networks whose X-Forwarded-For/Proto/Host headers are believed (ip_network objects)."""
    allowed_origins: tuple = ()
    """Origins (`https://town.example.com`) a browser WebSocket may come from; empty: not checked."""
    backup_every_s: int | None = None
    """Seconds between scheduled backups into <data-dir>/backups; None: no scheduled backups."""
    backup_keep: int = DEFAULT_BACKUP_KEEP
    """How many backups the schedule keeps (the newest ones)."""
    log_format: str = "text"
    """`text` (twistd's lines) or `json` (one JSON object per line, see clawtown.logs)."""

    @classmethod
    def from_options(cls, options: Mapping[str, object], environ: Mapping[str, str] = os.environ) -> Settings:
        """Build settings from parsed options (keys as spelled on the command line, None = not given).

        An option beats its environment variable, which beats the default. Raises ConfigError.
        """
        source = _Source(options, environ)
        return cls(
            listen=_listen(source),
            data_dir=_parsed(source.first("data-dir", "CT_DATA_DIR"), _parse_nonempty, DEFAULT_DATA_DIR),
            public_base_url=_parsed(source.first("public-base-url", "CT_PUBLIC_BASE_URL"), _parse_base_url),
            seed=_parsed(source.first("seed", "CT_SEED"), _parse_int),
            test_mode=_test_mode(source),
            instance_cap=_parsed(source.env("CT_INSTANCE_CAP"), _parse_instance_cap, DEFAULT_INSTANCE_CAP),
            trusted_proxies=_parsed(source.first("trusted-proxies", "CT_TRUSTED_PROXIES"), _parse_networks, ()),
            allowed_origins=_parsed(source.first("allowed-origins", "CT_ALLOWED_ORIGINS"), _parse_origins, ()),
            backup_every_s=_parsed(source.first("backup-every", "CT_BACKUP_EVERY"), _parse_duration),
            backup_keep=_parsed(source.first("backup-keep", "CT_BACKUP_KEEP"), _parse_keep, DEFAULT_BACKUP_KEEP),
            log_format=_parsed(source.first("log-format", "CT_LOG_FORMAT"), _parse_log_format, "text"),
        )


_Found = tuple[object, str]
"""A raw setting value and the label that names where it came from (`--seed`, `CT_SEED`)."""


class _Source:
    """Looks settings up in the parsed options and in the environment."""

    def __init__(self, options: Mapping[str, object], environ: Mapping[str, str]) -> None:
        self._options = options
        self._environ = environ

    def option(self, name: str) -> _Found | None:
        value = self._options.get(name)
        return None if value is None else (value, f"--{name}")

    def env(self, name: str) -> _Found | None:
        value = self._environ.get(name, "")
        return None if value == "" else (value, name)

    def first(self, option: str, env: str) -> _Found | None:
        return self.option(option) or self.env(env)


def _parsed(found: _Found | None, parse, default=None):
    return default if found is None else parse(*found)


def _listen(source: _Source) -> str:
    found = source.option("listen")
    if found is not None:
        return _parse_listen(*found)
    host = _parsed(source.env("HOST"), _parse_nonempty, DEFAULT_HOST)
    port = _parsed(source.env("PORT"), _parse_port, DEFAULT_PORT)
    return tcp_listen_description(host, port)


def _test_mode(source: _Source) -> bool:
    flag = source.option("test-mode")
    if flag is not None and flag[0]:
        return True
    found = source.env("CT_TEST")
    if found is None or found[0] == "0":
        return False
    if found[0] == "1":
        return True
    raise ConfigError(f"CT_TEST must be 1 (on) or 0 (off) (got {_shown(found[0])})")


_NO_REACTOR = object()


def _parse_listen(value: object, label: str) -> str:
    description = str(value)
    try:
        # serverFromString is the public parser behind strports. It only builds an endpoint
        # object, so a placeholder can stand in for the reactor that listening would need.
        serverFromString(_NO_REACTOR, description)
    except Exception as error:  # endpoint parsers raise many kinds: ValueError, TypeError, OSError...
        reason = " ".join(str(error).split()) or type(error).__name__
        raise ConfigError(f"{label}: not a valid strports description: {_shown(description)} ({reason})") from None
    return description


def _parse_nonempty(value: object, label: str) -> str:
    text = str(value).strip()
    if not text:
        raise ConfigError(f"{label} must not be empty")
    return text


def _parse_base_url(value: object, label: str) -> str:
    url = str(value).strip()
    if not url.lower().startswith(("http://", "https://")):
        raise ConfigError(f"{label} must start with http:// or https:// (got {_shown(value)})")
    url = url.rstrip("/")
    if not _is_plain_base_url(url):
        raise ConfigError(f"{label} must be a base URL such as https://town.example.com (got {_shown(value)})")
    return url


def _is_plain_base_url(url: str) -> bool:
    """A host, maybe a port and a path; no spaces, query, fragment, or '|' (join tokens use it)."""
    if any(char.isspace() or char == "|" for char in url):
        return False
    try:
        parts = urlsplit(url)
        return bool(parts.hostname) and parts.port != 0 and not parts.query and not parts.fragment
    except ValueError:  # `.port` raises when the port is not a number in 0-65535
        return False


def _parse_int(value: object, label: str, low: int | None = None, high: int | None = None) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        number = None
    if number is None or (low is not None and number < low) or (high is not None and number > high):
        bounds = f" {low}-{high}" if high is not None else (f" >= {low}" if low is not None else "")
        raise ConfigError(f"{label} must be an integer{bounds} (got {_shown(value)})")
    return number


def _parse_networks(value: object, label: str) -> tuple:
    """Comma-separated addresses or CIDR networks, e.g. `127.0.0.1,10.0.0.0/8`."""
    networks = []
    for part in str(value).split(","):
        part = part.strip()
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ConfigError(f"{label}: not an IP address or network: {_shown(part)}") from None
    return tuple(networks)


def normalize_origin(text: str) -> str | None:
    """`scheme://host[:port]` in the form browsers send in `Origin` (lower case, default port
    dropped), or None when `text` is not an http(s) origin (a path, query or user part counts
    as not an origin)."""
    try:
        parts = urlsplit(text.strip())
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "")
    if scheme not in ("http", "https") or not host or parts.username is not None or parts.password is not None:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment or any(ch.isspace() for ch in text.strip()):
        return None
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != {"http": 80, "https": 443}[scheme]:
        host = f"{host}:{port}"
    return f"{scheme}://{host}"


def _parse_origins(value: object, label: str) -> tuple:
    """Comma-separated origins, e.g. `https://town.example.com,http://localhost:8080`."""
    origins = []
    for part in str(value).split(","):
        if not part.strip():
            continue
        origin = normalize_origin(part)
        if origin is None:
            raise ConfigError(f"{label}: not an http(s) origin such as https://town.example.com: {_shown(part.strip())}")
        if origin not in origins:
            origins.append(origin)
    return tuple(origins)


def _parse_port(value: object, label: str) -> int:
    return _parse_int(value, label, 0, 65535)


def _parse_instance_cap(value: object, label: str) -> int:
    return _parse_int(value, label, 1)


_DURATION_PART = re.compile(r"(\d+)([smhd])")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_MAX_BACKUP_EVERY_S = 30 * 86400


def _parse_duration(value: object, label: str) -> int | None:
    """`off`, or a duration such as `90s`, `15m`, `1h30m`, `1d` (in seconds; 1s to 30d)."""
    text = str(value).strip().lower()
    if text == "off":
        return None
    parts = _DURATION_PART.findall(text)
    seconds = sum(int(n) * _UNIT_S[unit] for n, unit in parts)
    if not parts or "".join(n + unit for n, unit in parts) != text or not 1 <= seconds <= _MAX_BACKUP_EVERY_S:
        raise ConfigError(f"{label} must be a duration from 1s to 30d such as 15m or 1h30m, or off (got {_shown(value)})")
    return seconds


def _parse_log_format(value: object, label: str) -> str:
    text = str(value).strip().lower()
    if text not in ("text", "json"):
        raise ConfigError(f"{label} must be text or json (got {_shown(value)})")
    return text


def _parse_keep(value: object, label: str) -> int:
    return _parse_int(value, label, 1)
