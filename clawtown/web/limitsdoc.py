"""docs/limits.md, generated from the constants the server enforces, so the document cannot drift.

    python -m clawtown.web.limitsdoc > docs/limits.md

tests/web/test_limits_doc.py fails when docs/limits.md differs from `render()`, and when a route
of the OpenAPI document or a WebSocket message type has no row here.
"""

from __future__ import annotations

import types

from twisted.web.resource import Resource
from twisted.web.server import Site

from ..engine.avatars import MAX_IN_FLIGHT as AVATAR_IN_FLIGHT
from ..engine.bots import IDEMPOTENCY_MS, JOIN_CODE_TTL_MS, MAX_LIVE_CODES
from ..engine.images import MAX_IN_FLIGHT as RENDER_IN_FLIGHT
from ..engine.inbox import Inbox
from ..engine.ratelimit import RateLimiter, Rule
from ..render.avatar import MAX_AVATAR_BYTES
from ..render.mapimage import MAP_LIMITS, MINIMAP_LIMITS
from ..sim.constants import (
    BOARD_KEEP,
    CAST_COOLDOWN_MS,
    CHAT_GAP_MS,
    DEFAULT_INSTANCE_CAP,
    MOVE_GATE_MS,
    PARTY_CODE_TTL_MS,
    STAT_MAX,
    SUMMON_COOLDOWN_MS,
    TEXT_BOARD,
    TEXT_CHAT,
    TEXT_INTENT,
    TEXT_NAME,
    TEXT_THOUGHT,
)
from ..sim.hat import FREE_TEXT_MAX
from ..wire.inbound import MAX_TEXT, CommandBuilder
from .admin_api import FAILURE_RULE, MAX_ANNOUNCE
from .avatars import MAX_UPLOAD_BODY
from .bot_api import ADDRESS_RULES, RULES, SHED_RETRY_MS, SHED_TICK_LAG_S
from .guard import MAX_HEADER_BYTES, MAX_HEADERS, MAX_REQUEST_BYTES
from .jsonapi import MAX_BODY_BYTES
from .limits import (
    ABUSE_LIMIT,
    ABUSE_WINDOW_MS,
    PER_PLAYER_CLASSES,
    REST_RULES,
    WS_RULES,
    ws_rule,
)
from .ws import CLOSE_ABUSE, CLOSE_SLOW, MAX_BUFFERED_BYTES, make_ws_factory

BOT_ROUTES = {
    "me": ["GET /api/bot/me"], "status": ["GET /api/bot/status"], "world": ["GET /api/bot/world"],
    "events": ["GET /api/bot/events"], "map": ["GET /api/bot/map.png"], "minimap": ["GET /api/bot/minimap.png"],
    "mode": ["POST /api/bot/mode"], "goal": ["POST /api/bot/goal"], "cast": ["POST /api/bot/cast"],
    "intent": ["POST /api/bot/intent"], "chat": ["POST /api/bot/chat"], "thought": ["POST /api/bot/thought"],
    "interrupt": ["POST /api/bot/interrupt"], "hat": ["POST /api/bot/hat-result"],
    "party": ["POST /api/bot/party/create", "POST /api/bot/party/code", "POST /api/bot/party/join",
              "POST /api/bot/party/leave"],
}
"""The routes behind each key of bot_api.RULES."""

KEYED = [
    (["POST /api/players"], REST_RULES["create_player"], "client address", "creates a character"),
    (["POST /api/bot/spawn"], ADDRESS_RULES["spawn"], "client address", "creates a character and a bot token"),
    (["POST /api/bot/link"], ADDRESS_RULES["link"], "client address", "against guessing join codes"),
    (["GET /api/avatars/{file}"], REST_RULES["avatar_read"], "client address", ""),
    (["POST /api/join-codes"], REST_RULES["join_codes"], "player (session token)",
     f"at most {MAX_LIVE_CODES} live codes per player"),
    (["POST /api/me/avatar"], REST_RULES["avatar_upload"], "player (session token)",
     f"at most {AVATAR_IN_FLIGHT} pictures processed at once (503 beyond)"),
    (["GET /api/me/bot"], REST_RULES["me_bot"], "player (session token)", ""),
    (["POST /api/admin/announce", "POST /api/admin/kick", "POST /api/admin/forget-tokens", "GET /api/admin/status",
      "GET /api/admin/online"], FAILURE_RULE, "client address, failed logins only",
     ("then the address is refused (429 `too many failed admin logins`) before its token is looked at; "
     "calls with the right token are not limited")),
]
"""(routes, rule, keyed by, note) of every limited route outside the bot API."""

UNLIMITED = {
    "GET /api/health": "a constant answer", "GET /api/openapi.json": "a constant document",
    "GET /api/hat/questions": "a constant answer", "GET /health/live": "for the process supervisor",
    "GET /health/ready": "for the process supervisor", "GET /skill.md": "a constant document",
}
"""Routes without a rate limit, and why that is fine."""

TEST_MODE = ["POST /api/debug/persist-flush", "POST /api/debug/reset", "POST /api/debug/restart-sim",
             "POST /api/debug/teleport", "POST /api/debug/spawn-monster", "POST /api/debug/grant-item"]

WS_NOTES = {
    "move": f"the world also takes at most one step per {MOVE_GATE_MS} ms",
    "cast": f"spells also have cooldowns ({CAST_COOLDOWN_MS} ms for most)",
    "chat": f"plus one line per {CHAT_GAP_MS / 1000:g} s per player, shared by chat, whisper, party chat and "
            "the bot API's chat",
    "whisper": "shares the chat gap", "party_chat": "shares the chat gap",
    "party": f"`party_summon` also has a {SUMMON_COOLDOWN_MS // 1000} s cooldown",
    "ping": "answered to its own socket only, so per connection only",
}
FANOUT = ("chat", "whisper", "party_chat", "emote", "mark", "board_post")
"""Message types that reach other players directly."""


def rate(rule: Rule) -> str:
    """`burst 6, then 4/s` or `burst 2, then 1 per 700 ms`."""
    if 1000 % rule.interval_ms == 0:
        sustained = f"{1000 // rule.interval_ms}/s"
    elif rule.interval_ms < 1000:
        sustained = f"1 per {rule.interval_ms} ms"
    else:
        sustained = f"1 per {rule.interval_ms / 1000:g} s"
    return f"burst {rule.burst}, then {sustained}"


def kib(n: int) -> str:
    return f"{n // 1024} KiB" if n % 1024 == 0 else f"{n:,} bytes"


def _ws_types() -> dict[str, list[str]]:
    by_class: dict[str, list[str]] = {}
    for t in (*CommandBuilder(None).types, "ping"):
        by_class.setdefault(ws_rule(t)[0], []).append(t)
    return by_class


def _ws_options() -> dict:
    factory = make_ws_factory(game=None, sessions=types.SimpleNamespace(), runner=None, limiter=None, mint=None)
    return {"ping": factory.autoPingInterval, "ping_timeout": factory.autoPingTimeout,
            "handshake": factory.openHandshakeTimeout, "message": factory.maxMessagePayloadSize}


def render() -> str:
    ws = _ws_options()
    limiter = RateLimiter(clock=None)
    out = [
        "# Limits",
        "",
        "<!-- Generated by `python -m clawtown.web.limitsdoc > docs/limits.md` from the constants the server",
        "     enforces; tests/web/test_limits_doc.py fails when this file is stale. Do not edit by hand. -->",
        "",
        "Every limit below is a token bucket: `burst` calls at once, then one more each interval. A refused",
        "REST call is answered `429 {\"ok\": false, \"error\": \"rate limited\", \"retryInMs\": N}`; a refused",
        "WebSocket message gets `{\"t\": \"error\", \"code\": \"rate_limited\", \"retryInMs\": N, \"re\": seq}`.",
        "Per-address limits use the TCP peer, or the `X-Forwarded-For` entry added by a proxy listed in",
        "`--trusted-proxies` (never a header from anyone else).",
        "",
        "## REST routes",
        "",
        "### Bot API (per bot token, i.e. per player)",
        "",
        "| Route | Limit |",
        "|---|---|",
    ]
    for key, routes in BOT_ROUTES.items():
        out.append(f"| {'<br>'.join(f'`{r}`' for r in routes)} | {rate(RULES[key])} |")
    out += ["", "### Everything else", "", "| Route | Limit | Per | Note |", "|---|---|---|---|"]
    for routes, rule, per, note in KEYED:
        out.append(f"| {'<br>'.join(f'`{r}`' for r in routes)} | {rate(rule)} | {per} | {note} |")
    for route, why in UNLIMITED.items():
        out.append(f"| `{route}` | none | - | {why} |")
    out.append("| `GET /metrics` | none | - | Prometheus text, rendered from counters |")
    out.append("| `GET /ws` (the handshake) | none | - | one indexed lookup of the token's hash; then the "
               "message limits below |")
    out.append("| static files under `/` | none | - | files from the package, no listing |")
    out.append(f"| {'<br>'.join(f'`{r}`' for r in TEST_MODE)} | none | - | only with `--test-mode`, only from "
               "loopback without forwarding headers; 404 otherwise |")
    out += [
        "",
        "## WebSocket messages",
        "",
        "Each class of message has one bucket per connection and, except `ping`, one per player shared",
        "by all of that player's sockets (opening five tabs does not give five budgets, and closing and",
        "reopening a socket does not refill it).",
        "",
        "| Types | Limit | Per | Note |",
        "|---|---|---|---|",
    ]
    for cls, types_ in _ws_types().items():
        per = "connection and player" if cls in PER_PLAYER_CLASSES else "connection"
        note = WS_NOTES.get(cls, "")
        if cls == "misc":
            note = "every other type"
        out.append(f"| {', '.join(f'`{t}`' for t in types_)} | {rate(WS_RULES[cls])} | {per} | {note} |")
    out += [
        "",
        (f"A connection with more than {ABUSE_LIMIT} refused messages (rate-limited or malformed) within "
        f"{ABUSE_WINDOW_MS // 1000} s is closed with {CLOSE_ABUSE}. Rate-limited messages that arrive together "
        "(in one read: a backlog of well-paced messages delivered at once after a stall) count as one."),
        "",
        "### Nothing fans out unthrottled",
        "",
        "What one player sends that other players receive, and what bounds it:",
        "",
    ]
    for t in FANOUT:
        cls = ws_rule(t)[0]
        extra = f"; {WS_NOTES[t]}" if t in WS_NOTES and t != "chat" else ""
        if t == "chat":
            extra = f"; one line per {CHAT_GAP_MS / 1000:g} s per player"
        out.append(f"- `{t}`: {rate(WS_RULES[cls])} per player{extra}.")
    out += [
        f"- Board posts are pushed to every client; the board keeps the last {BOARD_KEEP}.",
        "- Movement, names, intents and casts reach others only through the sync rounds, which send at most",
        "  the latest state of each entity, so a flood cannot multiply what is sent.",
        "- Bots cannot emote, mark or post; their chat counts against the same per-player chat gap.",
        "",
        "## Sizes",
        "",
        "| What | Limit | Answer |",
        "|---|---|---|",
        f"| Any HTTP request body | {kib(MAX_REQUEST_BYTES)} | 413, before the body is read |",
        f"| JSON request body | {kib(MAX_BODY_BYTES)} | 413 |",
        f"| Avatar upload | {kib(MAX_AVATAR_BYTES)} image ({kib(MAX_UPLOAD_BODY)} as base64 in JSON) | 413 |",
        f"| Request line plus headers | {kib(MAX_HEADER_BYTES)}, at most {MAX_HEADERS} headers | 431 |",
        f"| Idle HTTP connection | {Site(Resource()).timeOut} s | closed |",
        f"| WebSocket message | {kib(ws['message'])} | close 1009 |",
        f"| WebSocket handshake | {ws['handshake']} s | dropped |",
        f"| WebSocket keepalive | ping every {ws['ping']} s, {ws['ping_timeout']} s to answer | dropped |",
        f"| Unread data queued for one socket | {MAX_BUFFERED_BYTES // (1024 * 1024)} MiB | close {CLOSE_SLOW} |",
        "| Session token in `/ws?token=` | 200 characters | close 4001 |",
        "",
        "## Text and names",
        "",
        "Control characters and line breaks become one space, text is trimmed, then cut to the limit.",
        "",
        "| Field | Limit |",
        "|---|---|",
        (f"| Character name (`POST /api/players`, `set_name`, `/api/bot/spawn`) | 1-{TEXT_NAME} characters after "
        "cleaning (names are not unique; ids are) |"),
        f"| Chat, whisper, party chat | {TEXT_CHAT} characters (over {MAX_TEXT * 4} before cleaning: `too_long`) |",
        f"| Board post | {TEXT_BOARD} characters |",
        f"| Intent line | {TEXT_INTENT} characters |",
        f"| Bot thought | {TEXT_THOUGHT} characters |",
        "| Bot API text fields | 4000 characters accepted, then cut to the limits above |",
        "| Signature spell and job skill names | 48 characters |",
        f"| Sorting-hat free answer | {FREE_TEXT_MAX} characters |",
        f"| Admin announcement | {MAX_ANNOUNCE} characters |",
        f"| `requestId` (bot API) | 1-128 characters, remembered {IDEMPOTENCY_MS // 60000} min |",
        "",
        "## Numbers",
        "",
        "| Field | Range |",
        "|---|---|",
        "| `move` dx, dy | finite numbers, clamped to -1..1 |",
        "| `goal` / `cast` x, y | finite numbers, clamped to ±1,000,000, then to the map |",
        "| `seq` | integer 0..2^53-1 |",
        f"| `alloc_stat` n | integer 1..99 (a stat never passes {STAT_MAX}) |",
        "| `channel` | integer 1..999 |",
        "| `/api/bot/events` limit, cursor | 1..60, default 20; cursor >= 0 |",
        (f"| `/api/bot/map.png` w, h | {MAP_LIMITS[0][0]}..{MAP_LIMITS[0][1]} x {MAP_LIMITS[1][0]}..{MAP_LIMITS[1][1]} "
        "(clamped) |"),
        (f"| `/api/bot/minimap.png` w, h | {MINIMAP_LIMITS[0][0]}..{MINIMAP_LIMITS[0][1]} x "
        f"{MINIMAP_LIMITS[1][0]}..{MINIMAP_LIMITS[1][1]} (clamped) |"),
        "",
        "NaN, Infinity and numbers beyond a double (1e999) are not JSON the server accepts (`bad_json` / 400);",
        "integers beyond 64 bits are read as floating point.",
        "",
        "## Capacity",
        "",
        "| What | Limit |",
        "|---|---|",
        f"| Players in one running copy of a map | {DEFAULT_INSTANCE_CAP} (`CT_INSTANCE_CAP`), then a new channel |",
        f"| Commands waiting per map copy | {Inbox().limit} (`busy` / 503 beyond) |",
        f"| Map pictures rendered at once | {RENDER_IN_FLIGHT} (503 with retryInMs beyond) |",
        f"| Bot calls while the game tick runs more than {SHED_TICK_LAG_S * 1000:.0f} ms late | refused at once: "
        f"`server busy, try again` / 503 with retryInMs {SHED_RETRY_MS} |",
        f"| Join codes | {MAX_LIVE_CODES} live per player, {JOIN_CODE_TTL_MS // 3_600_000} h each |",
        f"| Party invite codes | {PARTY_CODE_TTL_MS // 60_000} min each, one per party |",
        f"| Rate-limit buckets kept | {limiter.max_keys:,} (idle ones are dropped first, never all at once) |",
    ]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    print(render(), end="")
