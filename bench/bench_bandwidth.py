"""Bandwidth: "bytes per client per second with 200 players in the town versus a full-state broadcast".

200 manual players in one instance (World(instance_cap=1000)), each walking (a new click-to-move
goal every ~2 s) and a share of them casting at the monsters near them. The real TickService
(20 Hz) and SyncService (10 Hz) run on a twisted task.Clock advanced in 50 ms steps, with one
SessionRegistry connection per player whose fake sender counts every byte it is handed
(send_bytes, and send_prepared: the registry's `prepare` returns the payload bytes themselves).

The comparison is the original server's model: every 100 ms the FULL state (every player in the
original PublicPlayer shape, clawtown.wire.views.public_player, plus monsters and drops) encoded
once as JSON and sent to every client; its bytes/client/s is len(state) per sync, summed over the
measured syncs and divided by the measured seconds.

Modes:
  (default)  all 200 in the town (960 x 576 px: the 5x5-cell view covers nearly all of it)
  --spread   all 200 spread over the meadow (2560 x 1536 px): interest management cuts traffic
  --crowd    all 200 on one screen (within ~300 px of the plaza centre): bytes per update, tick p99

    .venv/bin/python bench/bench_bandwidth.py [--clients 200] [--seconds 30] [--spread | --crowd]
"""

from __future__ import annotations

import argparse
import math
import os
import random
import time

import _common as k
import orjson

from clawtown.engine.ticker import TickService
from clawtown.sim.world import World
from clawtown.wire.views import drop_entity, monster_entity, public_player

CROWD = (480.0, 288.0, 150.0)  # the plaza: a circle of 300 px diameter


def full_state_len(world, inst_key: str) -> int:
    inst = world.instances[inst_key]
    state = {
        "t": "state",
        "players": [public_player(p) for p in inst.players.values()],
        "monsters": [monster_entity(m) for m in inst.monsters.values()],
        "drops": [drop_entity(d) for d in inst.drops.values()],
    }
    return len(orjson.dumps(state))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=30.0, help="measured game seconds")
    ap.add_argument("--warmup", type=float, default=3.0, help="game seconds before measuring (hello frames go here)")
    ap.add_argument("--casters", type=float, default=0.3, help="share of players that cast at monsters (~1/s)")
    ap.add_argument("--chat-every", type=float, default=0.0,
                    help="each player says a chat line every ~N s (0: no chat, the default)")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--breakdown", action="store_true",
                    help="also split the bytes by what they carry and estimate permessage-deflate (slower)")
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--spread", action="store_true", help="players spread over the meadow")
    mode.add_argument("--crowd", action="store_true", help="all players within ~300 px of each other")
    k.add_common_args(ap)
    args = ap.parse_args()
    mode_name = "spread" if args.spread else "crowd" if args.crowd else "town"
    load = os.getloadavg()
    started = time.perf_counter()

    # ---- the world and its players
    world = World(seed=args.seed, instance_cap=1000)
    rng = random.Random(f"{args.seed}:layout")
    pids = k.player_ids(args.clients)
    map_id = "meadow" if args.spread else "town"

    def place(i, rng_):
        if args.crowd:
            ax, ay, ar = CROWD
            ang, dist = rng_.uniform(0, 2 * math.pi), ar * math.sqrt(rng_.random())
            return "town", ax + math.cos(ang) * dist, ay + math.sin(ang) * dist
        x, y = k.random_spot(map_id, rng_, margin=64)
        if map_id == "town":  # keep clear of the portal to the meadow (944, 288)
            x = min(x, 860.0)
        return (map_id, x, y)

    world.step(k.TICK_MS, k.create_commands(pids, rng, place))
    inst_key = f"{map_id}#1"
    manual = k.ManualPlayers(
        world, pids, args.seed, casters=args.casters, chat_ms=int(args.chat_every * 1000), keys_ms=0,
        goal_radius=220.0, anchor=CROWD if args.crowd else None,
    )

    # ---- the engine on a fake clock
    full_lens: list[int] = []
    measuring = [False]

    def after_round(_sync) -> None:
        if measuring[0]:
            full_lens.append(full_state_len(world, inst_key))

    rig = k.Rig(world, after_round=after_round)
    rig.clock.advance(world.now / 1000.0)
    rig.connect(pids)
    tick = TickService(rig.game, rig.clock, hz=20)
    tick.startService()
    rig.sync.startService()

    def run(seconds: float) -> None:
        for _ in range(round(seconds / k.TICK_S)):
            rig.submit(manual.commands(rig.game.now_ms() + k.TICK_MS))
            rig.clock.advance(k.TICK_S)

    run(args.warmup)
    hello = [s.by_type.get("hello", [0, 0]) for s in rig.senders.values()]
    hello_sizes = [b / n for n, b in hello if n]
    for s in rig.senders.values():
        s.reset()
    ticks_before = rig.game.ticks
    rounds_before = len(rig.sync.round_ms)
    measuring[0] = True
    if args.breakdown:
        k.CountingSender.record = {}
    prof = k.Profiler(args.profile)
    with prof:
        run(args.seconds)
    measuring[0] = False
    record, k.CountingSender.record = k.CountingSender.record, None
    prof.report("bandwidth run (tick + sync)")
    tick.stopService()
    rig.sync._loop.stop()

    # ---- figures
    secs = args.seconds
    n_ticks = rig.game.ticks - ticks_before
    tick_ms = list(rig.game.tick_ms)[-n_ticks:]
    round_ms = rig.sync.round_ms[rounds_before:]
    rates = [s.bytes / secs for s in rig.senders.values()]
    msgs = [s.messages / secs for s in rig.senders.values()]
    by_type: dict[str, list] = {}
    for s in rig.senders.values():
        for kind, (n, b) in s.by_type.items():
            slot = by_type.setdefault(kind, [0, 0])
            slot[0] += n
            slot[1] += b
    clients = len(rig.senders)
    sync_n = by_type.get("sync", [0, 0])
    per_update = sync_n[1] / sync_n[0] if sync_n[0] else 0.0
    full_bps = sum(full_lens) / secs
    ours = sum(rates) / clients
    result = {
        "bench": "bandwidth", "mode": mode_name, "clients": clients, "seconds": secs, "seed": args.seed,
        "casters": args.casters, "chat_every_s": args.chat_every, "load_avg_before": load[0],
        "bytes_per_client_s": {"avg": ours, "p50": k.pct(rates, 50), "p99": k.pct(rates, 99), "max": max(rates)},
        "messages_per_client_s": {"avg": sum(msgs) / clients, "p99": k.pct(msgs, 99)},
        "sync_bytes_per_update": per_update,
        "by_type_bytes_per_client_s": {kind: b / clients / secs for kind, (n, b) in sorted(by_type.items())},
        "by_type_messages_per_client_s": {kind: n / clients / secs for kind, (n, b) in sorted(by_type.items())},
        "hello_bytes": {"avg": sum(hello_sizes) / len(hello_sizes) if hello_sizes else 0,
                        "max": max(hello_sizes) if hello_sizes else 0},
        "full_state_bytes": {"avg": sum(full_lens) / len(full_lens) if full_lens else 0,
                             "max": max(full_lens) if full_lens else 0, "syncs": len(full_lens)},
        "full_broadcast_bytes_per_client_s": full_bps,
        "ratio_full_over_ours": full_bps / ours if ours else None,
        "tick_ms": k.summary(tick_ms),
        "sync_round_ms": k.summary(round_ms),
        "population": k.populations(world),
        "monsters": len(world.instances[inst_key].monsters), "drops": len(world.instances[inst_key].drops),
        "sent": dict(manual.sent),
    }
    if record is not None:
        result["breakdown_bytes_per_client_s"] = {
            key: v / clients / secs for key, v in k.breakdown(record).items()
        }
    took = time.perf_counter() - started
    result["took_s"] = round(took, 1)

    b = result["bytes_per_client_s"]
    print(f"bench_bandwidth --{mode_name}: {clients} clients in {inst_key}, {secs:.0f} s measured after "
          f"{args.warmup:.0f} s warm-up, casters {args.casters:.0%}, seed {args.seed}; load average before {load[0]:.2f}")
    print("population: " + ", ".join(f"{key} {n}" for key, n in result["population"].items() if n))
    print(f"ours:            {b['avg']:,.0f} B/client/s avg, p50 {b['p50']:,.0f}, p99 {b['p99']:,.0f}, max {b['max']:,.0f};"
          f" {result['messages_per_client_s']['avg']:.1f} messages/client/s")
    print("  by frame type (B/client/s): " + ", ".join(
        f"{kind} {v:,.0f} ({result['by_type_messages_per_client_s'][kind]:.1f}/s)"
        for kind, v in sorted(result["by_type_bytes_per_client_s"].items(), key=lambda kv: -kv[1])))
    print(f"  sync frame: {per_update:,.0f} B per update on average")
    print(f"full broadcast:  {full_bps:,.0f} B/client/s (state {result['full_state_bytes']['avg']:,.0f} B avg "
          f"x 10/s, {result['full_state_bytes']['syncs']} syncs)")
    print(f"ratio full/ours: {result['ratio_full_over_ours']:.1f}x")
    print(f"hello frame:     {result['hello_bytes']['avg']:,.0f} B avg, {result['hello_bytes']['max']:,.0f} B max")
    if record is not None:
        bd = result["breakdown_bytes_per_client_s"]
        print(f"breakdown (B/client/s): total {bd['total']:,.0f}; with permessage-deflate (per message, "
              f"no context takeover) ~{bd['deflate']:,.0f} ({bd['total'] / max(bd['deflate'], 1):.1f}x smaller)")
        print("  sync frames: " + ", ".join(
            f"{key} {bd[key]:,.0f}" for key in ("motion_states", "hops", "entered_or_crossed_cell",
                                               "view_moved_full_cells", "delta_facing", "delta_other", "gone",
                                               "out", "fx", "drop_lists", "sync_framing")))
        per = {key: bd[key] / max(bd["n_" + key], 1)
               for key in ("motion_states", "hops", "delta_facing", "entered_or_crossed_cell")}
        print(f"  other frames {bd['other_frames']:,.0f}; items/client/s: {bd['n_motion_states']:,.0f} motion states "
              f"({per['motion_states']:.0f} B each), {bd['n_hops']:,.0f} hops ({per['hops']:.0f} B each), "
              f"{bd['n_delta_facing']:,.0f} facing changes ({per['delta_facing']:.0f} B each), "
              f"{bd['n_entered_or_crossed_cell']:,.0f} whole entities for cell changes "
              f"({per['entered_or_crossed_cell']:.0f} B each); "
              f"deflating every send would cost ~{bd['deflate_cpu_s'] * clients:.3f} CPU s per s")
    t, s = result["tick_ms"], result["sync_round_ms"]
    print(f"tick ms:         p50 {t['p50']:.2f}  p99 {t['p99']:.2f}  max {t['max']:.2f};"
          f"  sync round ms: p50 {s['p50']:.2f}  p99 {s['p99']:.2f}  max {s['max']:.2f}")
    verdict = "meets" if b["avg"] <= 10_240 else "MISSES"
    print(f"aim <= 10 KB/s per client: {verdict} ({b['avg'] / 1024:.1f} KB/s avg); bench took {took:.0f} s")
    if args.json:
        k.emit_json(result)


if __name__ == "__main__":
    main()
