"""Recent chat lines kept in memory for REST readers (bots read chat through /api/bot/world).

Local lines are kept per map instance, global ones once, and private/owner/party lines per
player they concern, so a reader only ever gets what it may see.
"""

from __future__ import annotations

from collections import deque

from ..sim.events import ChatLine

KEEP = 100


def chat_recipients(e: ChatLine, world) -> list[str]:
    """Who may read a private, owner or party line (local and global lines are for everyone there)."""
    if e.scope == "private":
        return [e.from_id, e.to_id]
    if e.scope == "owner":
        return [e.to_id]
    if e.scope == "party":
        party = world.parties.get(e.party_id)
        return list(party.members) if party else []
    return []


class ChatLog:
    def __init__(self, keep: int = KEEP) -> None:
        self.keep = keep
        self.by_instance: dict[str, deque] = {}
        self.global_lines: deque = deque(maxlen=keep)
        self.by_player: dict[str, deque] = {}

    def add(self, events: list, world) -> None:
        for e in events:
            if not isinstance(e, ChatLine):
                continue
            if e.scope == "local":
                self._queue(self.by_instance, e.instance).append(e)
            elif e.scope == "global":
                self.global_lines.append(e)
            else:
                for pid in chat_recipients(e, world):
                    self._queue(self.by_player, pid).append(e)

    def _queue(self, table: dict, key: str) -> deque:
        q = table.get(key)
        if q is None:
            q = table[key] = deque(maxlen=self.keep)
        return q

    def clear(self) -> None:
        self.by_instance.clear()
        self.global_lines.clear()
        self.by_player.clear()

    def forget_player(self, player_id: str) -> None:
        self.by_player.pop(player_id, None)

    def visible_to(self, p, instance_key: str, world, limit: int = 25) -> list[ChatLine]:
        """The lines a player may read, oldest first, filtered by its interrupt level (bot contract)."""
        lines = list(self.by_instance.get(instance_key, ())) + list(self.global_lines)
        lines += list(self.by_player.get(p.id, ()))
        lines.sort(key=lambda line: (line.at, len(line.id), line.id))
        level = p.interrupt
        if level == "off":
            lines = [line for line in lines if line.kind == "system"]
        elif level == "mentions":
            name = p.name.lower()
            lines = [line for line in lines if line.kind == "system" or name in line.text.lower()]
        elif level == "nearby":
            inst = world.instances.get(instance_key)
            lines = [line for line in lines if line.kind == "system" or _near(inst, p, line.from_id)]
        return lines[-limit:]


def _near(inst, p, other_id: str) -> bool:
    other = inst.players.get(other_id) if inst else None
    return other is not None and (other.x - p.x) ** 2 + (other.y - p.y) ** 2 <= 192 * 192
