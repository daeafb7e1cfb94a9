"""Record builders and a hand-driven clock shared by the store tests."""

from __future__ import annotations

import hashlib
import re
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


JOIN_CODE_ID = re.compile(r"jc_[A-Za-z0-9_-]{16}")


class _AnyJoinCodeId:
    """Equal to any id the store draws for a join code (they are random)."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and JOIN_CODE_ID.fullmatch(other) is not None

    def __repr__(self) -> str:
        return "<any join code id>"


ANY_JOIN_CODE_ID = _AnyJoinCodeId()


def join_code(
    code: str | None,
    pid: str,
    created: int,
    expires: int,
    revoked: int | None = None,
    code_id: Any = ANY_JOIN_CODE_ID,
) -> dict[str, Any]:
    return {"code": code, **placeholder(code_id, pid, created, expires, revoked)}


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


def placeholder(
    code_id: Any, pid: str, created: int, expires: int, revoked: int | None = None
) -> dict[str, Any]:
    """A join code as a snapshot carries it (and restore_join_codes takes it): no code."""
    return {"id": code_id, "playerId": pid, "createdAt": created, "expiresAt": expires, "revokedAt": revoked}


def codes(store: Store, pid: str | None = None, now: int | None = None) -> list[str | None]:
    return [record["code"] for record in store.list_join_codes(pid, now)]


def code_ids(store: Store, pid: str | None = None, now: int | None = None) -> list[str]:
    return [record["id"] for record in store.list_join_codes(pid, now)]




StoreFactory = Callable[..., Store]
"""Opens a fresh store of the backend under test; keyword arguments go to the store."""
