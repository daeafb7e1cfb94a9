"""What a world step produces: effects, chat lines, player events, replies and command results.

The engine routes each kind: spatial ones to the interest area of an instance, private ones to
one player, durable player events to the store, results to whoever issued the command.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Fx:
    """A visual effect at a place (hits, spells, level-ups, emotes)."""

    instance: str
    x: float
    y: float
    type: str
    by: str | None
    payload: dict
    id: str = ""


@dataclass(slots=True)
class ChatLine:
    """A chat line. scope: local (instance), private (sender + to), owner (to only), party, global."""

    scope: str
    text: str
    from_id: str
    from_name: str
    kind: str = "chat"
    instance: str | None = None
    to_id: str | None = None
    party_id: str | None = None
    id: str = ""
    at: int = 0


@dataclass(slots=True)
class Note:
    """A durable entry of one player's event log (kill, level, loot, mention, nearby, thought, ...)."""

    player_id: str
    id: int
    at: int
    kind: str
    text: str
    important: bool = False
    data: dict | None = None


@dataclass(slots=True)
class Reply:
    """A message for one player's own connections (party code, errors, confirmations)."""

    player_id: str
    type: str
    payload: dict = field(default_factory=dict)


@dataclass(slots=True)
class Result:
    """The outcome of a command that carried a `ref`, for the caller that is waiting on it."""

    ref: object
    payload: dict


@dataclass(slots=True)
class Relocated:
    """A player changed map instance (portal, channel change, waking in town, join, park)."""

    player_id: str
    old: str | None
    new: str | None
