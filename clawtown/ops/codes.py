"""Bot access for operators: mint, list and revoke join codes; revoke a player's bot tokens.

These write the data dir's database directly, in the store's own transactions, so they work
while the server runs: the server reads join codes from the database when a bot links, so a
code minted here is usable at once.  Codes follow the server's rules (same alphabet, at most
:data:`~clawtown.engine.bots.MAX_LIVE_CODES` live per player, the oldest evicted).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ..engine import audit
from ..engine.bots import JOIN_CODE_TTL_MS, MAX_LIVE_CODES, TOKEN_CACHE_MS
from ..engine.ids import Mint
from ..store.base import JOIN_CODE_COLLISION, StoreError
from ..web.baseurl import join_token, sandbox_base
from .audit import record_cli
from .datadir import server_running
from .players import (
    EXPECTED_ERRORS,
    ToolError,
    admin_call,
    resolve_player,
    store_session,
)

DEFAULT_TTL_MS = JOIN_CODE_TTL_MS
MAX_TTL_MS = 30 * 24 * 3600 * 1000
DEFAULT_BASE_URL = "http://127.0.0.1:8080"
BASE_URL_ENV = "CT_PUBLIC_BASE_URL"
MINT_ATTEMPTS = 8

_UNIT_MS = {"s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 7 * 86_400_000}
_DURATION = re.compile(r"(?:\d+[smhdw])+")
_PART = re.compile(r"(\d+)([smhdw])")


class BadValue(ToolError, ValueError):
    """An option value that cannot be used (a TTL, a base URL, a code)."""


def now_ms() -> int:
    return int(time.time() * 1000)


# ------------------------------------------------------------------------------ values


def parse_ttl(text: str) -> int:
    """Milliseconds in a duration such as ``30m``, ``2h``, ``1d`` or ``1h30m`` (at most 30 days)."""
    compact = text.strip().lower().replace(" ", "")
    if not _DURATION.fullmatch(compact):
        raise BadValue(f"--ttl must look like 30m, 2h, 1d or 1h30m (got {text!r})")
    ms = sum(int(n) * _UNIT_MS[unit] for n, unit in _PART.findall(compact))
    if ms <= 0:
        raise BadValue(f"--ttl must be longer than zero (got {text!r})")
    if ms > MAX_TTL_MS:
        raise BadValue(f"--ttl must be at most {format_duration(MAX_TTL_MS)} (got {text!r})")
    return ms


def format_duration(ms: int) -> str:
    """A short human duration: ``1d 2h``, ``45m``, ``30s`` (two largest units)."""
    if ms < 1000:
        return "0s"
    parts = []
    rest = ms // 1000
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)):
        if rest >= size:
            parts.append(f"{rest // size}{unit}")
            rest %= size
    return " ".join(parts[:2])


def choose_base_url(option: str | None, environ: Mapping[str, str] = os.environ) -> str:
    """The base URL for join tokens: the option, else $CT_PUBLIC_BASE_URL, else the local default."""
    value = option if option else environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
    url = value.strip().rstrip("/")
    label = "--base-url" if option else (BASE_URL_ENV if environ.get(BASE_URL_ENV) else "the default base URL")
    if not url.lower().startswith(("http://", "https://")):
        raise BadValue(f"{label} must start with http:// or https:// (got {value!r})")
    if any(ch.isspace() or ch == "|" for ch in url):
        raise BadValue(f"{label} must not contain spaces or '|' (got {value!r})")
    try:
        parts = urlsplit(url)
        ok = bool(parts.hostname) and parts.port != 0 and not parts.query and not parts.fragment
    except ValueError:  # a port that is not a number in 0-65535
        ok = False
    if not ok:
        raise BadValue(f"{label} must be a base URL such as https://town.example.com (got {value!r})")
    return url


def normalize_code(text: str) -> str:
    """A join code as typed (any case, or a whole ``CT1|base|CODE`` token) -> the code."""
    code = text.strip()
    if code.upper().startswith("CT1|"):
        code = code.rsplit("|", 1)[-1]
    code = code.strip().upper()
    if not code or len(code) > 32:
        raise BadValue(f"not a join code: {text!r}")
    return code


# ------------------------------------------------------------------------------- codes


@dataclass(frozen=True)
class MintedCode:
    code: str
    player_id: str
    player_name: str
    created_at: int
    expires_at: int
    base_url: str
    live_codes: int
    """The player's live codes now, this one included."""

    @property
    def token(self) -> str:
        return join_token(self.base_url, self.code)

    @property
    def sandbox_token(self) -> str | None:
        """The same token for a bot in a container on this host (None without an explicit port)."""
        base = sandbox_base(self.base_url)
        return None if base is None else join_token(base, self.code)


def mint_code(
    data_dir: str,
    player: str,
    *,
    ttl_ms: int = DEFAULT_TTL_MS,
    base_url: str = DEFAULT_BASE_URL,
    at: int | None = None,
    mint: Mint | None = None,
    via: str = "mint",
) -> MintedCode:
    """A new join code for ``player`` (id or name), valid ``ttl_ms`` from now.

    ``via`` names the command for the audit trail (``mint`` or ``relink``).
    """
    at = now_ms() if at is None else at
    mint = mint or Mint()
    with store_session(data_dir) as store:
        record = resolve_player(store, player)
        for _ in range(MINT_ATTEMPTS):
            try:
                row = store.mint_join_code(mint.code(), record["id"], at, at + ttl_ms, MAX_LIVE_CODES)
            except StoreError as err:
                if str(err) != JOIN_CODE_COLLISION:
                    raise
                continue
            record_cli(
                store, audit.CODE_MINT, record["id"],
                {"code": audit.code_marker(row["code"]), "expiresAt": row["expiresAt"], "via": via}, at=at,
            )
            live = len(store.list_join_codes(record["id"], now=at))
            return MintedCode(
                row["code"], record["id"], record["name"], row["createdAt"], row["expiresAt"], base_url, live
            )
    raise ToolError(f"could not find a free join code in {MINT_ATTEMPTS} tries; nothing was changed, try again")


@dataclass(frozen=True)
class CodeRow:
    id: str
    code: str | None
    """None for a placeholder restored from a snapshot (it can never be redeemed)."""
    player_id: str
    player_name: str | None
    created_at: int
    expires_at: int
    revoked_at: int | None
    state: str
    """live, expired, revoked, or imported (a placeholder: no code)."""


def _state(record: dict[str, Any], at: int) -> str:
    if record["code"] is None:
        return "imported"
    if record.get("revokedAt") is not None:
        return "revoked"
    return "live" if record["expiresAt"] > at else "expired"


def list_codes(
    data_dir: str, player: str | None = None, *, include_dead: bool = False, at: int | None = None
) -> list[CodeRow]:
    """Join codes (of one player, id or name, if given), oldest first; only live ones unless asked."""
    at = now_ms() if at is None else at
    with store_session(data_dir) as store:
        player_id = None if player is None else resolve_player(store, player)["id"]
        records = store.list_join_codes(player_id, now=None if include_dead else at)
        names: dict[str, str | None] = {}
        for pid in {r["playerId"] for r in records}:
            found = store.get_player(pid)
            names[pid] = None if found is None else found["name"]
    return [
        CodeRow(
            r["id"], r["code"], r["playerId"], names[r["playerId"]], r["createdAt"], r["expiresAt"], r["revokedAt"],
            _state(r, at),
        )
        for r in records
    ]


def revoke_code(data_dir: str, code: str, *, at: int | None = None) -> CodeRow:
    """Revoke one join code (typed in any case, or as a whole join token); the code as it was."""
    at = now_ms() if at is None else at
    code = normalize_code(code)
    with store_session(data_dir) as store:
        record = store.get_join_code(code)
        if record is None:
            raise ToolError(f"no join code {code!r}")
        if record.get("revokedAt") is not None:
            raise ToolError(f"join code {code!r} is already revoked")
        if not store.revoke_join_code(code, at):
            raise ToolError(f"join code {code!r} is already revoked")
        record_cli(store, audit.CODE_REVOKE, record["playerId"], {"code": audit.code_marker(code)}, at=at)
        found = store.get_player(record["playerId"])
    return CodeRow(
        record["id"],
        code,
        record["playerId"],
        None if found is None else found["name"],
        record["createdAt"],
        record["expiresAt"],
        at,
        "revoked",
    )


# ------------------------------------------------------------------------------ tokens


@dataclass(frozen=True)
class TokensRevoked:
    player_id: str
    player_name: str
    generation: int
    server_running: bool
    """A server holds the data dir: it may accept a token it cached for up to :attr:`cache_s` more."""
    server_forgot: bool = False
    """That server was told to drop its cached tokens of the player: the revocation acts at once."""
    cache_s: float = TOKEN_CACHE_MS / 1000


def revoke_tokens(data_dir: str, player: str, *, url: str | None = None, at: int | None = None) -> TokensRevoked:
    """Invalidate every bot token of ``player`` (id or name) by moving to a new generation.

    If a server runs on the data dir and ``url`` is given, it is asked (best effort) to drop the
    tokens it cached; otherwise it stops accepting them within :data:`TOKEN_CACHE_MS`.
    """
    at = now_ms() if at is None else at
    with store_session(data_dir) as store:
        record = resolve_player(store, player)
        generation = store.revoke_bot_tokens(record["id"], at)
        record_cli(store, audit.TOKENS_REVOKE, record["id"], {"generation": generation}, at=at)
    running = server_running(data_dir)
    forgot = running and url is not None and forget_cached_tokens(data_dir, url, record["id"])
    return TokensRevoked(record["id"], record["name"], generation, running, forgot)


def forget_cached_tokens(data_dir: str, url: str, player_id: str) -> bool:
    """Ask the server at ``url`` to drop its cached bot tokens of a player; False if it could not."""
    try:
        admin_call(data_dir, url, "POST", "forget-tokens", {"playerId": player_id})
    except EXPECTED_ERRORS:
        return False
    return True
