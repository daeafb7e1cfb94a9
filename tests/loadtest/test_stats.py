"""Mergeable histograms and tallies: percentiles within a bucket's width, merges that add up."""

from __future__ import annotations

import math
import pickle
from random import Random

import pytest

from clawtown.loadtest.stats import GROWTH, Hist, Tally, Timeline, bucket_of, bucket_top, merge_all


def exact(values, q):
    s = sorted(values)
    return s[max(1, math.ceil(len(s) * q / 100)) - 1]


def test_bucket_bounds_hold_their_values():
    for v in (0.0005, 0.001, 0.0011, 0.5, 1.0, 7.3, 100.0, 12345.6):
        i = bucket_of(v)
        assert v <= bucket_top(i) * (1 + 1e-9)
        if i > 0:
            assert v > bucket_top(i - 1) * (1 - 1e-9)


@pytest.mark.parametrize("seed", range(5))
def test_percentiles_are_within_one_bucket_of_the_exact_value(seed):
    rng = Random(seed)
    values = [rng.lognormvariate(2.0, 1.0) for _ in range(5000)]
    h = Hist.of(values)
    for q in (1, 10, 50, 90, 99, 99.9):
        got, want = h.percentile(q), exact(values, q)
        assert want <= got <= want * GROWTH * (1 + 1e-9), (q, got, want)
    assert h.percentile(0) == min(values) and h.percentile(100) == max(values)
    assert h.n == len(values) and h.mean == pytest.approx(sum(values) / len(values))


def test_an_empty_histogram_has_no_percentiles():
    h = Hist()
    assert h.percentile(50) is None and h.mean is None
    assert h.summary() == {"n": 0, "mean": None, "p50": None, "p90": None, "p99": None, "max": None}


def test_merging_equals_counting_everything_at_once():
    rng = Random(3)
    a = [rng.uniform(0, 50) for _ in range(700)]
    b = [rng.expovariate(0.05) for _ in range(300)]
    merged = Hist.of(a).merge(Hist.of(b))
    whole = Hist.of(a + b)
    assert merged.counts == whole.counts and merged.n == whole.n
    assert merged.lo == whole.lo and merged.hi == whole.hi
    assert merged.percentile(99) == whole.percentile(99)


def test_ignores_nan_and_clamps_negative_values():
    h = Hist()
    h.add(float("nan"))
    h.add(float("inf"))
    h.add(-3.0)
    assert h.n == 1 and h.lo == 0.0


def test_dict_round_trip_and_pickling():
    h = Hist.of([0.2, 3.0, 3.1, 250.0])
    back = Hist.from_dict(h.to_dict())
    assert back.counts == h.counts and back.n == 4 and back.hi == 250.0 and back.lo == 0.2
    assert pickle.loads(pickle.dumps(h)).counts == h.counts
    t = Tally()
    t.count("ws_in_msgs", 5)
    t.observe("rest:world", 1.5)
    t.error("world: HTTP 503")
    t.gauges["players_connected"] = 3
    t2 = Tally.from_dict(pickle.loads(pickle.dumps(t)).to_dict())
    assert t2.counts == {"ws_in_msgs": 5} and t2.errors == {"world: HTTP 503": 1}
    assert t2.hists["rest:world"].n == 1 and t2.gauges == {"players_connected": 3}


def test_take_starts_a_new_interval_but_keeps_gauges():
    t = Tally()
    t.count("sync_msgs", 3)
    t.observe("update_interval", 100.0)
    t.error("ws: closed 1006")
    t.cpu_s = 0.2
    t.gauges["players_connected"] = 7
    first = t.take()
    assert first.counts == {"sync_msgs": 3} and first.hists["update_interval"].n == 1 and first.cpu_s == 0.2
    assert t.counts == {} and t.hists == {} and t.errors == {} and t.cpu_s == 0.0
    assert t.gauges == {"players_connected": 7} and first.gauges == {"players_connected": 7}
    t.gauges["players_connected"] = 8
    assert first.gauges["players_connected"] == 7


def test_merging_tallies_adds_counts_errors_histograms_and_gauges():
    a, b = Tally(), Tally()
    a.count("rest_requests", 10)
    b.count("rest_requests", 5)
    a.error("world: timeout")
    b.error("world: timeout", 2)
    a.observe("rest:world", 2.0)
    b.observe("rest:world", 4.0)
    a.gauges["bots_active"] = 3
    b.gauges["bots_active"] = 4
    a.cpu_s, b.cpu_s = 0.1, 0.3
    m = merge_all([a, b])
    assert m.counts["rest_requests"] == 15 and m.errors["world: timeout"] == 3
    assert m.hists["rest:world"].n == 2 and m.gauges["bots_active"] == 7 and m.cpu_s == pytest.approx(0.4)
    seconds = merge_all([a, b], gauges=False)
    assert seconds.gauges == {}


def tally(msgs: int, connected: int, lat: float | None = None) -> Tally:
    t = Tally()
    t.count("ws_in_msgs", msgs)
    if lat is not None:
        t.observe("rest:world", lat)
    t.gauges["players_connected"] = connected
    return t


def test_timeline_windows_seconds_and_gauges():
    tl = Timeline(workers=2)
    for k in range(1, 6):
        tl.add(0, k, tally(10 * k, k, lat=float(k)))
        if k < 5:
            tl.add(1, k, tally(1, 2))
    assert tl.complete(4) and not tl.complete(5) and tl.last_complete() == 4
    assert tl.second(2).counts["ws_in_msgs"] == 21 and tl.second(2).gauges["players_connected"] == 4
    w = tl.window(1, 3)  # seconds 2 and 3
    assert w.counts["ws_in_msgs"] == 20 + 30 + 2 and w.hists["rest:world"].n == 2 and w.gauges == {}
    assert tl.window().counts["ws_in_msgs"] == 150 + 4
    assert tl.latest_gauges() == {"players_connected": 5 + 2}


def test_a_late_second_from_the_same_worker_is_merged():
    tl = Timeline(workers=1)
    tl.add(0, 3, tally(5, 1))
    tl.add(0, 3, tally(7, 2))
    assert tl.second(3).counts["ws_in_msgs"] == 12 and tl.second(3).gauges["players_connected"] == 2
