"""Who is connected: live connections per player and what each one currently sees."""

from __future__ import annotations


class Connection:
    """Transport-independent state of one client connection; the transport supplies `sender`."""

    __slots__ = ("id", "player_id", "sender", "inst_key", "center", "cells", "greeted", "needs_enter")

    def __init__(self, conn_id: int, player_id: str, sender) -> None:
        self.id = conn_id
        self.player_id = player_id
        self.sender = sender
        self.inst_key: str | None = None
        self.center = None
        self.cells = frozenset()
        self.greeted = False
        self.needs_enter = True

    def send(self, payload: bytes) -> None:
        self.sender.send_bytes(payload)

    def send_prepared(self, prepared) -> None:
        self.sender.send_prepared(prepared)


class SessionRegistry:
    def __init__(self, prepare=None) -> None:
        self.by_id: dict[int, Connection] = {}
        self.by_player: dict[str, set[Connection]] = {}
        self._next = 0
        self.prepare = prepare or (lambda payload: payload)

    def open(self, player_id: str, sender) -> Connection:
        self._next += 1
        conn = Connection(self._next, player_id, sender)
        self.by_id[conn.id] = conn
        self.by_player.setdefault(player_id, set()).add(conn)
        return conn

    def close(self, conn: Connection) -> bool:
        """Forget a connection; True when it was the player's last one."""
        self.by_id.pop(conn.id, None)
        conns = self.by_player.get(conn.player_id)
        if conns is not None:
            conns.discard(conn)
            if not conns:
                del self.by_player[conn.player_id]
                return True
        return False

    def of(self, player_id: str) -> set[Connection]:
        return self.by_player.get(player_id, set())

    def online(self, player_id: str) -> bool:
        return player_id in self.by_player

    def __len__(self) -> int:
        return len(self.by_id)
