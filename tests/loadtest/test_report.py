"""The report: figures from a run's per-second tallies and scrapes, the Rich tables, JSON and PNG."""

from __future__ import annotations

import json
import struct

import pytest
from rich.console import Console

from clawtown.loadtest import promtext
from clawtown.loadtest import report as rep
from clawtown.loadtest.options import validate
from clawtown.loadtest.runner import Run
from clawtown.loadtest.stats import Tally, Timeline

METRICS = """\
process_cpu_seconds_total {cpu}
process_resident_memory_bytes {rss}
clawtown_connections {conns}
clawtown_ticks_skipped_total 0
clawtown_tick_duration_seconds_bucket{{le="0.002"}} {fast}
clawtown_tick_duration_seconds_bucket{{le="0.01"}} {ticks}
clawtown_tick_duration_seconds_bucket{{le="+Inf"}} {ticks}
clawtown_tick_duration_seconds_sum 1
clawtown_tick_duration_seconds_count {ticks}
"""


def scrape(t, cpu, rss_mb, conns, ticks):
    text = METRICS.format(cpu=cpu, rss=rss_mb * 2**20, conns=conns, fast=int(ticks * 0.9), ticks=ticks)
    return (t, promtext.extract(promtext.parse(text)))


def fake_run(tmp_path, metrics=True, ramp="2", duration="4") -> Run:
    opts = validate("http://127.0.0.1:8080", players="4", bots="2", duration=duration, ramp=ramp, procs="2",
                    out=str(tmp_path / "r.json"), plot=str(tmp_path / "r.png"))
    tl = Timeline(2)
    for k in range(1, 8):
        for wid in (0, 1):
            t = Tally()
            on = k <= 6
            players, bots = (2 if on else 0), (1 if on else 0)
            t.count("ws_in_msgs", 11 * players)
            t.count("ws_in_bytes", 4000 * players)
            t.count("sync_msgs", 10 * players)
            t.count("sync_bytes", 3900 * players)
            t.count("ws_out_msgs", 10 * players)
            t.count("ws_out_bytes", 300 * players)
            t.count("player_seconds", players)
            t.count("bot_seconds", bots)
            for _ in range(10 * players):
                t.observe("update_interval", 100.0 + k)
            if k == 1:
                t.observe("rest:players", 20.0)
                t.observe("rest:link", 30.0)
                t.observe("connect:ws hello", 105.0)
                t.count("setup_waits", 1)
            for _ in range(bots):
                t.observe("rest:world", 3.0 + wid)
            t.observe("ws:cast", 60.0)
            t.observe("loop_lag", 1.0)
            if k == 3:
                t.error("world: HTTP 429")
            t.cpu_s = 0.05
            t.gauges = {"players_connected": players, "bots_active": bots, "players_started": 2, "bots_started": 1,
                        "players_failed": 0, "bots_failed": 0, **({"in:town#1": players} if players else {})}
            tl.add(wid, k, t)
    run = Run(opts=opts, started_at=1_790_000_000.0, wall_s=6.5, timeline=tl, sources=3)
    run.workers = {0: {"clients": 3, "cancelled": 0}, 1: {"clients": 3, "cancelled": 0}}
    run.pids = {0: 100, 1: 101}
    if metrics:
        run.scrapes = [scrape(-0.5, 10.0, 100, 0, 1000), scrape(1.5, 10.05, 103, 5, 1030),
                       scrape(2.5, 10.1, 104, 6, 1050), scrape(5.5, 10.4, 106, 6, 1110),
                       scrape(6.5, 10.45, 106, 0, 1130)]
    else:
        run.metrics_missing = "/metrics answered HTTP 404"
    return run


def test_build_gives_every_figure(tmp_path):
    r = rep.build(fake_run(tmp_path))
    assert tuple(k for k in rep.REPORT_KEYS if k in r) == rep.REPORT_KEYS
    assert r["windows"]["steady_s"] == [2, 6] and r["windows"]["steady_seconds"] == 4
    c = r["clients"]
    assert (c["connected"], c["failed"], c["peak_connected"], c["target"]) == (6, 0, 6, 6)
    assert c["players"] == {"target": 4, "started": 4, "connected": 4, "failed": 0, "peak": 4}
    assert c["per_map_channel_peak"] == {"town#1": 4} and c["setup_waits"] == 2
    pp = r["per_player"]
    assert pp["msgs_in_per_s"] == 11.0 and pp["bytes_in_per_s"] == 4000.0 and pp["sync_per_s"] == 10.0
    assert pp["bytes_per_update"] == 390.0 and pp["msgs_out_per_s"] == 10.0
    assert r["per_bot"]["requests_per_s"] == 1.0
    ui = r["update_interval_ms"]
    assert 103 <= ui["p50"] <= 106 * 1.02 and ui["max"] == 106.0  # seconds 3..6 only
    assert r["rest"]["players"]["window"] == "run" and r["rest"]["players"]["n"] == 2
    assert r["rest"]["world"]["window"] == "steady" and r["rest"]["world"]["n"] == 8
    assert r["rest"]["world"]["p99"] == pytest.approx(4.0, rel=0.02)
    assert r["latency_ms"]["ws:cast"]["n"] == 8 and r["latency_ms"]["connect:ws hello"]["n"] == 2
    assert r["errors"] == {"world: HTTP 429": 2}
    g = r["generator"]
    assert [w["cpu_pct"] for w in g["workers"]] == [5.0, 5.0] and g["verdict"].startswith("ok")
    sv = r["server"]
    assert sv["metrics"] == "ok" and sv["steady"]["cpu_pct"] == pytest.approx(10.0)
    assert sv["steady"]["ticks_per_s"] == 20.0 and sv["steady"]["ticks_skipped"] == 0
    assert sv["rss_mb_before_load"] == 100.0 and sv["rss_mb_at_end"] == 106.0
    assert len(r["series"]) == 7 and r["series"][2]["players"] == 4 and r["series"][2]["errors"] == 2
    assert r["series"][5]["server_cpu_pct"] == pytest.approx(10.0)
    json.dumps(r, allow_nan=False)


def test_a_busy_generator_is_called_out(tmp_path):
    run = fake_run(tmp_path)
    for per in run.timeline.seconds.values():
        per[1].cpu_s = 0.95
    assert rep.build(run)["generator"]["verdict"].startswith("busy")


def test_a_starved_generator_is_called_out(tmp_path):
    run = fake_run(tmp_path)
    for per in run.timeline.seconds.values():
        per[0].hists["loop_lag"].add(400.0, 5)
    assert rep.build(run)["generator"]["verdict"].startswith("starved")


def test_a_run_shorter_than_a_second_after_the_ramp_uses_the_whole_run(tmp_path):
    r = rep.build(fake_run(tmp_path, ramp="2", duration="0.5"))
    assert r["windows"]["steady_s"] == [0, 7]


def render(report) -> str:
    console = Console(record=True, width=140, color_system=None)
    rep.print_report(report, console)
    return console.export_text()


def test_tables_show_the_figures(tmp_path):
    text = render(rep.build(fake_run(tmp_path)))
    for needle in ("clients connected / failed", "6 / 0 of 6", "update interval p50 / p99 / max",
                   "per player: received", "11.00 msg/s", "REST latency per route", "world", "steady",
                   "world: HTTP 429", "Load generator", "not the bottleneck", "tick p50 / p99", "10.0 % of one core",
                   "skipped ticks", "100.0 MB before the load", "town#1 4", "ws:cast → ack"):
        assert needle in text, needle


def test_tables_say_when_the_server_has_no_metrics(tmp_path):
    r = rep.build(fake_run(tmp_path, metrics=False))
    assert r["server"] == {"metrics": "/metrics answered HTTP 404"}
    assert "not available: /metrics answered HTTP 404" in render(r)


def test_json_and_png_files(tmp_path):
    run = fake_run(tmp_path)
    r = rep.build(run)
    rep.write_json(r, run.opts.out)
    back = json.loads(open(run.opts.out, encoding="utf-8").read())
    assert back["clients"]["connected"] == 6 and len(back["series"]) == 7 and back["rest"]["world"]["p99"]
    rep.write_plot(r, run.opts.plot)
    raw = open(run.opts.plot, "rb").read()
    assert raw[:8] == b"\x89PNG\r\n\x1a\n" and raw[12:16] == b"IHDR"
    w, h = struct.unpack(">II", raw[16:24])
    assert (w, h) == (rep.PLOT_W, 36 + 3 * rep.PANEL_H)
    assert not list(tmp_path.glob("*.tmp"))


def test_plot_of_an_empty_run(tmp_path):
    run = fake_run(tmp_path)
    run.timeline = Timeline(2)
    r = rep.build(run)
    rep.write_plot(r, str(tmp_path / "empty.png"))
    assert (tmp_path / "empty.png").read_bytes()[:4] == b"\x89PNG"


def test_live_view_renders(tmp_path):
    run = fake_run(tmp_path)
    console = Console(record=True, width=100, color_system=None)
    console.print(rep.live_view(run, "run", 3.2))
    text = console.export_text()
    assert "phase" in text and "run  3 / 6 s" in text and "connected of 4" in text and "msg/s in" in text
    assert "generator CPU  5% 5%" in text and "errors         2" in text


def test_an_interrupted_run_reports_what_ran(tmp_path):
    run = fake_run(tmp_path)
    run.interrupted, run.stopped_at = True, 3.4
    r = rep.build(run)
    assert r["interrupted"] is True and r["stopped_at_s"] == 3.4 and r["windows"]["steady_s"] == [2, 3]
    assert r["per_player"]["msgs_in_per_s"] == 11.0
    assert "(interrupted after 3.4 s)" in render(r)


def test_json_has_no_nan_even_if_the_server_exports_one(tmp_path):
    run = fake_run(tmp_path)
    r = rep.build(run)
    r["server"]["steady"]["counters_per_s"]["odd_total"] = float("nan")
    r["server"]["steady"]["cpu_pct"] = float("inf")
    rep.write_json(r, run.opts.out)
    back = json.loads(open(run.opts.out, encoding="utf-8").read())
    assert back["server"]["steady"]["counters_per_s"]["odd_total"] is None
    assert back["server"]["steady"]["cpu_pct"] is None
