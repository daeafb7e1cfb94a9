"""Reading the server's /metrics: the exposition format, histogram quantiles, window figures."""

from __future__ import annotations

import math

import pytest

from clawtown.loadtest import promtext

BEFORE = """\
# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total 10.0
process_resident_memory_bytes 104857600
clawtown_connections 0
clawtown_ticks_skipped_total 2
# TYPE clawtown_tick_duration_seconds histogram
clawtown_tick_duration_seconds_bucket{le="0.001"} 100
clawtown_tick_duration_seconds_bucket{le="0.005"} 100
clawtown_tick_duration_seconds_bucket{le="0.01"} 100
clawtown_tick_duration_seconds_bucket{le="+Inf"} 100
clawtown_tick_duration_seconds_sum 0.05
clawtown_tick_duration_seconds_count 100
clawtown_http_requests_total{route="/api/bot/world",method="GET",status="200"} 5
"""

AFTER = """\
process_cpu_seconds_total 12.5
process_resident_memory_bytes 125829120
clawtown_connections{map="town",channel="1"} 150
clawtown_connections{map="town",channel="2"} 50
clawtown_ticks_skipped_total 2
clawtown_tick_duration_seconds_bucket{le="0.001"} 150
clawtown_tick_duration_seconds_bucket{le="0.005"} 290
clawtown_tick_duration_seconds_bucket{le="0.01"} 299
clawtown_tick_duration_seconds_bucket{le="+Inf"} 300
clawtown_tick_duration_seconds_sum 0.75
clawtown_tick_duration_seconds_count 300
clawtown_http_requests_total{route="/api/bot/world",method="GET",status="200"} 105
"""


def test_parse_reads_names_labels_and_values():
    text = 'a_total{x="1",y="q\\"uote\\\\d\\n"} 3.5 1700000000000\nb +Inf\nc NaN\n\n# comment\nd{} 2\n'
    got = promtext.parse(text)
    assert got[0] == ("a_total", {"x": "1", "y": 'q"uote\\d\n'}, 3.5)
    assert got[1][0] == "b" and got[1][2] == math.inf
    assert math.isnan(got[2][2])
    assert got[3] == ("d", {}, 2.0)


@pytest.mark.parametrize("bad", ["<html>not found</html>", "name", 'x{le="1} 2', "x{le=1} 2", "x abc"])
def test_parse_refuses_what_is_not_the_text_format(bad):
    with pytest.raises(promtext.MetricsFormatError):
        promtext.parse(bad)


def test_histogram_quantile_interpolates_inside_the_bucket():
    buckets = [(0.1, 50), (0.2, 100), (math.inf, 100)]
    assert promtext.histogram_quantile(0.5, buckets) == pytest.approx(0.1)
    assert promtext.histogram_quantile(0.75, buckets) == pytest.approx(0.15)
    assert promtext.histogram_quantile(0.25, buckets) == pytest.approx(0.05)
    # a rank in the +Inf bucket: the highest finite bound
    assert promtext.histogram_quantile(0.99, [(0.1, 50), (math.inf, 100)]) == pytest.approx(0.1)
    assert promtext.histogram_quantile(0.5, []) is None
    assert promtext.histogram_quantile(0.5, [(0.1, 0), (math.inf, 0)]) is None


def test_window_between_two_scrapes():
    before = promtext.extract(promtext.parse(BEFORE))
    after = promtext.extract(promtext.parse(AFTER))
    assert after["connections"] == 200 and after["tick_count"] == 300
    w = promtext.window(before, after, 10.0)
    assert w["cpu_pct"] == pytest.approx(25.0)
    assert w["rss_mb_before"] == 100.0 and w["rss_mb_after"] == 120.0
    assert w["ticks_skipped"] == 0 and w["ticks"] == 200 and w["ticks_per_s"] == 20.0
    # 200 new ticks: 50 under 1 ms, 140 in (1, 5] ms, 9 in (5, 10] ms, 1 above
    assert w["tick_ms_p50"] == pytest.approx(1 + 4 * (100 - 50) / 140, rel=1e-3)
    assert w["tick_ms_p99"] == pytest.approx(5 + 5 * (198 - 190) / 9, rel=1e-3)
    assert w["tick_ms_mean"] == pytest.approx(3.5)
    assert w["connections_before"] == 0 and w["connections_after"] == 200
    assert w["counters_per_s"]['clawtown_http_requests_total{method="GET",route="/api/bot/world",status="200"}'] == 10.0


def test_window_without_the_figures_says_nothing_about_them():
    empty = promtext.extract(promtext.parse("something_else 1\n"))
    w = promtext.window(empty, empty, 5.0)
    assert "cpu_pct" not in w and "tick_ms_p99" not in w and "ticks_skipped" not in w
    assert promtext.window(None, empty, 5.0) == {"seconds": 5.0}
