"""Sample WebSocket frames shared by the in-memory and the end-to-end fuzz tests."""

from __future__ import annotations

import json

VALID = {
    "move": {"dx": 1, "dy": 0}, "goal": {"x": 500, "y": 500}, "cast": {"spell": "signature", "x": 10, "y": 10},
    "mode": {"mode": "agent"}, "intent": {"text": "hunting"}, "chat": {"text": "hello"},
    "whisper": {"to": "Bob", "text": "psst"}, "party_chat": {"text": "team"}, "emote": {"emote": "wave"},
    "mark": {}, "board_post": {"content": "a post"}, "equip": {"item": "sword_1"}, "unequip": {"slot": "weapon"},
    "alloc_stat": {"stat": "str", "n": 1}, "craft": {"recipe": "jelly_3"}, "party_create": {},
    "party_invite": {}, "party_code": {}, "party_join": {"code": "ABCDEF"}, "party_leave": {},
    "party_promote": {"memberId": "p_bob"}, "party_summon": {}, "set_name": {"name": "Annie"},
    "set_lang": {"lang": "zh"}, "set_signature": {"name": "Star", "effect": "blink"},
    "set_job_skill": {"name": "Zap", "spell": "fireball"}, "interrupt": {"level": "all"}, "channel": {"channel": 2},
    "hat_submit": {"answers": {"goal": "explore", "conflict": "talk", "magic": "yes"}},
}
"""A plausible frame of every type (the fields each one reads)."""

WRONG = [None, True, False, 0, -1, 1.5, 10**30, -(10**30), 1e308, float("nan"), float("inf"), float("-inf"),
         "", " ", "x" * 300, "y" * 5000, "\u0000\u202e\ud7ff", "\U0001f4a5" * 200, [], [1, "a"], {}, {"a": {"b": [1]}},
         "wave", "agent", "ABCDEF"]
"""Wrong (or unexpected) values: every type JSON has, edge numbers, control and huge strings."""


def frame(t: str, fields: dict, seq: int | None = None) -> bytes:
    msg = {"t": t, **fields}
    if seq is not None:
        msg["seq"] = seq
    return json.dumps(msg, allow_nan=True).encode()  # NaN/Infinity literals included on purpose
