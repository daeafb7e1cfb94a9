"""Tick cost with many players: "1,000 simulated players spread over the maps, tick p99 <= 20 ms on one core".

Phase 1 (sim only): a World with a fixed seed, N players created with CreatePlayer and spread by
Teleport over town and meadow (channels fill up to the instance cap, least full first), a share
of them in H-Mode (agent autopilot), the rest scripted like people (a goal every ~2 s, a cast
every ~1 s when a monster is near, a chat line every ~20 s, arrow-key walks). After a warm-up,
every `world.step(now, commands)` is timed with time.perf_counter; `now` advances 50 ms a tick.

Phase 2 (engine): the same world and script through the full engine path: commands go through
Game.submit (the inbox), Game.tick every 50 ms, and a SyncService round every 2 ticks with a
SessionRegistry connection for every player (fake senders that only count bytes), committing
over SyncRunner(MemoryStore) inline. It reports the tick, the sync round and their sum.

    .venv/bin/python bench/bench_tick.py [--players 1000] [--ticks 1200] [--agent-share 0.4] [--seed 7]
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import time

import _common as k

from clawtown.sim import commands as c
from clawtown.sim.constants import AUTOPILOT_STEP_MS
from clawtown.sim.world import World


def build_world(args):
    """A world with the players created, spread and in their modes; returns (world, pids, agents, now)."""
    world = World(seed=args.seed)
    rng = random.Random(f"{args.seed}:layout")
    pids = k.player_ids(args.players)
    order = list(range(args.players))
    rng.shuffle(order)
    in_town = set(order[: round(args.players * args.town_share)])

    def place(i, rng_):
        map_id = "town" if i in in_town else "meadow"
        return (map_id, *k.random_spot(map_id, rng_))

    now = k.TICK_MS
    world.step(now, k.create_commands(pids, rng, place))
    agents = set(rng.sample(pids, round(args.players * args.agent_share)))
    # People switch H-Mode on at different moments; the autopilot then steps every
    # AUTOPILOT_STEP_MS from that moment. --aligned-agents switches everyone on in one tick (what
    # a restart does: every stored H-Mode character resumes at once), so all autopilots step together.
    spread = 1 if args.aligned_agents else max(1, AUTOPILOT_STEP_MS // k.TICK_MS)
    switch_on: dict[int, list] = {}
    for pid in sorted(agents):
        switch_on.setdefault(rng.randrange(spread), []).append(c.SetMode(player_id=pid, mode="agent"))
    return world, pids, agents, now, switch_on


def run_sim(args) -> dict:
    world, pids, agents, now, switch_on = build_world(args)
    manual = k.ManualPlayers(world, [p for p in pids if p not in agents], args.seed)
    pop_start = k.populations(world)
    for i in range(args.warmup):
        now += k.TICK_MS
        world.step(now, switch_on.get(i, []) + manual.commands(now))
    gc.collect()
    tick_ms: list[float] = []
    cpu_ms: list[float] = []
    cpu = 0.0
    n_cmds = 0
    events = 0
    prof = k.Profiler(args.profile)
    wall0 = time.perf_counter()
    with prof:
        for _ in range(args.ticks):
            now += k.TICK_MS
            cmds = manual.commands(now)
            n_cmds += len(cmds)
            c0 = time.process_time()
            t0 = time.perf_counter()
            out = world.step(now, cmds)
            t1 = time.perf_counter()
            c1 = time.process_time()
            tick_ms.append((t1 - t0) * 1000.0)
            cpu_ms.append((c1 - c0) * 1000.0)
            cpu += c1 - c0
            events += len(out)
    wall = time.perf_counter() - wall0
    prof.report("world.step")
    game_s = args.ticks * k.TICK_S
    return {
        "tick_ms": k.summary(tick_ms),
        "tick_cpu_ms": k.summary(cpu_ms),
        "cpu_s_per_wall_s": cpu / game_s,
        "commands_per_s": n_cmds / game_s,
        "events_per_s": events / game_s,
        "sent": dict(manual.sent),
        "pop_start": pop_start,
        "pop_end": k.populations(world),
        "agents": len(agents),
        "players_active": len(world.players),
        "bench_wall_s": wall,
    }


def run_engine(args) -> dict:
    world, pids, agents, now, switch_on = build_world(args)
    rig = k.Rig(world)
    rig.clock.advance(now / 1000.0 - rig.clock.seconds())
    rig.connect(pids)
    manual = k.ManualPlayers(world, [p for p in pids if p not in agents], args.seed)
    pop_start = k.populations(world)
    sync_every = 2
    n_cmds = [0]

    def one_tick(i, timed):
        cmds = switch_on.get(i, []) + manual.commands(rig.game.now_ms() + k.TICK_MS)
        if timed:
            n_cmds[0] += len(cmds)
        rig.submit(cmds)
        rig.clock.advance(k.TICK_S)
        c0 = time.process_time()
        t0 = time.perf_counter()
        rig.game.tick()
        t1 = time.perf_counter()
        sync_ms = None
        if i % sync_every == sync_every - 1:
            rig.sync.round()
            sync_ms = (time.perf_counter() - t1) * 1000.0
        c1 = time.process_time()
        return (t1 - t0) * 1000.0, sync_ms, c1 - c0

    for i in range(args.warmup):
        one_tick(i, False)
    for s in rig.senders.values():
        s.reset()
    rig.store.commit_ms.clear()
    gc.collect()
    tick_ms, sync_ms, both_ms, both_cpu_ms = [], [], [], []
    cpu = 0.0
    prof = k.Profiler(args.profile)
    with prof:
        for i in range(args.warmup, args.warmup + args.ticks):
            t, s, cp = one_tick(i, True)
            tick_ms.append(t)
            both_cpu_ms.append(cp * 1000.0)
            cpu += cp
            if s is not None:
                sync_ms.append(s)
                both_ms.append(t + s)
            else:
                both_ms.append(t)
    prof.report("Game.tick + SyncService.round")
    game_s = args.ticks * k.TICK_S
    by_type: dict[str, int] = {}
    for s in rig.senders.values():
        for kind, (_n, b) in s.by_type.items():
            by_type[kind] = by_type.get(kind, 0) + b
    total_bytes = sum(s.bytes for s in rig.senders.values())
    total_msgs = sum(s.messages for s in rig.senders.values())
    return {
        "tick_ms": k.summary(tick_ms),
        "sync_round_ms": k.summary(sync_ms),
        "tick_plus_sync_ms": k.summary(both_ms),
        "tick_plus_sync_cpu_ms": k.summary(both_cpu_ms),
        "store_commit_ms": k.summary(rig.store.commit_ms),
        "cpu_s_per_wall_s": cpu / game_s,
        "bytes_per_client_s": total_bytes / len(rig.senders) / game_s,
        "messages_per_client_s": total_msgs / len(rig.senders) / game_s,
        "bytes_per_client_s_by_type": {kind: b / len(rig.senders) / game_s for kind, b in sorted(by_type.items())},
        "commands_per_s": n_cmds[0] / game_s,
        "sent": dict(manual.sent),
        "agents": len(agents),
        "pop_start": pop_start,
        "pop_end": k.populations(world),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--players", type=int, default=1000)
    ap.add_argument("--ticks", type=int, default=1200, help="measured ticks (50 ms of game time each)")
    ap.add_argument("--warmup", type=int, default=100, help="ticks run before measuring")
    ap.add_argument("--agent-share", type=float, default=0.4, help="share of players in H-Mode (agent)")
    ap.add_argument("--town-share", type=float, default=0.3, help="share of players placed in town (rest: meadow)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--aligned-agents", action="store_true",
                    help="switch every H-Mode player on in the same tick (as after a restart)")
    ap.add_argument("--phase", choices=("both", "sim", "engine"), default="both",
                    help="run phase 1 (sim only), phase 2 (engine: tick + sync) or both (default)")
    k.add_common_args(ap)
    args = ap.parse_args()
    args.warmup = max(args.warmup, AUTOPILOT_STEP_MS // k.TICK_MS + 2)  # every agent is switched on in warm-up

    load = os.getloadavg()
    started = time.perf_counter()
    sim = run_sim(args) if args.phase != "engine" else None
    engine = run_engine(args) if args.phase != "sim" else None
    took = time.perf_counter() - started

    first = sim or engine
    phase = "switched on in one tick" if args.aligned_agents else "switched on over the first 0.9 s"
    print(f"bench_tick: {args.players} players ({first['agents']} in H-Mode, {phase}), {args.ticks} measured ticks "
          f"({args.ticks * k.TICK_S:.0f} s of game time) after {args.warmup} warm-up ticks, seed {args.seed}; "
          f"load average before {load[0]:.2f}")
    print("population at start: " + ", ".join(f"{key} {n}" for key, n in first["pop_start"].items()))
    print("population at end:   " + ", ".join(f"{key} {n}" for key, n in first["pop_end"].items()))
    print(f"scripted input: {first['commands_per_s']:.0f} commands/s "
          f"({', '.join(f'{kk} {v}' for kk, v in first['sent'].items())} in total)")
    if sim:
        t = sim["tick_ms"]
        print(f"sim only   world.step ms: p50 {t['p50']:.2f}  p95 {t['p95']:.2f}  p99 {t['p99']:.2f}  "
              f"max {t['max']:.2f}  mean {t['mean']:.2f}   CPU s per wall s: {sim['cpu_s_per_wall_s']:.3f}"
              f"   ({sim['events_per_s']:.0f} world events/s)")
        tc = sim["tick_cpu_ms"]
        print(f"           same, CPU ms (process_time: not counting time other processes took the core): "
              f"p50 {tc['p50']:.2f}  p99 {tc['p99']:.2f}  max {tc['max']:.2f}")
    if engine:
        e, s, b, st = engine["tick_ms"], engine["sync_round_ms"], engine["tick_plus_sync_ms"], engine["store_commit_ms"]
        print(f"engine     Game.tick ms:  p50 {e['p50']:.2f}  p95 {e['p95']:.2f}  p99 {e['p99']:.2f}  max {e['max']:.2f}")
        print(f"           sync round ms: p50 {s['p50']:.2f}  p95 {s['p95']:.2f}  p99 {s['p99']:.2f}  max {s['max']:.2f}"
              f"   (of which store commit p50 {st['p50']:.2f}, p99 {st['p99']:.2f}, max {st['max']:.2f};"
              f" it runs on the store thread in production)")
        print(f"           tick + sync ms (per tick, a sync every 2nd tick): p50 {b['p50']:.2f}  p99 {b['p99']:.2f}"
              f"  max {b['max']:.2f}   CPU s per wall s: {engine['cpu_s_per_wall_s']:.3f}")
        bc = engine["tick_plus_sync_cpu_ms"]
        print(f"           same, CPU ms: p50 {bc['p50']:.2f}  p99 {bc['p99']:.2f}  max {bc['max']:.2f}")
        print(f"           traffic: {engine['bytes_per_client_s']:,.0f} B/client/s, "
              f"{engine['messages_per_client_s']:.1f} messages/client/s ("
              + ", ".join(f"{kind} {v:,.0f}" for kind, v in sorted(engine["bytes_per_client_s_by_type"].items(),
                                                                 key=lambda kv: -kv[1]) if v >= 1) + ")")
    if sim:
        t = sim["tick_ms"]
        verdict = "meets" if t["p99"] <= 20.0 else "MISSES"
        print(f"target tick p99 <= 20 ms (sim only): {verdict} ({t['p99']:.2f} ms wall, "
              f"{sim['tick_cpu_ms']['p99']:.2f} ms CPU)")
    print(f"bench took {took:.0f} s")
    if args.json:
        k.emit_json({
            "bench": "tick", "players": args.players, "ticks": args.ticks, "warmup": args.warmup,
            "seed": args.seed, "agent_share": args.agent_share, "town_share": args.town_share,
            "aligned_agents": args.aligned_agents, "load_avg_before": load[0],
            "sim": sim, "engine": engine, "took_s": round(took, 1),
        })


if __name__ == "__main__":
    main()
