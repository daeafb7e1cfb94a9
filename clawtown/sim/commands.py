"""Typed commands: every change to the world arrives as one of these (from WS, REST or the engine).

Values are already validated and bounded by the wire layer; the rules still refuse anything
that breaks a game rule. Secrets and ids that must be unguessable (party codes, player ids)
are created by the caller and carried in the command, so a command log replays exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True, kw_only=True, frozen=True)
class Command:
    player_id: str
    ref: object = None


@dataclass(slots=True, kw_only=True, frozen=True)
class CreatePlayer(Command):
    name: str
    job: str = "novice"
    session_hash: str | None = None
    private_meta: dict = field(default_factory=dict)
    online: bool = True


@dataclass(slots=True, kw_only=True, frozen=True)
class Activate(Command):
    """Bring a stored character into the world (a socket connected or a bot called)."""

    record: dict | None = None
    online: bool = True


@dataclass(slots=True, kw_only=True, frozen=True)
class Disconnect(Command):
    pass


@dataclass(slots=True, kw_only=True, frozen=True)
class Park(Command):
    """Take an idle character out of the world (its record stays in the store)."""


@dataclass(slots=True, kw_only=True, frozen=True)
class Move(Command):
    dx: float
    dy: float


@dataclass(slots=True, kw_only=True, frozen=True)
class SetGoal(Command):
    x: float
    y: float
    source: str = "manual"


@dataclass(slots=True, kw_only=True, frozen=True)
class Cast(Command):
    spell: str = "signature"
    x: float | None = None
    y: float | None = None
    source: str = "manual"


@dataclass(slots=True, kw_only=True, frozen=True)
class SetMode(Command):
    mode: str
    source: str = "manual"


@dataclass(slots=True, kw_only=True, frozen=True)
class SetIntent(Command):
    text: str


@dataclass(slots=True, kw_only=True, frozen=True)
class SetInterrupt(Command):
    level: str


@dataclass(slots=True, kw_only=True, frozen=True)
class Thought(Command):
    text: str


@dataclass(slots=True, kw_only=True, frozen=True)
class Chat(Command):
    text: str
    source: str = "manual"


@dataclass(slots=True, kw_only=True, frozen=True)
class Whisper(Command):
    to: str
    text: str


@dataclass(slots=True, kw_only=True, frozen=True)
class PartyChat(Command):
    text: str


@dataclass(slots=True, kw_only=True, frozen=True)
class Emote(Command):
    emote: str


@dataclass(slots=True, kw_only=True, frozen=True)
class Ping(Command):
    pass


@dataclass(slots=True, kw_only=True, frozen=True)
class BoardPost(Command):
    content: str
    post_id: str


@dataclass(slots=True, kw_only=True, frozen=True)
class Equip(Command):
    item: str


@dataclass(slots=True, kw_only=True, frozen=True)
class Unequip(Command):
    slot: str


@dataclass(slots=True, kw_only=True, frozen=True)
class AllocStat(Command):
    stat: str
    n: int = 1


@dataclass(slots=True, kw_only=True, frozen=True)
class Craft(Command):
    recipe: str = "jelly_3"


@dataclass(slots=True, kw_only=True, frozen=True)
class PartyCreate(Command):
    party_id: str


@dataclass(slots=True, kw_only=True, frozen=True)
class PartyCode(Command):
    code: str
    party_id: str | None = None


@dataclass(slots=True, kw_only=True, frozen=True)
class PartyJoin(Command):
    code: str
    teleport: bool = True


@dataclass(slots=True, kw_only=True, frozen=True)
class PartyLeave(Command):
    pass


@dataclass(slots=True, kw_only=True, frozen=True)
class PartyPromote(Command):
    member_id: str


@dataclass(slots=True, kw_only=True, frozen=True)
class PartySummon(Command):
    pass


@dataclass(slots=True, kw_only=True, frozen=True)
class SetName(Command):
    name: str


@dataclass(slots=True, kw_only=True, frozen=True)
class SetLang(Command):
    lang: str


@dataclass(slots=True, kw_only=True, frozen=True)
class ApplyHat(Command):
    """Apply a sorting-hat result (computed by sim.hat from quiz answers, or sent by a bot)."""

    job: str
    signature: dict
    answers: dict | None = None
    reasons: tuple = ()
    source: str = "local"


@dataclass(slots=True, kw_only=True, frozen=True)
class SetSignature(Command):
    name: str
    effect: str


@dataclass(slots=True, kw_only=True, frozen=True)
class SetJobSkill(Command):
    name: str
    spell: str


@dataclass(slots=True, kw_only=True, frozen=True)
class ChangeChannel(Command):
    channel: int


@dataclass(slots=True, kw_only=True, frozen=True)
class BotSeen(Command):
    """A linked bot called the API: `action` when it changed something (H-Mode yields)."""

    action: bool = False
    link: bool = False


@dataclass(slots=True, kw_only=True, frozen=True)
class Announce(Command):
    """Operator: a global system line to everyone (`player_id` is empty)."""

    text: str


@dataclass(slots=True, kw_only=True, frozen=True)
class SetAvatarVersion(Command):
    """A new avatar picture was stored (or removed): `version` None bumps it by one, an int sets it."""

    version: int | None = None


@dataclass(slots=True, kw_only=True, frozen=True)
class Teleport(Command):
    """Operator/test helper: put a player somewhere (optionally on another map)."""

    x: float
    y: float
    map_id: str | None = None


@dataclass(slots=True, kw_only=True, frozen=True)
class GrantItem(Command):
    """Operator/test helper: give a player items through the normal inventory path."""

    item: str
    qty: int = 1


@dataclass(slots=True, kw_only=True, frozen=True)
class SpawnMonster(Command):
    """Operator/test helper: a monster in the instance of `player_id` (or of town when empty)."""

    monster_id: str
    kind: str = "slime"
    name: str = "Poring"
    x: float = 0.0
    y: float = 0.0
    max_hp: int = 10
    hp: int | None = None
    color: str | None = None
    respawn: bool = False
