"""Text hygiene shared by every rule that stores or shows what a player typed."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


def clean_text(value: object, limit: int) -> str:
    """Stringify, fold control characters and newlines into one space, trim, cut to `limit`."""
    text = _CONTROL.sub(" ", str(value if value is not None else ""))
    return text.strip()[:limit].strip()


def clean_name(value: object, limit: int = 24) -> str:
    return clean_text(value, limit)
