"""Record builders and a hand-driven clock shared by the store tests."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from clawtown.store import Store


class FakeClock:
    """Seconds, advanced by hand."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def player(pid: str, name: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"id": pid, "name": name or pid.upper(), **extra}


def event(pid: str, seq: int, **extra: Any) -> dict[str, Any]:
    record = {"playerId": pid, "id": seq, "at": 1000 + seq, "kind": "xp", "text": f"e{seq}"}
    return {**record, **extra}


def join_code(
    code: str, pid: str, created: int, expires: int, revoked: int | None = None
) -> dict[str, Any]:
    return {
        "code": code,
        "playerId": pid,
        "createdAt": created,
        "expiresAt": expires,
        "revokedAt": revoked,
    }


def token_hash(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def bot_link(
    pid: str,
    generation: int,
    hashed: str | None,
    linked: int | None,
    revoked: int | None = None,
) -> dict[str, Any]:
    return {
        "playerId": pid,
        "generation": generation,
        "tokenHash": hashed,
        "linkedAt": linked,
        "revokedAt": revoked,
    }


def codes(store: Store, pid: str | None = None, now: int | None = None) -> list[str]:
    return [record["code"] for record in store.list_join_codes(pid, now)]




StoreFactory = Callable[..., Store]
"""Opens a fresh store of the backend under test; keyword arguments go to the store."""
