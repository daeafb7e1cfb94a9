"""OPENAPI: the OpenAPI 3.0.3 description of every HTTP route of the server, served at /api/openapi.json.

Covers the REST routes under /api (players, join codes, health, the bot API, the admin API, the
test-mode debug helpers), the health probes under /health and /skill.md. The WebSocket at /ws is described
in the docs, not here. tests/bot/test_openapi.py checks that every route the Klein apps register
appears here, so the document cannot drift from the code.
"""

from __future__ import annotations

from .. import __version__
from ..sim.hat import JOBS
from ..sim.items import CATALOG

MODES = ["manual", "agent"]
INTERRUPT_LEVELS = ["off", "mentions", "nearby", "all"]
SPELLS = ["signature", "attack", "fireball", "hail", "arrow", "cleave", "flurry", "job"]
SIGNATURE_EFFECTS = ["spark", "blink", "mark", "echo", "guard"]
EVENT_KINDS = ["thought", "kill", "level", "loot", "mention", "whisper", "nearby", "achievement", "knockout"]


# ---- small builders --------------------------------------------------------------------
def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(properties: dict, required: tuple = (), extra: bool = True, **more) -> dict:
    schema = {"type": "object", "properties": properties, **more}
    if required:
        schema["required"] = list(required)
    if not extra:
        schema["additionalProperties"] = False
    return schema


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _err(*messages: str) -> dict:
    """An error response whose `error` is one of `messages` (a reference to the shared response
    when no message is named)."""
    return _json({"allOf": [_ref("Error"), {"type": "object", "properties": {"error": {"type": "string", "enum": list(messages)}}}]},
                 "; ".join(f'"{m}"' for m in messages))


def _body(schema: dict, required: bool = False) -> dict:
    return {"required": required, "content": {"application/json": {"schema": schema}}}


STR = {"type": "string"}
INT = {"type": "integer"}
NUM = {"type": "number"}
BOOL = {"type": "boolean"}
MS = {"type": "integer", "format": "int64", "description": "milliseconds since the Unix epoch"}
NULLABLE_MS = {**MS, "nullable": True}
ISO = {"type": "string", "format": "date-time"}
OK_TRUE = {"type": "boolean", "enum": [True]}
REQUEST_ID = {
    "type": "string", "minLength": 1, "maxLength": 128,
    "description": "Optional idempotency key: the same id on the same route within 10 minutes returns the "
                   "first answer and does not act again.",
}


def _ok(**properties) -> dict:
    return _obj({"ok": OK_TRUE, **properties}, ("ok", *properties))


# ---- shared responses ------------------------------------------------------------------
R = "#/components/responses/"
RESPONSES = {
    "Unauthorized": _json(_ref("Error"), 'Missing, unknown or revoked token: "unauthorized".'),
    "RateLimited": _json(_ref("RateLimited"), 'Too many calls: "rate limited"; wait `retryInMs` (at least 50).'),
    "BadJson": _json(_ref("Error"), 'Unreadable body: "invalid JSON body", "JSON body must be an object".'),
    "TooLarge": _json(_ref("Error"), 'The body is over 256 KiB: "request body too large".'),
    "Busy": _json(_ref("Busy"), 'The game is overloaded: "server busy, try again" with `retryInMs`.'),
    "PlayerMissing": _json(_ref("Error"), 'The token\'s character no longer exists: "player missing".'),
    "Internal": _json(_ref("Error"), 'An unexpected failure: "internal error".'),
}


BAD_JSON = ("invalid JSON body", "JSON body must be an object")
BAD_REQUEST_ID = "requestId must be a string of 1-128 characters"


def _responses(ok: dict, *, auth: bool = False, body: bool = False, action: bool = False, busy: bool = False,
               limited: bool = False, **errors) -> dict:
    """`ok` for 200, plus the statuses a route can answer. `errors` maps "s<status>" to the error
    strings (a tuple) or to a ready response (a dict); the generic ones are added by the flags."""
    messages: dict[str, list] = {}
    out: dict = {"200": ok}
    for key, value in errors.items():
        status = key.lstrip("s")
        if isinstance(value, dict):
            out[status] = value
        else:
            messages.setdefault(status, []).extend(value)
    if body:
        messages.setdefault("400", []).extend(BAD_JSON)
        out["413"] = {"$ref": R + "TooLarge"}
    if action:
        messages.setdefault("400", []).append(BAD_REQUEST_ID)
    if auth:
        out["401"] = {"$ref": R + "Unauthorized"}
        messages.setdefault("404", []).append("player missing")
    if limited or auth:
        out["429"] = {"$ref": R + "RateLimited"}
    if busy:
        out["503"] = {"$ref": R + "Busy"}
    for status, listed in messages.items():
        out[status] = _err(*dict.fromkeys(listed))
    out.setdefault("500", {"$ref": R + "Internal"})
    return dict(sorted(out.items()))


# ---- schemas ---------------------------------------------------------------------------
SCHEMAS = {
    "Error": _obj({"ok": {"type": "boolean", "enum": [False]}, "error": STR}, ("ok", "error"),
                  description="Every JSON error: `{\"ok\": false, \"error\": \"...\"}`, sometimes with more fields."),
    "RateLimited": {"allOf": [_ref("Error"), _obj({
        "error": {"type": "string", "enum": ["rate limited"]},
        "retryInMs": {"type": "integer", "minimum": 1, "description": "wait this long before the next call"},
    }, ("retryInMs",))]},
    "Busy": {"allOf": [_ref("Error"), _obj({"retryInMs": {"type": "integer", "minimum": 1}})]},
    "AdminLockout": {"allOf": [_ref("Error"), _obj({
        "error": {"type": "string", "enum": ["too many failed admin logins"]},
        "retryInMs": {"type": "integer", "minimum": 1, "description": "the address is refused this long"},
    }, ("retryInMs",))]},
    "Ok": _ok(),
    "BaseStats": _obj({k: {"type": "integer", "minimum": 1, "maximum": 99} for k in ("str", "agi", "vit", "int", "dex", "luk")},
                      ("str", "agi", "vit", "int", "dex", "luk")),
    "InventoryRow": _obj({"itemId": {"type": "string", "enum": list(CATALOG)}, "name": STR, "slot": STR, "rarity": STR,
                          "qty": {"type": "integer", "minimum": 1}, "stats": {"type": "object"}},
                         ("itemId", "name", "slot", "rarity", "qty", "stats")),
    "PublicPlayer": _obj({
        "id": STR, "name": {"type": "string", "maxLength": 24}, "avatarVersion": INT, "x": INT, "y": INT,
        "facing": {"type": "string", "enum": ["up", "down", "left", "right"]},
        "mode": {"type": "string", "enum": MODES}, "intent": {"type": "string", "maxLength": 140},
        "interrupt": {"type": "string", "enum": INTERRUPT_LEVELS}, "hp": INT, "maxHp": INT,
        "level": {"type": "integer", "minimum": 1}, "xp": INT,
        "xpToNext": {"type": "integer", "description": "XP the current level requires (not the remainder)"},
        "statPoints": INT, "baseStats": _ref("BaseStats"),
        "zenny": {"type": "integer", "description": "only in your own view"},
        "stats": _obj({"atk": NUM, "def": NUM, "crit": NUM, "aspd": NUM, "matk": NUM}),
        "meta": _obj({"kills": INT, "crafts": INT, "pickups": INT}, ("kills", "crafts", "pickups")),
        "partyId": {"type": "string", "nullable": True}, "job": {"type": "string", "enum": list(JOBS)},
        "equipment": _obj({s: {"type": "string", "nullable": True} for s in ("weapon", "armor", "accessory")}),
        "inventory": {"type": "array", "maxItems": 80, "items": _ref("InventoryRow"),
                      "description": "yours only; empty for other players"},
        "jobSkill": _obj({"name": STR, "spell": STR}, ("name", "spell")),
        "signatureSpell": _obj({"name": STR, "tagline": STR, "effect": STR}, ("name", "tagline", "effect")),
        "linkedBot": BOOL,
        "bot": _obj({"lastSeenAt": NULLABLE_MS, "lastActionAt": NULLABLE_MS, "thought": STR, "thoughtAt": NULLABLE_MS},
                    ("lastSeenAt", "lastActionAt", "thought", "thoughtAt")),
        "map": STR, "channel": INT, "online": BOOL, "achievements": {"type": "array", "items": STR},
        "knockedOut": BOOL,
    }, ("id", "name", "x", "y", "facing", "mode", "hp", "maxHp", "level", "xp", "job", "linkedBot", "bot"),
        description="The original server's PublicPlayer, plus map/channel/online/achievements/knockedOut."),
    "PublicMonster": _obj({"id": STR, "kind": STR, "name": STR, "x": INT, "y": INT, "hp": INT, "maxHp": INT,
                           "alive": BOOL, "color": {"type": "string", "nullable": True}},
                          ("id", "kind", "name", "x", "y", "hp", "maxHp", "alive", "color")),
    "PublicDrop": _obj({"id": STR, "itemId": STR, "name": STR, "rarity": STR, "x": INT, "y": INT, "qty": INT,
                        "expiresAt": MS}, ("id", "itemId", "name", "rarity", "x", "y", "qty", "expiresAt")),
    "PublicParty": _obj({"id": STR, "leaderId": STR, "members": {"type": "array", "items": _obj({
        "id": STR, "name": STR, "level": INT, "job": STR, "hp": INT, "maxHp": INT, "mode": STR})}},
        ("id", "leaderId", "members")),
    "BoardPost": _obj({"id": STR, "createdAt": {**ISO, "nullable": True}, "author": {"type": "object", "nullable": True},
                       "content": {"type": "string", "nullable": True}}, ("id", "createdAt", "author", "content")),
    "Chat": _obj({"id": STR, "createdAt": ISO, "kind": {"type": "string", "enum": ["chat", "system"]},
                  "from": _obj({"id": STR, "name": STR}, ("id", "name")), "text": STR,
                  "toPlayerId": {"type": "string", "nullable": True}},
                 ("id", "createdAt", "kind", "from", "text", "toPlayerId")),
    "Hat": _obj({"submittedAt": {**ISO, "nullable": True}, "answers": {"type": "object", "nullable": True},
                 "localResult": {"type": "object", "nullable": True}, "botResult": {"type": "object", "nullable": True}},
                ("submittedAt", "answers", "localResult", "botResult")),
    "WorldInfo": _obj({"width": INT, "height": INT, "tileSize": {"type": "integer", "enum": [32]}, "map": STR,
                       "mapName": STR, "channel": INT,
                       "portals": {"type": "array", "items": _obj({"x": NUM, "y": NUM, "to": STR, "label": STR})}},
                      ("width", "height", "tileSize")),
    "Entity": _obj({"kind": {"type": "string", "enum": ["player", "monster", "drop"]}, "id": STR, "x": INT, "y": INT},
                   ("kind", "id", "x", "y"),
                   description="A flat list of what is on your map (players, monsters, drops), for MCP clients."),
    "Snapshot": _obj({
        "world": _ref("WorldInfo"), "you": _ref("PublicPlayer"),
        "players": {"type": "array", "items": _ref("PublicPlayer")},
        "monsters": {"type": "array", "items": _ref("PublicMonster")},
        "drops": {"type": "array", "items": _ref("PublicDrop")},
        "parties": {"type": "array", "items": _ref("PublicParty")},
        "board": {"type": "array", "maxItems": 20, "items": _ref("BoardPost")},
        "chats": {"type": "array", "maxItems": 25, "items": _ref("Chat"),
                  "description": "the last 25 lines you may read, filtered by your interrupt level"},
        "hat": _ref("Hat"),
    }, ("world", "you", "players", "monsters", "drops", "parties", "board", "chats", "hat")),
    "Event": _obj({"id": {"type": "integer", "minimum": 1}, "at": MS,
                   "kind": {"type": "string", "description": "one of " + ", ".join(EVENT_KINDS)},
                   "text": {"type": "string", "maxLength": 220}, "important": BOOL,
                   "data": {"type": "object", "nullable": True}},
                  ("id", "at", "kind", "text", "important", "data")),
    "CastResult": _obj({
        "ok": BOOL, "reason": {"type": "string", "description": "cooldown, no target, out of range, unknown spell, knocked out"},
        "retryInMs": INT, "target": STR, "hp": INT, "alive": BOOL, "dmg": INT, "spell": STR, "hits": {}, "range": INT,
    }, ("ok",), description="The real outcome of a cast; the HTTP envelope is always 200 `{ok:true}`."),
    "Character": _obj({"name": STR, "job": {"type": "string", "enum": list(JOBS)}, "level": INT, "hp": INT, "maxHp": INT,
                       "xp": INT, "x": INT, "y": INT}, ("name", "job", "level", "hp", "maxHp", "xp", "x", "y")),
    "Linked": _ok(botToken={"type": "string", "pattern": "^ctbot_"}, playerId=STR,
                  apiBaseUrl={"type": "string", "format": "uri"}, wsUrl={"type": "string", "format": "uri"}),
    "PlayerAnswer": _ok(player=_ref("PublicPlayer")),
}

# ---- request bodies --------------------------------------------------------------------
def _action_body(properties: dict, required: tuple = ()) -> dict:
    return _body(_obj({**properties, "requestId": REQUEST_ID}, required), required=bool(required))


TEXT = {"type": "string", "maxLength": 4000}
SHORT_ID = {"type": "string", "minLength": 1, "maxLength": 200, "pattern": r"\S"}


def _one_of_required(body: dict, *names: str) -> dict:
    """A required body that must carry at least one of `names`."""
    body["content"]["application/json"]["schema"]["anyOf"] = [{"required": [name]} for name in names]
    return {**body, "required": True}


def _bot_action(summary: str, body: dict, ok: dict, *, rate: str, **errors) -> dict:
    return {"post": {
        "tags": ["bot"], "summary": summary, "description": f"Counts as a bot action (H-Mode yields for 8 s). Rate limit: {rate}.",
        "security": [{"botToken": []}], "requestBody": body,
        "responses": _responses(ok, auth=True, body=True, action=True, busy=True, **errors),
    }}


def _bot_read(summary: str, ok: dict, *, rate: str, parameters=(), **errors) -> dict:
    op = {"tags": ["bot"], "summary": summary,
          "description": f"Counts as \"seen\", not as an action. Rate limit: {rate}.",
          "security": [{"botToken": []}], "responses": _responses(ok, auth=True, busy=True, **errors)}
    if parameters:
        op["parameters"] = list(parameters)
    return {"get": op}


def _png(summary: str, default: str, rate: str, w: tuple, h: tuple) -> dict:
    params = [
        {"name": "w", "in": "query", "required": False, "schema": {"type": "integer", "minimum": w[0], "maximum": w[1]},
         "description": "width in pixels (clamped; unparsable = default)"},
        {"name": "h", "in": "query", "required": False, "schema": {"type": "integer", "minimum": h[0], "maximum": h[1]},
         "description": "height in pixels (clamped; unparsable = default)"},
    ]
    if summary.startswith("A picture"):
        params.append({"name": "names", "in": "query", "required": False,
                       "schema": {"type": "string", "enum": ["1", "true", "yes"]}, "description": "draw name labels"})
    return {"get": {
        "tags": ["bot"], "summary": summary, "description": f"Default size {default}. Rate limit: {rate}.",
        "security": [{"botToken": []}], "parameters": params,
        "responses": _responses(
            {"description": "a PNG image", "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}}},
            auth=True, s503=_json(_ref("Busy"), '"map renderer busy, try again" (two renders already running; '
                                          'with `retryInMs`), "map rendering unavailable" or "server busy, try again" '
                                          '(the game fell behind its tick rate; with `retryInMs`)'),
        ),
    }}


def _debug(summary: str, body: dict, ok: dict, **errors) -> dict:
    return {"post": {
        "tags": ["debug"], "summary": summary, "x-test-mode-only": True,
        "description": "Test mode only (`--test-mode`), and only to loopback clients; otherwise 404 / 403.",
        "requestBody": _body(body), "responses": _responses(
            ok, body=True, s403=("debug routes are only served to loopback clients",), **errors),
    }}


def _admin(method: str, summary: str, ok: dict, *, body: dict | None = None, busy: bool = False, **errors) -> dict:
    op = {"tags": ["admin"], "summary": summary, "security": [{"adminToken": []}],
          "responses": _responses(ok, body=body is not None, busy=busy, s401=_err("bad admin token"),
                                  s429=_json(_ref("AdminLockout"), "too many failed admin logins from this address"),
                                  s503=_json(_ref("Busy"), '"server is starting, try again" or "server busy, try again"'),
                                  **errors)}
    if body is not None:
        op["requestBody"] = _body(body, required=True)
    return {method: op}


PATHS = {
    # ---- public ------------------------------------------------------------------------
    "/api/health": {"get": {
        "tags": ["public"], "summary": "Is the server up (original contract)",
        "responses": _responses(_json(_ok(time=ISO), "the server time")),
    }},
    "/api/openapi.json": {"get": {
        "tags": ["public"], "summary": "This document",
        "responses": _responses(_json({"type": "object"}, "the OpenAPI 3.0.3 document")),
    }},
    "/api/players": {"post": {
        "tags": ["public"], "summary": "Create a character",
        "description": "Answers the secret session token for `/ws?token=` and `/api/join-codes`. Rate-limited per address.",
        "requestBody": _body(_obj({
            "name": {"type": "string", "minLength": 1, "maxLength": 200, "description": "cleaned and cut to 24 characters"},
            "job": {"type": "string", "enum": list(JOBS), "default": "novice", "description": "case-insensitive"},
        }, ("name",)), required=True),
        "responses": _responses(
            _json(_ok(playerId=STR, sessionToken={"type": "string", "pattern": "^cts_"},
                      player={**_ref("PublicPlayer")}), "the new character"),
            body=True, busy=True, limited=True,
            s400=("name required", "name too long (at most 24 characters)",
                      f"invalid job (must be one of: {', '.join(JOBS)})", "missing JSON body",),
        ),
    }},
    "/api/join-codes": {"post": {
        "tags": ["public"], "summary": "Mint a join code for your character",
        "description": "The browser's \"link a bot\" button. The code lives 24 h, may be used any number of times, "
                       "and at most 5 are live per character. The body is ignored.",
        "security": [{"sessionToken": []}],
        "responses": _responses(_json(_ok(
            joinCode={"type": "string", "pattern": "^[ABCDEFGHJKLMNPQRSTUVWXYZ23456789]{6}$"}, expiresAt=MS,
            baseUrl={"type": "string", "format": "uri"}, joinToken={"type": "string", "pattern": r"^CT1\|.+\|[A-Z2-9]{6}$"},
            sandboxBaseUrl={"type": "string", "nullable": True}, sandboxJoinToken={"type": "string", "nullable": True},
        ), "a new join code and its `CT1|baseUrl|CODE` join token"),
            limited=True, s401={"$ref": R + "Unauthorized"}, s503=("could not mint a join code, try again",)),
    }},
    "/api/me/avatar": {"post": {
        "tags": ["public"], "summary": "Set your avatar picture",
        "description": "The browser's avatar upload (addition). The body is the image itself (`image/png` or "
                       "`image/jpeg`, at most 512 KiB), a `data:image/png;base64,…` URL as text, or JSON "
                       "`{\"dataUrl\": …}` (`pngDataUrl` also accepted) or `{\"reset\": true}` to remove it. The "
                       "server checks it, crops it to a centred square and stores it as a 128×128 PNG; "
                       "`avatarVersion` goes up by one (0 after a reset).",
        "security": [{"sessionToken": []}],
        "requestBody": {"required": True, "content": {
            "image/png": {"schema": {"type": "string", "format": "binary"}},
            "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
            "text/plain": {"schema": {"type": "string", "description": "a data URL"}},
            "application/json": {"schema": _obj({"dataUrl": STR, "pngDataUrl": STR, "reset": BOOL})},
        }},
        "responses": _responses(
            _json(_ok(avatarVersion={"type": "integer", "minimum": 0},
                      url={"type": "string", "nullable": True, "description": "`/api/avatars/<id>.png?v=<version>`"}),
                  "the new avatar version"),
            limited=True, busy=True, s401={"$ref": R + "Unauthorized"},
            s400=("missing image", "expected a PNG or JPEG data URL", "invalid base64", "not a PNG or JPEG image",
                  "unreadable image", "image dimensions out of range", "empty image", *BAD_JSON),
            s404=("player missing",), s413=("avatar too large",),
        ),
    }},
    "/api/avatars/{file}": {"get": {
        "tags": ["public"], "summary": "A player's avatar picture",
        "description": "`file` is `<playerId>.png`. With `?v=<avatarVersion>` the answer may be cached for a year.",
        "parameters": [
            {"name": "file", "in": "path", "required": True, "schema": {"type": "string", "pattern": r"^[A-Za-z0-9_-]+\.png$"}},
            {"name": "v", "in": "query", "required": False, "schema": INT},
        ],
        "responses": _responses(
            {"description": "the picture", "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}}},
            s404=("no avatar",), limited=True,
        ),
    }},
    "/api/me/bot": {"get": {
        "tags": ["public"], "summary": "Your linked bot: presence and latest thought",
        "description": "For the browser's \"link your bot\" panel (addition). `status` is offline when the bot has "
                       "not called for 12 s, idle when it has not acted for 12 s, online otherwise.",
        "security": [{"sessionToken": []}],
        "responses": _responses(_json(_ok(
            linked=BOOL, lastSeenAt=NULLABLE_MS, lastActionAt=NULLABLE_MS, thought=STR, thoughtAt=NULLABLE_MS,
            status={"type": "string", "enum": ["online", "idle", "offline"]},
        ), "the bot's presence"), limited=True, s401={"$ref": R + "Unauthorized"}),
    }},
    "/api/hat/questions": {"get": {
        "tags": ["public"], "summary": "The sorting-hat quiz",
        "description": "Questions in order, each with `id`, `kind` (choice or text), `required`, `prompt` {en, zh} "
                       "and `options` [{value, en, zh}]. Answer over the WebSocket with `hat_submit` (addition).",
        "responses": _responses(_json(_ok(questions={"type": "array", "items": {"type": "object"}}), "the quiz")),
    }},
    # ---- bot onboarding -----------------------------------------------------------------
    "/api/bot/link": {"post": {
        "tags": ["bot"], "summary": "Trade a join code or join token for the bot token",
        "description": "Linking again with any live code of the same character returns the same bot token (until it "
                       "is revoked). Rate-limited per address.",
        "requestBody": _body(_obj({
            "joinCode": {"type": "string", "maxLength": 32, "description": "6 characters, any case"},
            "joinToken": {"type": "string", "description": "`CT1|<baseUrl>|<CODE>`; used when joinCode is empty"},
        })),
        "responses": _responses(
            _json(_ref("Linked"), "the bot token"), body=True, busy=True, limited=True,
            s404=("invalid joinCode", "player missing"), s410=("joinCode expired",),
        ),
    }},
    "/api/bot/spawn": {"post": {
        "tags": ["bot"], "summary": "Create a new character driven by a bot",
        "description": "`twitterHandle` and `preferredAnimal` are kept private. Rate-limited per address.",
        "requestBody": _body(_obj({
            "name": {"oneOf": [{"type": "string", "minLength": 1, "maxLength": 4000}, NUM],
                     "description": "cleaned and cut to 24 characters"},
            "job": {"type": "string", "enum": list(JOBS), "default": "novice", "description": "case-insensitive"},
            "twitterHandle": {"type": "string", "description": "cut to 64 characters"},
            "preferredAnimal": {"type": "string", "description": "cut to 64 characters"},
        }, ("name",)), required=True),
        "responses": _responses(
            _json({"allOf": [_ref("Linked"), _obj({"character": _ref("Character")}, ("character",))]}, "the new character"),
            body=True, busy=True, limited=True,
            s400=("name required", f"invalid job (must be one of: {', '.join(JOBS)})",),
            s500=("failed to create character", "internal error",),
        ),
    }},
    # ---- bot reads -----------------------------------------------------------------------
    "/api/bot/me": _bot_read("Your character", _json(_ref("PlayerAnswer"), "you"), rate="250 ms, burst 10"),
    "/api/bot/status": _bot_read("A short status", _json(_ok(
        time=ISO, you=_ref("PublicPlayer"),
        nearby=_obj({"players": INT, "monsters": INT, "drops": INT, "radiusTiles": {"type": "integer", "enum": [6]}},
                    ("players", "monsters", "drops", "radiusTiles")),
        hp=INT, maxHp=INT, level=INT,
    ), "`you`, counts within 6 tiles, and top-level `hp`/`maxHp`/`level`"), rate="250 ms, burst 6"),
    "/api/bot/world": _bot_read("What you see on your map", _json(_ok(
        snapshot=_ref("Snapshot"), you=_ref("PublicPlayer"), entities={"type": "array", "items": _ref("Entity")},
    ), "the snapshot (original contract) plus top-level `you` and `entities`"), rate="250 ms, burst 6"),
    "/api/bot/events": _bot_read(
        "Your durable event log, after a cursor",
        _json(_obj({
            "ok": OK_TRUE, "events": {"type": "array", "maxItems": 60, "items": _ref("Event")},
            "nextCursor": {"type": "integer", "minimum": 0, "description": "pass it back as `cursor` next time"},
            "hasMore": {"type": "boolean", "description": "more events wait: call again at once"},
            "cursorExpired": {"type": "boolean", "description": "events after your cursor were pruned"},
            "gap": _obj({"from": INT, "to": INT}, ("from", "to"), description="the pruned ids"),
            "cursorAhead": {"type": "boolean", "description": "your cursor is past the newest event; nextCursor resets it"},
        }, ("ok", "events", "nextCursor", "hasMore")), "events with `id > cursor`, oldest first"),
        rate="700 ms, burst 3",
        parameters=[
            {"name": "cursor", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 0, "default": 0}},
            {"name": "limit", "in": "query", "required": False,
             "schema": {"type": "integer", "minimum": 1, "maximum": 60, "default": 20}},
        ],
    ),
    "/api/bot/map.png": _png("A picture of your map", "960×576", "2400 ms, burst 1", (320, 2048), (240, 2048)),
    "/api/bot/minimap.png": _png("A small picture of your map", "480×288", "1800 ms, burst 1", (180, 1024), (120, 1024)),
    # ---- bot actions ---------------------------------------------------------------------
    "/api/bot/mode": _bot_action(
        "Switch between manual and agent (H-Mode)",
        _action_body({"mode": {"type": "string", "enum": MODES, "description": "case-insensitive"}}, ("mode",)),
        _json(_ref("PlayerAnswer"), "you, after the change"), rate="700 ms, burst 2",
        s400=("invalid mode",),
    ),
    "/api/bot/goal": _bot_action(
        "Walk to a point (agent mode)",
        _action_body({"x": NUM, "y": NUM}, ("x", "y")),
        _json(_ok(goal=_obj({"x": NUM, "y": NUM})), "the goal, clamped to the map"), rate="220 ms, burst 6",
        s400=("invalid coords",), s409=("knocked out",),
    ),
    "/api/bot/cast": _bot_action(
        "Cast a spell",
        _action_body({"spell": {"type": "string", "enum": SPELLS, "default": "signature"}, "x": NUM, "y": NUM}),
        _json(_ok(result=_ref("CastResult")), "always 200; the outcome is in `result`"), rate="220 ms, burst 6",
        s400=("invalid spell", "invalid coords",),
    ),
    "/api/bot/intent": _bot_action(
        "Set the public line over your head (empty clears it)",
        _action_body({"text": TEXT}), _json(_ref("Ok"), "done"), rate="500 ms, burst 3",
        s400=("text must be a string", "text too long",),
    ),
    "/api/bot/chat": _bot_action(
        "Say something to everyone on your map (`@name` pings)",
        _action_body({"text": TEXT}), _json(_ref("Ok"), "posted (empty text: nothing is posted)"),
        rate="1200 ms, burst 2, and 1.2 s between two chat lines",
        s400=("text must be a string", "text too long", "empty message",),
    ),
    "/api/bot/thought": _bot_action(
        "Show a thought bubble (also a `thought` event)",
        _action_body({"text": {**TEXT, "minLength": 1}}, ("text",)),
        _json(_ok(thoughtAt=MS), "when it was shown"), rate="2500 ms, burst 2",
        s400=("missing text", "text must be a string", "text too long",),
    ),
    "/api/bot/interrupt": _bot_action(
        "Choose which chats `world` shows you",
        _action_body({"level": {"type": "string", "enum": INTERRUPT_LEVELS}}, ("level",)),
        _json(_ref("PlayerAnswer"), "you, after the change"), rate="500 ms, burst 4", s400=("invalid level",),
    ),
    "/api/bot/hat-result": _bot_action(
        "Refine your sorting-hat result (job, reasons, signature spell)",
        _action_body({
            "job": {"type": "string", "enum": list(JOBS), "description": "empty keeps the current job"},
            "reasons": {"type": "array", "items": STR, "description": "at most 4 are kept, 120 characters each"},
            "signature": _obj({"name": STR, "tagline": STR, "effect": {"type": "string", "enum": SIGNATURE_EFFECTS}}),
        }),
        _json(_ref("Ok"), "applied"), rate="1000 ms, burst 3",
        s400=("invalid job", "reasons must be a list of strings", "signature must be an object",),
    ),
    "/api/bot/party/create": _bot_action(
        "Form a party (answers your current party if you are in one)",
        _action_body({}), _json(_ok(partyId=STR), "your party"), rate="500 ms, burst 4 (all party routes)",
    ),
    "/api/bot/party/code": _bot_action(
        "Make a new invite code for your party (leader only; replaces the previous one; lives 1 h)",
        _action_body({}), _json(_ok(joinCode=STR, expiresAt=MS), "the invite code"),
        rate="500 ms, burst 4 (all party routes)",
        s400=("not in party",), s403=("not leader",), s404=("party missing",),
    ),
    "/api/bot/party/join": _bot_action(
        "Join a party with its invite code",
        _one_of_required(_action_body({
            "joinCode": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": r"\S", "description": "any case"},
            "code": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": r"\S",
                     "description": "alias of joinCode (MCP clients send it)"}}), "joinCode", "code"),
        _json(_ok(partyId=STR), "the party you are in"), rate="500 ms, burst 4 (all party routes)",
        s400=("invalid code", "expired code",), s404=("party missing",),
    ),
    "/api/bot/party/leave": _bot_action(
        "Leave your party (also fine when not in one)",
        _action_body({}), _json(_ref("Ok"), "left"), rate="500 ms, burst 4 (all party routes)",
    ),
    # ---- test mode ---------------------------------------------------------------------
    "/api/debug/persist-flush": _debug(
        "Commit everything to the store now", _obj({"playerId": {"type": "string", "description": "must be in the world"}}),
        _json(_ref("Ok"), "committed"), s400=("missing playerId",), s404=("unknown playerId", "not found"),
    ),
    "/api/debug/reset": _debug(
        "Forget every character, join code and bot token; close every socket; fresh monsters",
        _obj({}), _json(_ref("Ok"), "the world is empty again"), s404=("not found",),
    ),
    "/api/debug/restart-sim": _debug(
        "Save everything, drop the in-memory world and load it again from the store (a restart without a restart)",
        _obj({}), _json(_ref("Ok"), "reloaded"), s404=("not found",),
    ),
    "/api/debug/teleport": _debug(
        "Move a character",
        _obj({"playerId": STR, "x": NUM, "y": NUM, "map": {"type": "string", "description": "default: its current map"}},
             ("playerId", "x", "y")),
        _json(_ok(x=INT, y=INT, map=STR), "where it is now"),
        s400=("missing playerId", "invalid coords", "unknown map",), s404=("unknown playerId", "not found",),
    ),
    "/api/debug/spawn-monster": _debug(
        "Put a monster on a map (still; replaces one with the same id)",
        _obj({"id": {"type": "string", "maxLength": 64}, "playerId": {"type": "string", "description": "use this player's map"},
              "kind": {"type": "string", "enum": ["slime", "elite", "beast"], "default": "slime"},
              "name": {"type": "string", "default": "Poring"}, "color": STR, "x": NUM, "y": NUM,
              "maxHp": {"type": "integer", "minimum": 1, "maximum": 100000, "default": 10},
              "hp": {"type": "integer", "description": "0 or absent: maxHp"}}, ("x", "y")),
        _json(_ok(id=STR), "the monster id"),
        s400=("invalid coords", "maxHp must be an integer from 1 to 100000", "hp must be an integer",),
        s404=("unknown playerId", "not found",),
    ),
    "/api/debug/grant-item": _debug(
        "Give a character an item (through the normal inventory path)",
        _obj({"playerId": STR, "itemId": {"type": "string", "enum": list(CATALOG)},
              "qty": {"type": "integer", "minimum": 1, "maximum": 9999, "default": 1}}, ("playerId", "itemId")),
        _json(_ref("Ok"), "granted"),
        s400=("missing playerId", "unknown itemId", "qty must be an integer from 1 to 9999",),
        s404=("unknown playerId", "not found",),
    ),
    # ---- admin (Bearer admin token, derived from the server key) ------------------------
    "/api/admin/announce": _admin("post", "Say something to everyone: a global system chat line",
        _json(_ok(text=STR, connections=INT), "sent (after the tick that said it was committed)"),
        body=_obj({"text": {"type": "string", "minLength": 1, "maxLength": 280}}, ("text",)), busy=True,
        s400=("text required", "text too long (at most 280 characters)", "missing JSON body"),
    ),
    "/api/admin/kick": _admin("post", "Close every WebSocket of a player (close code 4003 \"kicked\")",
        _json(_ok(playerId=STR, name=STR, closed={"type": "integer", "minimum": 1}), "how many sockets were closed"),
        body=_obj({"player": {**SHORT_ID, "description": "player id or name (case-insensitive)"}}, ("player",)),
        s400=("player required (id or name)", "missing JSON body"), s404=("player not online",),
        s409=_json(_ref("Error"), "several players online have that name: kick by id (`playerIds` lists them)"),
    ),
    "/api/admin/forget-tokens": _admin("post", "Forget the cached bot tokens of a player (revocation acts at once)",
        _json(_ok(playerId=STR), "forgotten"),
        body=_obj({"playerId": SHORT_ID}, ("playerId",)), s400=("playerId required", "missing JSON body"),
    ),
    "/api/admin/status": _admin("get", "Health, players online per map channel, tick and store lag",
        _json(_ref("AdminStatus"), "the server's status"),
    ),
    "/api/admin/online": _admin("get", "Players with a live socket or a bot that called in the last minute",
        _json(_ok(players={"type": "array", "items": _obj({
            "id": STR, "name": STR, "map": STR, "channel": INT, "level": INT, "sockets": INT, "bot": BOOL,
        }, ("id", "name", "map", "channel", "level"))}), "who is online"),
    ),
    # ---- outside /api ------------------------------------------------------------------
    "/health/live": {"get": {
        "tags": ["health"], "summary": "The process answers",
        "responses": _responses(_json(_ok(), "alive")),
    }},
    "/health/ready": {"get": {
        "tags": ["health"], "summary": "Started, ticking on time, and the store commits",
        "responses": {
            "200": _json({"$ref": "#/components/schemas/Readiness"}, "ready"),
            "503": _json({"$ref": "#/components/schemas/Readiness"}, "not ready (`ok: false`)"),
            "500": {"$ref": R + "Internal"},
        },
    }},
    "/skill.md": {"get": {
        "tags": ["public"], "summary": "How an AI agent joins and plays on THIS server (with its real base URL)",
        "responses": {"200": {"description": "Markdown", "content": {"text/markdown": {"schema": {"type": "string"}}}}},
    }},
}

SCHEMAS["AdminStatus"] = _ok(
    time=ISO, ready=BOOL, tickLagS=NUM, ticks=INT, tickMs=_obj({"p50": NUM, "p99": NUM}, ("p50", "p99")),
    storeLagMs={**NUM, "description": "age of the oldest change not yet committed; 0 when none"},
    commitMs={**NUM, "description": "duration of the last commit"}, storeOk=BOOL, commitFailures=INT,
    playersOnline=INT, playersInWorld=INT,
    instances={"type": "array", "items": _obj({"instance": STR, "map": STR, "channel": INT, "online": INT,
                                               "population": INT}, ("instance", "map", "channel", "online"))},
    connections=INT, inbox=_obj({"length": INT, "drops": INT}, ("length", "drops")),
)
SCHEMAS["Readiness"] = _obj({"ok": BOOL, "started": BOOL, "tickLagS": NUM, "storeOk": BOOL, "players": INT,
                             "connections": INT, "ticks": INT}, ("ok", "started", "tickLagS", "storeOk"))

OPENAPI: dict = {
    "openapi": "3.0.3",
    "info": {
        "title": "Clawtown",
        "version": __version__,
        "description": "The HTTP API of a Clawtown server. The bot routes keep the original Node.js server's contract "
                       "(paths, field names, status codes, error strings); additions are marked in the descriptions. "
                       "Every JSON error is `{\"ok\": false, \"error\": \"...\"}`; every 429 carries `retryInMs`. "
                       "Browsers use the WebSocket at /ws?token=<sessionToken>, which is not described here.",
    },
    "servers": [{"url": "/"}],
    "tags": [
        {"name": "public", "description": "No token, or the browser's session token"},
        {"name": "bot", "description": "The bot API (Authorization: Bearer <botToken>)"},
        {"name": "debug", "description": "Test-mode helpers, absent in production"},
        {"name": "health", "description": "Probes for the process supervisor"},
        {"name": "admin", "description": "Live operations (Authorization: Bearer <admin token>); `clawtown` CLI uses them"},
    ],
    "paths": PATHS,
    "components": {
        "schemas": SCHEMAS,
        "responses": RESPONSES,
        "securitySchemes": {
            "botToken": {"type": "http", "scheme": "bearer", "bearerFormat": "ctbot_…",
                         "description": "From POST /api/bot/link or /api/bot/spawn"},
            "sessionToken": {"type": "http", "scheme": "bearer", "bearerFormat": "cts_…",
                             "description": "From POST /api/players"},
            "adminToken": {"type": "http", "scheme": "bearer", "bearerFormat": "ctadm_…",
                           "description": "Derived from <data-dir>/server.key (clawtown.ops.admin_token); "
                                          "the CLI derives it with --data-dir"},
        },
    },
}
