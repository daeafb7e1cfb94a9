"""A scripted, mixed command log (players, walking, portals, casts, chat, parties, crafting, H-Mode)
and a runner, shared by the determinism tests. Run as a script it prints the final digest, so a
test can replay the same log in a fresh interpreter (another PYTHONHASHSEED)."""

from __future__ import annotations

import random
import sys

from clawtown.sim import commands as c
from clawtown.sim.world import World

TICK = 50
PLAYERS = [f"p_{i}" for i in range(6)]
JOBS = ["novice", "mage", "archer", "knight", "assassin", "bard"]
SPELLS = ["signature", "fireball", "hail", "arrow", "cleave", "flurry", "job", "attack", "meteor"]
SPOTS = [(944, 288), (16, 768), (480, 288), (560, 300), (400, 380), (72, 768), (900, 290)]


def command_log(ticks: int = 2000, seed: int = 2024) -> list[tuple[int, list]]:
    """(now, commands) for every tick. The log is fixed; it never looks at any world."""
    rng = random.Random(seed)
    log = []
    codes = ["ABCD23"]
    now = 0
    for t in range(ticks):
        now += TICK
        cmds: list = []
        if t == 0:
            cmds = [c.CreatePlayer(player_id=pid, name=f"Hero{i}", job=JOBS[i]) for i, pid in enumerate(PLAYERS)]
            cmds += [c.SetMode(player_id="p_0", mode="agent"), c.SetMode(player_id="p_1", mode="agent")]
            cmds.append(c.PartyCreate(player_id="p_0", party_id="party_a"))
            cmds.append(c.PartyCode(player_id="p_0", code="ABCD23"))
            log.append((now, cmds))
            continue
        # p_5 takes scripted portal trips: town -> meadow at 300, back at 600, again at 1100
        trip = {300: (944, 288), 600: (16, 768), 1100: (944, 288), 1500: (16, 768)}.get(t)
        if trip:
            cmds.append(c.SetGoal(player_id="p_5", x=trip[0], y=trip[1]))
        walking = any(start <= t < start + 200 for start in (300, 600, 1100, 1500))
        for _ in range(rng.choice((0, 0, 1, 1, 2))):
            pid = rng.choice(PLAYERS[:-1] if walking else PLAYERS)
            other = rng.choice(PLAYERS)
            r = rng.random()
            if r < 0.22:
                cmds.append(c.Move(player_id=pid, dx=rng.choice((-1, 0, 1)), dy=rng.choice((-1, 0, 1))))
            elif r < 0.34:
                x, y = rng.choice(SPOTS) if rng.random() < 0.4 else (rng.uniform(0, 1000), rng.uniform(0, 700))
                cmds.append(c.SetGoal(player_id=pid, x=x, y=y))
            elif r < 0.56:
                aim = (None, None) if rng.random() < 0.5 else (rng.uniform(300, 700), rng.uniform(150, 450))
                cmds.append(c.Cast(player_id=pid, spell=rng.choice(SPELLS), x=aim[0], y=aim[1]))
            elif r < 0.62:
                cmds.append(c.Chat(player_id=pid, text=rng.choice(("hi", "@hero1 look", "", "gg @Hero3!"))))
            elif r < 0.64:
                cmds.append(c.Whisper(player_id=pid, to=f"Hero{PLAYERS.index(other)}", text="psst"))
            elif r < 0.67:
                cmds.append(c.PartyJoin(player_id=pid, code=rng.choice((*codes[-3:], "NOPE22"))))
            elif r < 0.69:
                cmds.append(c.PartyLeave(player_id=pid))
            elif r < 0.71:
                cmds.append(c.PartyCreate(player_id=pid, party_id=f"party_{t}"))
                codes.append(f"C{t:05d}"[-6:])
                cmds.append(c.PartyCode(player_id=pid, code=codes[-1]))
            elif r < 0.74:
                cmds.append(c.PartySummon(player_id=pid))
            elif r < 0.77:
                cmds.append(c.Craft(player_id=pid))
            elif r < 0.80:
                cmds.append(c.Equip(player_id=pid, item=rng.choice(("dagger_1", "sword_1", "armor_1", "ring_1", "jelly"))))
            elif r < 0.82:
                cmds.append(c.Unequip(player_id=pid, slot=rng.choice(("weapon", "armor", "accessory"))))
            elif r < 0.85:
                cmds.append(c.AllocStat(player_id=pid, stat=rng.choice(("str", "agi", "vit", "int", "dex", "luk")),
                                        n=rng.randint(1, 3)))
            elif r < 0.87:
                cmds.append(c.BoardPost(player_id=pid, content=f"note {t}", post_id=f"b{t}"))
            elif r < 0.89:
                cmds.append(c.Emote(player_id=pid, emote=rng.choice(("wave", "dance"))))
            elif r < 0.91:
                cmds.append(c.SetMode(player_id=pid, mode=rng.choice(("agent", "manual"))))
            elif r < 0.93:
                cmds.append(c.SetIntent(player_id=pid, text=f"plan {t}"))
            elif r < 0.95:
                cmds.append(c.Thought(player_id=pid, text=f"thinking {t}"))
            elif r < 0.97:
                cmds.append(c.BotSeen(player_id=pid, action=True, link=True))
            else:
                cmds.append(c.ChangeChannel(player_id=pid, channel=1))
        log.append((now, cmds))
    return log


def run(seed: object, log: list, instance_cap: int = 4) -> World:
    w = World(seed=seed, instance_cap=instance_cap)
    for now, cmds in log:
        w.step(now, cmds)
    return w


if __name__ == "__main__":
    print(run(sys.argv[1], command_log(int(sys.argv[2]))).digest())
