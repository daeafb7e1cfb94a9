"""Planning the clients: even ramp, fair split over workers, source addresses under the server's
per-address limits."""

from __future__ import annotations

from collections import Counter
from random import Random

from clawtown.loadtest.options import validate
from clawtown.loadtest.runner import PER_ADDRESS, address_groups, is_loopback, plan_clients, source_block


def opts(players=10, bots=5, ramp="10", procs="2", bot_join="link", url="http://127.0.0.1:8080"):
    return validate(url, players=str(players), bots=str(bots), duration="5", ramp=ramp, procs=procs,
                    bot_join=bot_join)


def flat(plans):
    return sorted((c for plan in plans for c in plan), key=lambda c: c.offset)


def test_every_client_once_started_evenly_over_the_ramp_and_interleaved():
    o = opts(players=20, bots=10, ramp="30", procs="3")
    plans = plan_clients(o, None)
    everyone = flat(plans)
    assert Counter(c.kind for c in everyone) == {"player": 20, "bot": 10}
    assert sorted(c.index for c in everyone if c.kind == "player") == list(range(20))
    assert sorted(c.index for c in everyone if c.kind == "bot") == list(range(10))
    offsets = [c.offset for c in everyone]
    assert offsets[0] == 0.0 and offsets[-1] < 30.0
    assert all(abs((b - a) - 1.0) < 1e-9 for a, b in zip(offsets, offsets[1:]))
    kinds = "".join("p" if c.kind == "player" else "b" for c in everyone)
    assert "bbb" not in kinds and "pppp" not in kinds  # two players per bot, spread out
    assert [len(p) for p in plans] == [10, 10, 10]
    assert all(c.source is None for c in everyone)


def test_each_worker_gets_its_share_of_players_and_of_bots():
    for players, bots, procs in ((100, 100, 2), (10, 5, 2), (7, 30, 3), (1, 1, 2), (0, 9, 4)):
        plans = plan_clients(opts(players=players, bots=bots, procs=str(procs)), None)
        for kind, n in (("player", players), ("bot", bots)):
            shares = [sum(1 for c in plan if c.kind == kind) for plan in plans]
            assert sum(shares) == n and max(shares) - min(shares) <= 1, (kind, shares)
        sizes = [len(p) for p in plans]
        assert max(sizes) - min(sizes) <= 1, sizes


def test_no_ramp_starts_everyone_at_once():
    assert {c.offset for c in flat(plan_clients(opts(ramp="0"), None))} == {0.0}


def test_source_addresses_stay_under_the_per_address_limits():
    for join in ("link", "spawn"):
        o = opts(players=37, bots=23, bot_join=join)
        groups = address_groups(o)
        sources = [f"127.9.0.{i + 1}" for i in range(groups)]
        everyone = flat(plan_clients(o, sources))
        creates = Counter(c.source for c in everyone if c.kind == "player" or join == "link")
        bots = Counter(c.source for c in everyone if c.kind == "bot")
        assert max(creates.values()) <= PER_ADDRESS["player"]
        assert max(bots.values()) <= PER_ADDRESS["bot-spawn" if join == "spawn" else "bot-link"]
        assert sources[-1] not in {c.source for c in everyone}  # kept for the preflight probe


def test_source_block_only_for_loopback_targets():
    assert is_loopback("127.0.0.1") and is_loopback("localhost")
    assert not is_loopback("192.0.2.10") and not is_loopback("nonexistent.invalid")
    assert source_block(opts(url="http://192.0.2.10:8080"), 5) is None
    block = source_block(opts(), 300, Random(4))
    if block is not None:  # Linux routes all of 127/8 to lo; elsewhere the run is paced instead
        assert len(block) == len(set(block)) == 300
        assert all(a.startswith("127.") for a in block)
        assert len({a.split(".")[1] for a in block}) == 1
