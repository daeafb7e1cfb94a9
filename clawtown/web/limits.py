"""The rate-limit rules of every WebSocket message type and REST route (one table, documented)."""

from __future__ import annotations

from ..engine.ratelimit import Rule

WS_RULES: dict[str, Rule] = {
    "move": Rule(40, 30),
    "goal": Rule(100, 10),
    "cast": Rule(100, 8),
    "chat": Rule(1000, 3),
    "whisper": Rule(1000, 3),
    "party_chat": Rule(1000, 3),
    "emote": Rule(2000, 2),
    "mark": Rule(2000, 2),
    "board_post": Rule(10_000, 2),
    "ping": Rule(500, 5),
    "party": Rule(500, 4),
    "misc": Rule(200, 10),
}
WS_CLASS = {
    "party_create": "party", "party_invite": "party", "party_code": "party", "party_join": "party",
    "party_leave": "party", "party_promote": "party", "party_summon": "party",
}
PER_PLAYER_CLASSES = frozenset(WS_RULES) - {"ping"}
"""Classes limited per player as well as per connection: a player's sockets share one budget, so
five sockets never fan out five times as much. `ping` is answered to its own socket only."""
ABUSE_LIMIT = 60
ABUSE_WINDOW_MS = 10_000

REST_RULES: dict[str, Rule] = {
    "create_player": Rule(6000, 10),
    "join_codes": Rule(2000, 5),
    "avatar_upload": Rule(3000, 3),
    "me_bot": Rule(500, 6),
    "avatar_read": Rule(20, 300),
}


def ws_rule(message_type: str) -> tuple[str, Rule]:
    cls = WS_CLASS.get(message_type, message_type if message_type in WS_RULES else "misc")
    return cls, WS_RULES[cls]
