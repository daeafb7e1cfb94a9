"""A spatial hash: which entity ids sit in which square cell of a map instance."""

from __future__ import annotations

CELL_PX = 256


def cell_of(x: float, y: float) -> tuple[int, int]:
    return int(x) // CELL_PX, int(y) // CELL_PX


class SpatialGrid:
    """Keeps every entity id in the cell of its position, for range queries and interest areas."""

    __slots__ = ("cells", "where")

    def __init__(self) -> None:
        self.cells: dict[tuple[int, int], set[str]] = {}
        self.where: dict[str, tuple[int, int]] = {}

    def place(self, entity_id: str, x: float, y: float) -> tuple[int, int] | None:
        """Put or move an entity; returns its previous cell when it changed cell."""
        new = cell_of(x, y)
        old = self.where.get(entity_id)
        if old == new:
            return None
        if old is not None:
            self._discard(entity_id, old)
        self.where[entity_id] = new
        self.cells.setdefault(new, set()).add(entity_id)
        return old

    def remove(self, entity_id: str) -> tuple[int, int] | None:
        old = self.where.pop(entity_id, None)
        if old is not None:
            self._discard(entity_id, old)
        return old

    def _discard(self, entity_id: str, cell: tuple[int, int]) -> None:
        bucket = self.cells.get(cell)
        if bucket is not None:
            bucket.discard(entity_id)
            if not bucket:
                del self.cells[cell]

    def near(self, x: float, y: float, radius: float) -> list[str]:
        """Ids in every cell that a circle of `radius` around (x, y) touches (a superset)."""
        x0, y0 = cell_of(x - radius, y - radius)
        x1, y1 = cell_of(x + radius, y + radius)
        out: list[str] = []
        for cx in range(x0, x1 + 1):
            for cy in range(y0, y1 + 1):
                bucket = self.cells.get((cx, cy))
                if bucket:
                    out.extend(bucket)
        return out
