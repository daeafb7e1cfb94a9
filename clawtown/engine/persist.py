"""What one commit holds: changed players, new player events, parties and board posts.

Progress (anything a player could lose) is saved at every sync. A player who only walked is
saved between CHECKPOINT_MS/2 and CHECKPOINT_MS after it first moved; the delay depends on its
id, so a crowd that starts walking together is not written all in one round. `Batch` objects
merge, so a failed commit is retried together with the next one and nothing is dropped.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

from ..sim.events import Note

CHECKPOINT_MS = 5000


@dataclass
class Batch:
    players: dict = field(default_factory=dict)
    events: list = field(default_factory=list)
    parties: dict = field(default_factory=dict)
    deleted_parties: set = field(default_factory=set)
    board: list = field(default_factory=list)

    def empty(self) -> bool:
        return not (self.players or self.events or self.parties or self.deleted_parties or self.board)

    def merge(self, newer: "Batch") -> "Batch":
        self.players.update(newer.players)
        self.events.extend(newer.events)
        for pid in newer.deleted_parties:
            self.parties.pop(pid, None)
        self.parties.update(newer.parties)
        self.deleted_parties = (self.deleted_parties - set(newer.parties)) | newer.deleted_parties
        self.board.extend(newer.board)
        return self

    def kwargs(self) -> dict:
        return {
            "players": list(self.players.values()),
            "events": list(self.events),
            "parties": list(self.parties.values()),
            "deleted_parties": sorted(self.deleted_parties),
            "board": list(self.board),
        }


class BatchBuilder:
    """Takes the world's change sets (clearing them) and builds the next Batch."""

    def __init__(self, now_ms) -> None:
        self.now_ms = now_ms
        self.position_due: dict[str, int] = {}

    def build(self, world, events: list, everything: bool = False) -> tuple[Batch, set]:
        """Returns the batch and the ids of players whose progress changed (for `you` updates)."""
        now = self.now_ms()
        progressed = world.progress_dirty
        world.progress_dirty = set()
        save_ids = set(progressed)
        for pid in world.position_dirty:
            if pid not in self.position_due:
                self.position_due[pid] = now + CHECKPOINT_MS - zlib.crc32(pid.encode()) % (CHECKPOINT_MS // 2)
        world.position_dirty = set()
        if everything:
            save_ids |= set(world.players)
            self.position_due.clear()
        else:
            due = [pid for pid, at in self.position_due.items() if at <= now or pid in save_ids]
            for pid in due:
                del self.position_due[pid]
            save_ids.update(due)
        batch = Batch()
        batch.players.update(world.parked)
        for pid in save_ids:
            p = world.players.get(pid)
            if p is not None:
                rec = p.to_record()
                rec["updatedAt"] = now
                batch.players[pid] = rec
        for ev in events:
            if isinstance(ev, Note):
                batch.events.append({"playerId": ev.player_id, "id": ev.id, "at": ev.at, "kind": ev.kind,
                                     "text": ev.text, "important": ev.important, "data": ev.data})
        for pid in world.parties_dirty:
            party = world.parties.get(pid)
            if party is not None:
                batch.parties[pid] = party.to_record()
        batch.deleted_parties = set(world.parties_deleted)
        world.parties_dirty, world.parties_deleted = set(), set()
        batch.board, world.board_new = list(world.board_new), []
        return batch, progressed
