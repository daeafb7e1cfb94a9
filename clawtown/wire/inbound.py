"""Decoding and validating client WebSocket frames into sim commands (protocol v2, as in v1).

A frame is a JSON object with a `t` (type) and the fields of that type, plus an optional
`seq` that the server echoes in the `ack` for that command. Anything malformed raises
WireError with a machine-readable code and a human message; nothing here touches the world.
"""

from __future__ import annotations

import math

import orjson

from ..sim import commands as c
from ..sim.text import clean_text

MAX_FRAME_BYTES = 64 * 1024
MAX_TEXT = 280
MAX_NAME = 24


class WireError(Exception):
    """A frame or field the server refuses; `code` is stable, `message` is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def decode_frame(payload: bytes, is_binary: bool) -> dict:
    if is_binary:
        raise WireError("bad_frame", "binary frames are not accepted; send JSON text")
    if len(payload) > MAX_FRAME_BYTES:
        raise WireError("too_big", f"frame over {MAX_FRAME_BYTES} bytes")
    try:
        msg = orjson.loads(payload)
    except orjson.JSONDecodeError:
        raise WireError("bad_json", "frame is not valid JSON") from None
    if not isinstance(msg, dict):
        raise WireError("bad_frame", "frame must be a JSON object")
    t = msg.get("t", msg.get("type"))
    if not isinstance(t, str) or not t:
        raise WireError("bad_frame", "frame needs a string field 't' (the message type)")
    seq = msg.get("seq")
    if seq is not None and (not isinstance(seq, int) or isinstance(seq, bool) or not 0 <= seq < 2**53):
        raise WireError("bad_field", "'seq' must be a non-negative integer")
    return msg


def number(msg: dict, key: str, lo: float, hi: float, default: float | None = None) -> float:
    value = msg.get(key, default)
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise WireError("bad_field", f"'{key}' must be a finite number")
    return float(min(max(value, lo), hi))


def integer(msg: dict, key: str, lo: int, hi: int, default: int | None = None) -> int:
    value = msg.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise WireError("bad_field", f"'{key}' must be an integer from {lo} to {hi}")
    return value


def text(msg: dict, key: str, limit: int, required: bool = True) -> str:
    value = msg.get(key, "" if not required else None)
    if not isinstance(value, str):
        raise WireError("bad_field", f"'{key}' must be a string")
    if len(value) > limit * 4:
        raise WireError("too_long", f"'{key}' is longer than {limit} characters")
    cleaned = clean_text(value, limit)
    if required and not cleaned:
        raise WireError("bad_field", f"'{key}' must not be empty")
    return cleaned


def word(msg: dict, key: str, allowed: tuple | None = None, required: bool = True) -> str | None:
    value = msg.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > 64:
        raise WireError("bad_field", f"'{key}' must be a short string")
    value = value.strip()
    if allowed is not None and value.lower() not in allowed:
        raise WireError("bad_field", f"'{key}' must be one of: {', '.join(allowed)}")
    return value


class CommandBuilder:
    """Turns a decoded frame into a command for one player; `mint` provides unguessable ids."""

    def __init__(self, mint) -> None:
        self.mint = mint
        self.builders = {
            "move": lambda m, k: c.Move(dx=number(m, "dx", -1, 1), dy=number(m, "dy", -1, 1), **k),
            "goal": lambda m, k: c.SetGoal(x=number(m, "x", -1e6, 1e6), y=number(m, "y", -1e6, 1e6), **k),
            "cast": self._cast,
            "mode": lambda m, k: c.SetMode(mode=word(m, "mode", ("manual", "agent")).lower(), **k),
            "intent": lambda m, k: c.SetIntent(text=text(m, "text", 140, required=False), **k),
            "chat": lambda m, k: c.Chat(text=text(m, "text", MAX_TEXT), **k),
            "whisper": lambda m, k: c.Whisper(to=text(m, "to", 64), text=text(m, "text", MAX_TEXT), **k),
            "party_chat": lambda m, k: c.PartyChat(text=text(m, "text", MAX_TEXT), **k),
            "emote": lambda m, k: c.Emote(emote=word(m, "emote"), **k),
            "mark": lambda m, k: c.Ping(**k),
            "board_post": lambda m, k: c.BoardPost(content=text(m, "content", 280), post_id=self.mint.post_id(), **k),
            "equip": lambda m, k: c.Equip(item=word(m, "item"), **k),
            "unequip": lambda m, k: c.Unequip(slot=word(m, "slot", ("weapon", "armor", "accessory")).lower(), **k),
            "alloc_stat": lambda m, k: c.AllocStat(stat=word(m, "stat", ("str", "agi", "vit", "int", "dex", "luk"))
                                                   .lower(), n=integer(m, "n", 1, 99, 1), **k),
            "craft": lambda m, k: c.Craft(recipe=word(m, "recipe", required=False) or "jelly_3", **k),
            "party_create": lambda m, k: c.PartyCreate(party_id=self.mint.party_id(), **k),
            "party_invite": lambda m, k: c.PartyCode(code=self.mint.party_code(), party_id=self.mint.party_id(), **k),
            "party_code": lambda m, k: c.PartyCode(code=self.mint.party_code(), **k),
            "party_join": lambda m, k: c.PartyJoin(code=word(m, "code"), **k),
            "party_leave": lambda m, k: c.PartyLeave(**k),
            "party_promote": lambda m, k: c.PartyPromote(member_id=word(m, "memberId"), **k),
            "party_summon": lambda m, k: c.PartySummon(**k),
            "set_name": lambda m, k: c.SetName(name=text(m, "name", MAX_NAME), **k),
            "set_lang": lambda m, k: c.SetLang(lang=word(m, "lang", ("en", "zh")).lower(), **k),
            "set_signature": lambda m, k: c.SetSignature(name=text(m, "name", 48), effect=word(m, "effect"), **k),
            "set_job_skill": lambda m, k: c.SetJobSkill(name=text(m, "name", 48), spell=word(m, "spell").lower(), **k),
            "interrupt": lambda m, k: c.SetInterrupt(level=word(m, "level").lower(), **k),
            "channel": lambda m, k: c.ChangeChannel(channel=integer(m, "channel", 1, 999), **k),
            "hat_submit": self._hat,
        }

    @property
    def types(self) -> tuple[str, ...]:
        return tuple(self.builders)

    def build(self, msg: dict, player_id: str, ref: object) -> c.Command:
        builder = self.builders.get(msg["t"] if "t" in msg else msg.get("type"))
        if builder is None:
            raise WireError("unknown_type", f"unknown message type {str(msg.get('t'))[:32]!r}")
        return builder(msg, {"player_id": player_id, "ref": ref})

    def _cast(self, m: dict, k: dict) -> c.Command:
        spell = word(m, "spell", required=False) or "signature"
        x = number(m, "x", -1e6, 1e6) if m.get("x") is not None else None
        y = number(m, "y", -1e6, 1e6) if m.get("y") is not None else None
        return c.Cast(spell=spell, x=x, y=y, source="manual", **k)

    def _hat(self, m: dict, k: dict) -> c.Command:
        from ..sim.hat import compute_hat_result, validate_answers

        answers = m.get("answers")
        if not isinstance(answers, dict):
            raise WireError("bad_field", "'answers' must be an object")
        try:
            clean = validate_answers(answers)
        except ValueError as exc:
            raise WireError("bad_field", str(exc)) from None
        result = compute_hat_result(clean)
        return c.ApplyHat(job=result["job"], signature=result["signature"], answers=clean,
                          reasons=tuple(result["reasons"]), source="local", **k)
