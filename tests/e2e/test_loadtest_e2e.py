"""`clawtown loadtest` (a real CLI process with worker processes) against a real `twistd clawtown`."""

from __future__ import annotations

import json
import socket

import pytest
from cli_run import clawtown, one_red_line

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(90)]



def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]



def test_players_and_bots_against_a_real_server(server, tmp_path):
    out, plot = tmp_path / "report.json", tmp_path / "report.png"
    result = clawtown("loadtest", "--url", server.base, "--players", "10", "--bots", "5", "--duration", "5",
                      "--ramp", "1", "--procs", "2", "--out", str(out), "--plot", str(plot))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "clients connected / failed" in result.stdout and "REST latency per route" in result.stdout
    report = json.loads(out.read_text())
    assert report["clients"]["connected"] == 15 and report["clients"]["failed"] == 0
    assert report["clients"]["players"]["connected"] == 10 and report["clients"]["bots"]["connected"] == 5
    assert report["clients"]["peak_connected"] == 15
    assert report["per_player"]["msgs_in_per_s"] > 0 and report["per_player"]["sync_per_s"] > 0
    assert sum(row["msgs_in_per_s"] for row in report["series"]) > 0
    assert report["update_interval_ms"]["p99"] is not None
    for route in ("players", "join-codes", "link", "mode", "world"):
        assert report["rest"][route]["n"] > 0 and report["rest"][route]["p99"] is not None, route
    assert not [kind for kind in report["errors"] if "unclean" in kind or "closed" in kind], report["errors"]
    assert [w["clients"] for w in report["generator"]["workers"]] == [8, 7]
    if report["server"]["metrics"] == "ok":
        assert "cpu_pct" in report["server"]["steady"]
    else:
        assert "not available" in result.stdout
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    status, ready = server.get("/health/ready")
    assert status == 200 and ready["ok"], ready
    assert "Traceback" not in server.read_log()


def test_bad_targets_are_one_red_line(server):
    one_red_line(clawtown("loadtest", "--url", f"http://127.0.0.1:{closed_port()}", "--players", "10",
                          "--duration", "5"), "cannot reach the server", "connection refused")
    one_red_line(clawtown("loadtest", "--url", server.base + "/not-clawtown", "--players", "10", "--duration", "5"),
                 "is not a Clawtown server")
