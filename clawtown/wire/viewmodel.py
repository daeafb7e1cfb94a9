"""A reference client model of protocol v1: apply server frames, get the world as the client sees it.

Tests, the load-test tool and anyone writing a client can use it; the browser client does the
same in JavaScript. Order of application inside a `sync` frame (see docs/protocol.md):
`drop` cells → `gone` ids and `out` ids → `full` chunks → `up` items → `mv` moves → `hop` moves.
"""

from __future__ import annotations


class ViewModel:
    def __init__(self) -> None:
        self.entities: dict[str, dict] = {}
        self.cells: dict[str, tuple] = {}
        self.by_handle: dict[int, str] = {}
        self.you: dict = {}
        self.instance: dict = {}

    def apply(self, msg: dict) -> None:
        t = msg.get("t")
        if t in ("hello", "enter"):
            self.entities.clear()
            self.cells.clear()
            self.by_handle.clear()
            self.instance = msg.get("instance", {})
        if t in ("hello", "enter", "you"):
            self.you = msg["you"]
        if t not in ("hello", "enter", "sync"):
            return
        for cell in msg.get("drop", ()):
            self._forget_cell(tuple(cell))
        for chunk in msg["a"]:
            for eid in chunk.get("gone", ()):
                self._forget(eid)
        for eid in msg.get("out", ()):
            self._forget(eid)
        for chunk in msg["a"]:
            if chunk.get("full"):
                self._forget_cell(tuple(chunk["c"]))
        for chunk in msg["a"]:
            cell = tuple(chunk["c"])
            for up in chunk.get("up", ()):
                current = self.entities.get(up["id"])
                if "k" in up:
                    self.entities[up["id"]] = dict(up)
                    self.cells[up["id"]] = cell
                    self.by_handle[up["h"]] = up["id"]
                elif current is not None:
                    current.update(up)
                else:
                    raise ValueError(f"partial update for an entity this client never saw: {up}")
        for chunk in msg["a"]:
            self._moves(chunk.get("mv", ()), 3)
        self._moves(msg.get("hop", ()), 5)

    def _moves(self, flat, stride: int) -> None:
        for i in range(0, len(flat), stride):
            eid = self.by_handle.get(flat[i])
            entity = self.entities.get(eid) if eid else None
            if entity is None:
                raise ValueError(f"move for an unknown handle {flat[i]}")
            entity["x"], entity["y"] = flat[i + 1], flat[i + 2]
            if stride == 5:
                self.cells[eid] = (flat[i + 3], flat[i + 4])

    def _forget(self, eid: str) -> None:
        entity = self.entities.pop(eid, None)
        self.cells.pop(eid, None)
        if entity is not None:
            self.by_handle.pop(entity.get("h"), None)

    def _forget_cell(self, cell: tuple) -> None:
        for eid in [e for e, c in self.cells.items() if c == cell]:
            self._forget(eid)
