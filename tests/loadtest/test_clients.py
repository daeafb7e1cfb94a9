"""What a simulated player counts from the frames it receives, and how failures are told apart
from clients the run's end caught during setup (no network here)."""

from __future__ import annotations

import time
from random import Random

import orjson

from clawtown.loadtest.clients import Ctx, Player
from clawtown.loadtest.options import validate
from clawtown.loadtest.stats import Tally


def make(duration="5"):
    opts = validate("http://127.0.0.1:8080", players="1", duration=duration)
    ctx = Ctx(opts, Tally(), time.monotonic())
    return ctx, Player(ctx, 0, None, Random(1))


def feed(player: Player, msg: dict, at: float) -> None:
    raw = orjson.dumps(msg)
    player.received(raw, msg, at)


HELLO = {"t": "hello", "v": 2, "tk": 0, "you": {"id": "p_1", "x": 480, "y": 288},
         "instance": {"key": "town#1", "map": "town"}, "map": {"id": "town", "width": 30, "height": 18},
         "server": {"tickHz": 20, "syncHz": 10},
         "a": [{"c": [1, 1], "full": True, "up": [{"id": "p_1", "h": 1, "k": "p", "x": 480, "y": 288}]}]}


def test_received_frames_are_counted_and_applied():
    ctx, p = make()
    feed(p, HELLO, 0.0)
    assert ctx.instances["town#1"] == 1 and p.map_info["id"] == "town"
    for k in (1, 2, 3, 6):  # rounds 4 and 5 had nothing to tell: no frame, and no interval counted
        feed(p, {"t": "sync", "tk": 2 * k, "a": [{"c": [1, 1], "mv": [1, 480 + k, 288, 10 * k, 0, 0]}]}, 0.1 * k)
    t = ctx.tally
    assert t.counts["ws_in_msgs"] == 5 and t.counts["sync_msgs"] == 4
    assert t.counts["ws_in_bytes"] > t.counts["sync_bytes"] > 0
    h = t.hists["update_interval"]
    assert h.n == 2 and 99 <= h.percentile(50) <= 102  # two gaps of 100 ms between consecutive rounds
    assert p.model.entities["p_1"]["x"] == 486 and p.model.position("p_1", 14) == (486 + 60 * 0.1, 288)
    assert abs(p.model.tick_at(0.7) - 14) < 1e-6  # the frames' ticks against the local clock


def test_acks_errors_and_a_broken_view_model():
    ctx, p = make()
    feed(p, HELLO, 0.0)
    p.pending[7] = ("cast", 1.0)
    p.pending[8] = ("chat", 1.0)
    feed(p, {"t": "ack", "re": 7, "ok": False, "reason": "cooldown"}, 1.06)
    feed(p, {"t": "error", "code": "rate_limited", "re": 8, "retryInMs": 300}, 1.1)
    feed(p, {"t": "sync", "tk": 2, "a": [{"c": [1, 1], "mv": [99, 1, 1, 0, 0, 0]}]}, 1.2)  # a handle never seen
    t = ctx.tally
    assert 59 <= t.hists["ws:cast"].percentile(50) <= 61 and t.counts["refused:cast"] == 1
    assert t.errors == {"ws: error rate_limited": 1, "ws: view model (ValueError)": 1}
    assert p.pending == {}


def test_setup_failures_count_only_while_the_run_is_on():
    ctx, _ = make()
    ctx.players_started = ctx.bots_started = 2
    ctx.setup_failed("player")
    ctx.setup_failed("bot")
    assert (ctx.players_failed, ctx.bots_failed) == (1, 1)

    ctx.stop()
    ctx.setup_failed("player")
    assert ctx.players_failed == 1 and ctx.players_started == 1
    g = ctx.gauges()
    assert g["players_started"] == 1 and g["bots_failed"] == 1
