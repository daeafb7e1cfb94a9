"""The metrics registry (Prometheus text format 0.0.4) and the engine figures it exposes.

The engine is driven on a Clock with a MemoryStore behind a SyncRunner (tests/engine/conftest.py);
every metric is read back through the rendered text, as a scraper would.
"""

from __future__ import annotations

import math

import pytest

from clawtown.engine.metrics import (
    BOT_ONLINE_MS,
    SLOW_TIME_BUCKETS,
    TIME_BUCKETS,
    Counter,
    Histogram,
    Metrics,
    ProcessStats,
    format_value,
    parse,
    register_engine_metrics,
    register_process_metrics,
)
from clawtown.engine.ticker import TickService
from clawtown.sim import commands as c


def lines_of(registry: Metrics) -> list[str]:
    return registry.render().decode("utf-8").splitlines()


def scrape(registry: Metrics) -> dict:
    return parse(registry.render().decode("utf-8"))


def value(samples: dict, name: str, **labels) -> float:
    return samples[name][tuple(sorted(labels.items()))]


# ---- the format ------------------------------------------------------------------------
def test_a_counter_and_a_gauge_have_help_type_and_one_sample():
    m = Metrics()
    hits = m.counter("app_hits_total", "Hits so far.")
    load = m.gauge("app_load", "Current load.")
    hits.inc()
    hits.value += 2
    load.set(0.5)
    assert lines_of(m) == [
        "# HELP app_hits_total Hits so far.",
        "# TYPE app_hits_total counter",
        "app_hits_total 3",
        "# HELP app_load Current load.",
        "# TYPE app_load gauge",
        "app_load 0.5",
    ]
    assert m.render().endswith(b"\n")


def test_help_text_escapes_backslash_and_newline():
    m = Metrics()
    m.gauge("g", "a \\ b\nc \"quoted\"")
    assert lines_of(m)[0] == '# HELP g a \\\\ b\\nc "quoted"'


def test_label_values_are_escaped_and_read_back_intact():
    m = Metrics()
    fam = m.counter("x_total", "X.", labels=("path", "kind"))
    nasty = 'a"b\\c\nd'
    fam.labels(nasty, "plain").inc(4)
    [sample] = [line for line in lines_of(m) if not line.startswith("#")]
    assert sample == 'x_total{path="a\\"b\\\\c\\nd",kind="plain"} 4'
    assert value(scrape(m), "x_total", path=nasty, kind="plain") == 4


def test_label_children_are_made_once_per_combination():
    m = Metrics()
    fam = m.counter("req_total", "R.", labels=("route", "status"))
    fam.labels("/a", "200").inc()
    fam.labels("/a", "200").inc()
    fam.labels("/a", 404).inc()  # values are strings in the end
    fam.labels("/a", "404").inc()
    assert len(fam.children) == 2
    samples = scrape(m)
    assert value(samples, "req_total", route="/a", status="200") == 2
    assert value(samples, "req_total", route="/a", status="404") == 2
    with pytest.raises(ValueError):
        fam.labels("/a")


def test_a_family_without_children_has_only_its_header():
    m = Metrics()
    m.histogram("h_seconds", "H.", labels=("route",))
    assert lines_of(m) == ["# HELP h_seconds H.", "# TYPE h_seconds histogram"]


def test_a_histogram_has_cumulative_buckets_inf_sum_and_count():
    m = Metrics()
    h = m.histogram("t_seconds", "T.", buckets=(0.01, 0.1, 1))
    for v in (0.005, 0.01, 0.05, 0.5, 3.0):  # 0.01 is in le="0.01": bounds are inclusive
        h.observe(v)
    body = [line for line in lines_of(m) if not line.startswith("#")]
    assert body == [
        't_seconds_bucket{le="0.01"} 2',
        't_seconds_bucket{le="0.1"} 3',
        't_seconds_bucket{le="1.0"} 4',
        't_seconds_bucket{le="+Inf"} 5',
        f"t_seconds_sum {format_value(0.005 + 0.01 + 0.05 + 0.5 + 3.0)}",
        "t_seconds_count 5",
    ]
    assert math.isclose(scrape(m)["t_seconds_sum"][()], 3.565)


def test_a_labelled_histogram_puts_le_last():
    m = Metrics()
    fam = m.histogram("d_seconds", "D.", buckets=(0.5,), labels=("route",))
    fam.labels("/x").observe(0.2)
    fam.labels("/y").observe(0.7)
    body = [line for line in lines_of(m) if not line.startswith("#")]
    assert body == [
        'd_seconds_bucket{route="/x",le="0.5"} 1',
        'd_seconds_bucket{route="/x",le="+Inf"} 1',
        'd_seconds_sum{route="/x"} 0.2',
        'd_seconds_count{route="/x"} 1',
        'd_seconds_bucket{route="/y",le="0.5"} 0',
        'd_seconds_bucket{route="/y",le="+Inf"} 1',
        'd_seconds_sum{route="/y"} 0.7',
        'd_seconds_count{route="/y"} 1',
    ]


def test_the_fixed_bucket_sets():
    assert TIME_BUCKETS == (0.001, 0.002, 0.005, 0.01, 0.02, 0.04, 0.05, 0.1, 0.25, 0.5, 1)
    assert SLOW_TIME_BUCKETS == TIME_BUCKETS + (2.5,)


@pytest.mark.parametrize("raw, text", [
    (0, "0"), (7, "7"), (2.0, "2"), (0.25, "0.25"), (1e-05, "1e-05"), (True, "1"),
    (math.inf, "+Inf"), (-math.inf, "-Inf"), (math.nan, "NaN"), (12345678.5, "12345678.5"),
])
def test_values_are_formatted_as_the_format_wants(raw, text):
    assert format_value(raw) == text


def test_callbacks_run_at_scrape_time_with_or_without_labels():
    m = Metrics()
    state = {"n": 1}
    m.callback("gauge", "q_length", "Q.", lambda: state["n"])
    m.callback("counter", "by_total", "B.", lambda: [(("a",), 1), (("b",), 2)], labels=("scope",))
    state["n"] = 9
    samples = scrape(m)
    assert samples["q_length"] == {(): 9}
    assert value(samples, "by_total", scope="a") == 1 and value(samples, "by_total", scope="b") == 2


def test_a_broken_callback_is_left_out_and_the_rest_still_renders():
    m = Metrics()
    m.callback("gauge", "broken", "B.", lambda: 1 / 0)
    m.gauge("fine", "F.").set(1)
    text = m.render().decode()
    assert "broken" not in text and "fine 1" in text


def test_register_exposes_an_instrument_owned_elsewhere():
    m = Metrics()
    h, counter = Histogram((1,)), Counter()
    m.register("owned_seconds", "O.", h)
    m.register("owned_total", "O.", counter)
    h.observe(0.5)
    counter.inc(3)
    samples = scrape(m)
    assert samples["owned_seconds_count"] == {(): 1} and samples["owned_total"] == {(): 3}
    assert "# TYPE owned_seconds histogram" in lines_of(m)


@pytest.mark.parametrize("make", [
    lambda m: m.counter("bad name", "x"),
    lambda m: m.counter("0starts_with_digit", "x"),
    lambda m: m.counter("ok_total", "x", labels=("bad-label",)),
    lambda m: m.counter("ok_total", "x", labels=("__reserved",)),
    lambda m: m.counter("ok_total", "x", labels=("a", "a")),
    lambda m: m.histogram("ok_seconds", "x", labels=("le",)),
    lambda m: m.histogram("ok_seconds", "x", buckets=(1, 0.5)),
    lambda m: m.histogram("ok_seconds", "x", buckets=()),
    lambda m: m.histogram("ok_seconds", "x", buckets=(0.5, 0.5), labels=("route",)),
    lambda m: m.callback("histogram", "ok_seconds", "x", lambda: 1),
    lambda m: (m.gauge("twice", "x"), m.gauge("twice", "x")),
])
def test_bad_registrations_are_refused(make):
    with pytest.raises(ValueError):
        make(Metrics())


def test_a_counter_never_goes_down():
    with pytest.raises(ValueError):
        Counter().inc(-1)


# ---- the process -----------------------------------------------------------------------
def fake_proc(tmp_path, comm: str = "twistd (x) y") -> str:
    (tmp_path / "self").mkdir()
    fields = ["S"] + ["0"] * 49
    fields[11], fields[12] = "250", "150"  # utime, stime in clock ticks (fields 14 and 15)
    fields[19] = "1000"  # starttime in clock ticks since boot (field 22)
    (tmp_path / "self" / "stat").write_text(f"4242 ({comm}) " + " ".join(fields) + "\n")
    (tmp_path / "self" / "statm").write_text("5000 1234 300 10 0 900 0\n")
    (tmp_path / "stat").write_text("cpu  1 2 3\nbtime 1700000000\nprocesses 9\n")
    return str(tmp_path)


def test_process_figures_come_from_proc(tmp_path):
    stats = ProcessStats(fake_proc(tmp_path))
    stats.clock_ticks, stats.page_size = 100, 4096
    assert stats.cpu_seconds() == 4.0
    assert stats.resident_bytes() == 1234 * 4096
    assert stats.start_time() == 1_700_000_000 + 10.0


def test_process_figures_fall_back_to_getrusage_without_proc(tmp_path):
    stats = ProcessStats(str(tmp_path / "no-proc"))
    assert stats.cpu_seconds() > 0
    assert stats.resident_bytes() > 0
    assert 0 < stats.start_time() <= __import__("time").time()


def test_process_metrics_on_this_machine():
    m = Metrics()
    register_process_metrics(m)
    samples = scrape(m)
    assert samples["process_cpu_seconds_total"][()] > 0
    assert samples["process_resident_memory_bytes"][()] > 1_000_000
    assert samples["process_start_time_seconds"][()] > 1_500_000_000


# ---- the engine's figures --------------------------------------------------------------
@pytest.fixture
def metered(town):
    m = Metrics()
    register_engine_metrics(m, town.game, town.sync, town.sessions)
    town.metrics = m
    return town


def test_every_engine_metric_is_there_from_the_start(metered):
    samples = scrape(metered.metrics)
    for name in ("clawtown_players_in_world", "clawtown_connections", "clawtown_ticks_total",
                 "clawtown_ticks_skipped_total", "clawtown_sync_bytes_total", "clawtown_sync_messages_total",
                 "clawtown_inbox_dropped_total", "clawtown_inbox_length", "clawtown_store_commit_failures_total",
                 "clawtown_store_lag_seconds", "clawtown_tick_duration_seconds_count",
                 "clawtown_sync_round_duration_seconds_count", "clawtown_store_commit_duration_seconds_count"):
        assert samples[name] == {(): 0}, name
    assert value(samples, "clawtown_players_online", instance="town#1", map="town") == 0


def test_ticks_count_and_are_timed(metered):
    metered.tick(3)
    samples = scrape(metered.metrics)
    assert samples["clawtown_ticks_total"][()] == 3
    assert samples["clawtown_tick_duration_seconds_count"][()] == 3
    assert value(samples, "clawtown_tick_duration_seconds_bucket", le="+Inf") == 3
    assert 0 < samples["clawtown_tick_duration_seconds_sum"][()] < 1


def test_skipped_ticks_count(metered):
    ticker = TickService(metered.game, metered.clock)
    ticker.startService()
    metered.clock.advance(1.0)  # the reactor was stuck for a second: one tick runs, 19 are skipped
    ticker.stopService()
    samples = scrape(metered.metrics)
    assert samples["clawtown_ticks_total"][()] == 1 and samples["clawtown_ticks_skipped_total"][()] == 19


def test_sync_rounds_frames_bytes_and_commits_move(metered):
    metered.add_player("p_ann")
    before = scrape(metered.metrics)
    client = metered.connect("p_ann")
    metered.step()
    samples = scrape(metered.metrics)
    assert samples["clawtown_sync_messages_total"][()] > before["clawtown_sync_messages_total"][()]
    sent = sum(len(s.payload if hasattr(s, "payload") else s) for s in client.sender.sent)
    assert samples["clawtown_sync_bytes_total"][()] - before["clawtown_sync_bytes_total"][()] == sent
    assert samples["clawtown_sync_round_duration_seconds_count"][()] == metered.sync.rounds
    assert samples["clawtown_store_commit_duration_seconds_count"][()] >= 1  # creating Ann was committed
    # on a Clock a commit takes no time: every commit is in the first bucket
    assert value(samples, "clawtown_store_commit_duration_seconds_bucket", le="0.001") == \
        samples["clawtown_store_commit_duration_seconds_count"][()]


def test_players_online_counts_sockets_and_recent_bots_per_instance(metered):
    for pid in ("p_ann", "p_bob", "p_cy"):
        metered.add_player(pid)
    metered.teleport("p_cy", None, None, map_id="meadow")
    metered.connect("p_ann")
    metered.world.players["p_bob"].bot_seen_at = metered.game.now_ms()
    samples = scrape(metered.metrics)
    assert value(samples, "clawtown_players_online", instance="town#1", map="town") == 2
    assert value(samples, "clawtown_players_online", instance="meadow#1", map="meadow") == 0
    assert samples["clawtown_players_in_world"][()] == 3
    assert samples["clawtown_connections"][()] == 1
    metered.world.players["p_cy"].bot_seen_at = metered.game.now_ms()
    metered.clock.advance(BOT_ONLINE_MS / 1000 - 1)
    metered.world.players["p_bob"].bot_seen_at -= 2000  # Bob's bot was last seen just over a minute ago
    samples = scrape(metered.metrics)
    assert value(samples, "clawtown_players_online", instance="town#1", map="town") == 1
    assert value(samples, "clawtown_players_online", instance="meadow#1", map="meadow") == 1


def test_players_online_follows_a_new_channel(make_town):
    town = make_town(instance_cap=1)
    m = Metrics()
    register_engine_metrics(m, town.game, town.sync, town.sessions)
    town.add_player("p_ann")
    town.add_player("p_bob")  # the town is full: Bob goes to channel 2
    town.connect("p_ann")
    town.connect("p_bob")
    samples = scrape(m)
    assert value(samples, "clawtown_players_online", instance="town#1", map="town") == 1
    assert value(samples, "clawtown_players_online", instance="town#2", map="town") == 1


def test_inbox_length_and_drops(metered):
    metered.game.inbox.limit = 2
    for _ in range(3):
        metered.game.submit(c.Disconnect(player_id="p_nobody"))
    samples = scrape(metered.metrics)
    assert samples["clawtown_inbox_length"][()] == 2 and samples["clawtown_inbox_dropped_total"][()] == 1
    metered.tick()
    assert scrape(metered.metrics)["clawtown_inbox_length"][()] == 0


def test_store_failures_and_lag(gated_town):
    town = gated_town
    m = Metrics()
    register_engine_metrics(m, town.game, town.sync, town.sessions)
    town.auto_commit = False
    town.submit(c.CreatePlayer(player_id="p_ann", name="Ann"))
    town.step()
    town.clock.advance(0.3)
    samples = scrape(m)
    assert 0.3 <= samples["clawtown_store_lag_seconds"][()] < 0.5
    town.runner.fail()
    assert scrape(m)["clawtown_store_commit_failures_total"][()] == 1
    town.clock.advance(0.2)
    town.round()
    town.clock.advance(0.2)
    town.runner.commit()
    samples = scrape(m)
    assert samples["clawtown_store_lag_seconds"][()] == 0
    assert samples["clawtown_store_commit_duration_seconds_count"][()] == 1
    assert value(samples, "clawtown_store_commit_duration_seconds_bucket", le="0.1") == 0
    assert value(samples, "clawtown_store_commit_duration_seconds_bucket", le="0.25") == 1


def test_metrics_read_the_current_world_after_a_reset(metered):
    from clawtown.sim.world import World

    metered.add_player("p_ann")
    assert scrape(metered.metrics)["clawtown_players_in_world"][()] == 1
    metered.game.world = World(seed=1, now=metered.game.now_ms())
    assert scrape(metered.metrics)["clawtown_players_in_world"][()] == 0


def test_the_online_window_is_the_admin_apis():
    from clawtown.web.admin_api import BOT_ONLINE_MS as ADMIN_BOT_ONLINE_MS

    assert BOT_ONLINE_MS == ADMIN_BOT_ONLINE_MS
