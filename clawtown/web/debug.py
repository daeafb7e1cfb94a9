"""Test-mode helpers under /api/debug/* (only with --test-mode, and only from loopback).

They go through the same command path as players do, so what they change is committed and
synced like everything else.
"""

from __future__ import annotations

import ipaddress
import secrets

from ..engine import audit
from ..engine.game import Busy
from ..sim import commands as c
from .jsonapi import ApiError, client_address, read_json
from .requestlog import request_id_of


def is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _number(body: dict, key: str) -> float:
    value = body.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value or abs(value) > 1e7:
        raise ApiError(400, "invalid coords")
    return float(value)


def _player_id(body: dict) -> str:
    pid = body.get("playerId")
    if not isinstance(pid, str) or not pid.strip():
        raise ApiError(400, "missing playerId")
    return pid.strip()


class DebugActions:
    """One method per debug route; each returns the command to run, or a coroutine result."""

    def __init__(self, game, sync, admin=None) -> None:
        self.game = game
        self.sync = sync
        self.admin = admin

    def check(self, request) -> None:
        # A proxied request is never "from loopback", even when the proxy itself runs on this host.
        headers = getattr(request, "requestHeaders", None)
        proxied = headers is not None and any(headers.hasHeader(h) for h in (b"x-forwarded-for", b"forwarded", b"x-real-ip"))
        if proxied or not is_loopback(client_address(request)):
            raise ApiError(403, "debug routes are only served to loopback clients")

    async def run(self, action: str, request) -> dict:
        self.check(request)
        body = read_json(request, required=False)
        if action == "persist-flush":
            if body.get("playerId") is not None and _player_id(body) not in self.game.world.players:
                raise ApiError(404, "unknown playerId")
            await self.sync.flush(everything=True)
            return {"ok": True}
        if action == "reset" and self.admin is not None:
            await self.admin.reset()
            await self._audit(request, audit.TEST_RESET)
            return {"ok": True}
        if action == "restart-sim" and self.admin is not None:
            await self.admin.restart_sim()
            await self._audit(request, audit.TEST_RESTART_SIM)
            return {"ok": True}
        make = {
            "teleport": self._teleport,
            "grant-item": self._grant,
            "spawn-monster": self._spawn,
        }.get(action)
        if make is None:
            raise ApiError(404, "not found")
        try:
            result = await self.game.request(make(body))
        except Busy:
            raise ApiError(503, "server busy, try again", retryInMs=200) from None
        if not result.get("ok"):
            status = result.get("status", 400)
            error = "unknown playerId" if result.get("error") == "player not in world" else result.get("error")
            raise ApiError(status, error)
        return {k: v for k, v in result.items() if k != "status"}

    async def _audit(self, request, action: str) -> None:
        trail = getattr(getattr(self.admin, "access", None), "audit", None)
        if trail is not None:
            await trail.record(audit.TEST_MODE, action, None, None, request_id_of(request))

    def _teleport(self, body):
        pid, x, y = _player_id(body), _number(body, "x"), _number(body, "y")
        map_id = body.get("map") if isinstance(body.get("map"), str) else None
        return lambda ref: c.Teleport(player_id=pid, x=x, y=y, map_id=map_id, ref=ref)

    def _grant(self, body):
        pid = _player_id(body)
        item = body.get("itemId")
        qty = body.get("qty", 1)
        if not isinstance(item, str):
            raise ApiError(400, "unknown itemId")
        if isinstance(qty, bool) or not isinstance(qty, int) or not 1 <= qty <= 9999:
            raise ApiError(400, "qty must be an integer from 1 to 9999")
        return lambda ref: c.GrantItem(player_id=pid, item=item, qty=qty, ref=ref)

    def _spawn(self, body):
        x, y = _number(body, "x"), _number(body, "y")
        mid = body.get("id") if isinstance(body.get("id"), str) and body.get("id") else f"m_{secrets.token_hex(6)}"
        pid = body.get("playerId") if isinstance(body.get("playerId"), str) else ""
        max_hp = body.get("maxHp", 10)
        hp = body.get("hp")
        if isinstance(max_hp, bool) or not isinstance(max_hp, int) or not 1 <= max_hp <= 100_000:
            raise ApiError(400, "maxHp must be an integer from 1 to 100000")
        if hp is not None and (isinstance(hp, bool) or not isinstance(hp, int)):
            raise ApiError(400, "hp must be an integer")
        return lambda ref: c.SpawnMonster(
            player_id=pid, monster_id=mid[:64], kind=str(body.get("kind", "slime")), name=str(body.get("name", "Poring")),
            x=x, y=y, max_hp=max_hp, hp=hp or None, color=body.get("color") if isinstance(body.get("color"), str) else None,
            ref=ref,
        )
