"""The sorting hat: a short quiz whose answers choose a player's job and signature spell.

Everything here is a pure function of the answers (no I/O, no clock, no randomness), so the
browser quiz, the bot API and the tests all get the same result for the same answers.
`HAT_QUESTIONS` is the quiz as plain data (English and Traditional Chinese) for any client
to render; `validate_answers` checks what a client sent; `compute_hat_result` decides.
"""

from __future__ import annotations

import reprlib
from collections.abc import Mapping

from .text import clean_text

JOBS = ("novice", "mage", "archer", "knight", "assassin", "bard")

DEFAULT_JOB_SKILLS = {
    "mage": ("Fire Rain", "fireball"),
    "archer": ("Ranged Shot", "arrow"),
    "knight": ("Sweep", "cleave"),
    "assassin": ("Quick Stab", "flurry"),
    "bard": ("Echo Bolt", "signature"),
    "novice": ("Practice Slash", "signature"),
}
"""Job -> (skill name, spell) that a job starts with whenever the hat sets it."""

FREE_TEXT_MAX = 240
TAGLINE_MAX = 120


def _option(value: str, en: str, zh: str) -> dict:
    return {"value": value, "en": en, "zh": zh}


HAT_QUESTIONS = (
    {
        "id": "goal",
        "kind": "choice",
        "required": True,
        "prompt": {"en": "What do you most want to do in Clawtown?", "zh": "你在 Clawtown 最想做什麼？"},
        "options": (
            _option("combat", "Fight monsters", "戰鬥"),
            _option("explore", "Explore the world", "探索"),
            _option("social", "Meet people", "社交"),
            _option("build", "Build and create", "建造"),
        ),
    },
    {
        "id": "conflict",
        "kind": "choice",
        "required": True,
        "prompt": {"en": "When a conflict starts, what do you do first?", "zh": "遇到衝突時，你會先怎麼做？"},
        "options": (
            _option("direct", "Face it head-on", "正面上"),
            _option("strategy", "Think up a strategy", "先想策略"),
            _option("empathy", "Understand the other side", "先理解對方"),
        ),
    },
    {
        "id": "magic",
        "kind": "choice",
        "required": True,
        "prompt": {"en": "Which kind of magic calls to you?", "zh": "哪一種魔法最吸引你？"},
        "options": (
            _option("power", "Power", "力量"),
            _option("wisdom", "Wisdom", "智慧"),
            _option("speed", "Speed", "速度"),
            _option("guard", "Protection", "守護"),
        ),
    },
    {
        "id": "free",
        "kind": "text",
        "required": False,
        "max_length": FREE_TEXT_MAX,
        "prompt": {
            "en": "Anything else the hat should know about you? (optional, one line)",
            "zh": "還有什麼想讓分類帽知道的嗎？（選填，一句話）",
        },
        "options": (),
    },
)
"""The quiz, in order. Read-only data: serialize it (it is JSON-ready), never mutate it."""

_CHOICES = {q["id"]: tuple(o["value"] for o in q["options"]) for q in HAT_QUESTIONS if q["kind"] == "choice"}

_MAGIC_REASONS = {
    "power": "You gravitate toward decisive impact.",
    "wisdom": "You prefer understanding systems before acting.",
    "speed": "You like agility and clever positioning.",
    "guard": "You naturally protect and support others.",
}
_CONFLICT_REASONS = {
    "direct": "You handle conflict head-on.",
    "strategy": "You choose strategy and timing over force.",
    "empathy": "You prioritize understanding people first.",
}

_SIGNATURES = {
    "mage": ("Starstep", "blink"),
    "archer": ("Hawkeye Mark", "mark"),
    "assassin": ("Shadow Puncture", "blink"),
    "bard": ("Echo Oath", "echo"),
    "knight": ("Aegis Roar", "guard"),
    "novice": ("Aegis Roar", "guard"),
}

# Tagline = "<goal opening> of <magic essence>[, <conflict manner>]." + an optional quote.
_GOAL_OPENINGS = {
    "combat": "A battle-forged spell",
    "explore": "A far-wandering spell",
    "social": "A friend-woven spell",
    "build": "A hand-built spell",
}
_MAGIC_ESSENCES = {
    "power": "decisive power",
    "wisdom": "patient wisdom",
    "speed": "quicksilver speed",
    "guard": "steadfast protection",
}
_CONFLICT_MANNERS = {
    "direct": "cast head-on",
    "strategy": "cast at the right moment",
    "empathy": "cast with an open heart",
}


def validate_answers(answers: object) -> dict:
    """Return clean answers {goal, conflict, magic, free}, or raise ValueError naming the field.

    Choices are trimmed and lower-cased and must be one of the quiz's values. `free` is
    optional: control characters and newlines become one space, it is trimmed and cut to
    FREE_TEXT_MAX characters. Keys the quiz does not ask about are dropped.
    """
    if not isinstance(answers, Mapping):
        raise ValueError("answers must be an object with goal, conflict and magic")
    cleaned = {}
    for qid, allowed in _CHOICES.items():
        raw = answers.get(qid)
        value = _choice(raw)
        if value not in allowed:
            choices = ", ".join(allowed)
            if raw is None:
                raise ValueError(f"{qid} is required: choose one of {choices}")
            raise ValueError(f"{qid} must be one of {choices} (got {reprlib.repr(raw)})")
        cleaned[qid] = value
    free = answers.get("free")
    if free is not None and not isinstance(free, str):
        raise ValueError(f"free must be a string (got {type(free).__name__})")
    cleaned["free"] = clean_text(free, FREE_TEXT_MAX)
    return cleaned


def compute_hat_result(answers: Mapping) -> dict:
    """Decide {job, reasons, signature{name, tagline, effect}} from quiz answers.

    Never raises on a mapping: unknown or missing choices simply count as no answer (an
    unknown goal gives a novice). Use `validate_answers` first to reject bad input.
    """
    goal, conflict, magic = (_choice(answers.get(qid)) for qid in ("goal", "conflict", "magic"))
    free = answers.get("free")
    free = clean_text(free, FREE_TEXT_MAX) if isinstance(free, str) else ""
    job = _job_for(goal, conflict, magic)
    reasons = [line for line in (_MAGIC_REASONS.get(magic), _CONFLICT_REASONS.get(conflict)) if line]
    name, effect = _SIGNATURES[job]
    return {
        "job": job,
        "reasons": reasons,
        "signature": {"name": name, "tagline": _tagline(goal, conflict, magic, free), "effect": effect},
    }


def _job_for(goal: str, conflict: str, magic: str) -> str:
    if goal in ("combat", "explore"):
        if magic == "speed" and conflict != "direct":
            return "assassin"
        if conflict == "direct":
            return "knight" if goal == "combat" else "archer"
        return "archer" if goal == "combat" else "mage"
    return {"social": "bard", "build": "mage"}.get(goal, "novice")


def _tagline(goal: str, conflict: str, magic: str, free: str) -> str:
    """A short line built from the answers, quoting the player's own words when they gave some."""
    line = f"{_GOAL_OPENINGS.get(goal, 'A newly awakened spell')} of {_MAGIC_ESSENCES.get(magic, 'untapped potential')}"
    if conflict in _CONFLICT_MANNERS:
        line += f", {_CONFLICT_MANNERS[conflict]}"
    line += "."
    if free:
        line += f" “{_shorten(free, TAGLINE_MAX - len(line) - 3)}”"
    return line


def _shorten(text: str, limit: int) -> str:
    """Cut `text` to `limit` characters, at a word boundary when one is near, marking the cut with …."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip() + "…"


def _choice(value: object) -> str:
    return value.strip().lower() if isinstance(value, str) else ""
