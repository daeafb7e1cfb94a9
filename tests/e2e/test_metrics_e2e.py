"""A real twistd serves /metrics: the content type, and every metric a scraper relies on after some traffic."""

from __future__ import annotations

import time
import urllib.request

import pytest

from clawtown.engine.metrics import parse

pytestmark = pytest.mark.e2e

METRICS = {
    # name: type, as the load-test tool reads them
    "clawtown_players_online": "gauge",
    "clawtown_players_in_world": "gauge",
    "clawtown_connections": "gauge",
    "clawtown_tick_duration_seconds": "histogram",
    "clawtown_ticks_total": "counter",
    "clawtown_ticks_skipped_total": "counter",
    "clawtown_sync_round_duration_seconds": "histogram",
    "clawtown_sync_bytes_total": "counter",
    "clawtown_sync_messages_total": "counter",
    "clawtown_inbox_dropped_total": "counter",
    "clawtown_inbox_length": "gauge",
    "clawtown_http_requests_total": "counter",
    "clawtown_http_request_duration_seconds": "histogram",
    "clawtown_rate_limited_total": "counter",
    "clawtown_store_commit_duration_seconds": "histogram",
    "clawtown_store_commit_failures_total": "counter",
    "clawtown_store_lag_seconds": "gauge",
    "clawtown_ws_frames_refused_total": "counter",
    "process_cpu_seconds_total": "counter",
    "process_resident_memory_bytes": "gauge",
    "process_start_time_seconds": "gauge",
}


def scrape(server) -> tuple[str, str]:
    with urllib.request.urlopen(server.base + "/metrics", timeout=10) as resp:
        assert resp.status == 200
        return resp.headers["content-type"], resp.read().decode("utf-8")


def sample(samples: dict, name: str, **labels) -> float:
    return samples[name].get(tuple(sorted(labels.items())), 0)


def test_metrics_after_some_traffic(server):
    person = server.create_player("Metra")
    _, minted = server.post("/api/join-codes", {}, headers={"authorization": f"Bearer {person['sessionToken']}"})
    status, linked = server.post("/api/bot/link", {"joinToken": minted["joinToken"]})
    assert status == 200, linked
    bot = {"authorization": f"Bearer {linked['botToken']}"}
    assert server.request("GET", "/api/bot/world", headers=bot)[0] == 200
    assert server.get("/api/no-such-route")[0] == 404
    with server.ws(person["sessionToken"]) as client:
        client.until(lambda f: f["t"] == "hello")
        client.send("move", dx=1, dy=0)
        client.send_raw("{not json")
        client.until(lambda f: f["t"] == "error")
        client.drain(0.3)
        ctype, text = scrape(server)
        assert ctype == "text/plain; version=0.0.4; charset=utf-8"
        samples = parse(text)
        assert sample(samples, "clawtown_connections") == 1
        assert sample(samples, "clawtown_players_online", instance="town#1", map="town") == 1
    for name, kind in METRICS.items():
        assert f"# TYPE {name} {kind}\n" in text, name
        present = [name + "_count"] if kind == "histogram" else [name]
        assert all(p in samples for p in present), name
    assert sample(samples, "clawtown_ticks_total") > 0
    assert sample(samples, "clawtown_tick_duration_seconds_count") > 0
    assert sample(samples, "clawtown_sync_bytes_total") > 0 and sample(samples, "clawtown_sync_messages_total") > 0
    assert sample(samples, "clawtown_store_commit_duration_seconds_count") > 0
    assert sample(samples, "clawtown_ws_frames_refused_total") == 1
    total = "clawtown_http_requests_total"
    assert sample(samples, total, route="/api/players", method="POST", status="200") == 1
    assert sample(samples, total, route="/api/bot/world", method="GET", status="200") == 1
    assert sample(samples, total, route="other", method="GET", status="404") == 1
    assert sample(samples, total, route="/health/ready", method="GET", status="200") >= 1  # the fixture's wait
    assert sample(samples, "clawtown_http_request_duration_seconds_count", route="/api/bot/world") == 1
    assert 0 < sample(samples, "process_cpu_seconds_total")
    assert sample(samples, "process_resident_memory_bytes") > 10_000_000
    assert time.time() - 600 < sample(samples, "process_start_time_seconds") <= time.time()
    for secret in ("Metra", person["sessionToken"], linked["botToken"], person["playerId"]):
        assert secret not in text
    # the socket has closed: the gauge follows
    deadline = time.monotonic() + 5
    while sample(parse(scrape(server)[1]), "clawtown_connections") != 0:
        assert time.monotonic() < deadline, "the closed socket is still counted"
        time.sleep(0.05)
