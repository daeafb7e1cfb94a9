"""Crash safety of a real server: SIGKILL chaos (scripts/chaos.py), SIGTERM drains, restarts recover.

The chaos script kills the server at random moments under traffic from browser-protocol clients
and bots, restarts it on the same data dir, and checks every fact the server acknowledged.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import pytest
from websockets.exceptions import ConnectionClosed

from clawtown.ops.datadir import LOCK_FILE, server_running

pytestmark = pytest.mark.e2e

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHAOS = os.path.join(REPO, "scripts", "chaos.py")


def run_chaos(tmp_path, *args: str, timeout: float) -> tuple[subprocess.CompletedProcess, dict]:
    started = time.monotonic()
    result = subprocess.run([sys.executable, CHAOS, "--quiet", "--keep-dir", str(tmp_path / "chaos"), *args],
                            cwd=REPO, capture_output=True, text=True, timeout=timeout, check=False)
    figures = {
        "rounds": int(re.search(r"^rounds: (\d+)", result.stdout, re.MULTILINE).group(1)),
        "checked": int(re.search(r"^acknowledged facts checked: (\d+)", result.stdout, re.MULTILINE).group(1)),
        "losses": int(re.search(r"^losses: (\d+)", result.stdout, re.MULTILINE).group(1)),
        "seconds": time.monotonic() - started,
    }
    print(result.stdout)  # the figures (and the seed) stay in the test report
    return result, figures


@pytest.mark.timeout(300)
def test_twenty_sigkills_under_traffic_lose_nothing_acknowledged(tmp_path):
    result, figures = run_chaos(tmp_path, "--rounds", "20", timeout=280)
    assert result.returncode == 0, result.stdout + result.stderr
    assert figures["rounds"] == 20 and figures["losses"] == 0
    assert figures["checked"] > 1000  # every round checks everything acknowledged before it
    assert figures["seconds"] < 180, figures


@pytest.mark.timeout(200)
def test_sigterm_under_traffic_loses_nothing_acknowledged(tmp_path):
    result, figures = run_chaos(tmp_path, "--rounds", "4", "--signal", "term", timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    assert figures["losses"] == 0 and figures["checked"] > 100
    log = (tmp_path / "chaos" / "server.log").read_text(encoding="utf-8", errors="replace")
    assert log.count("Main loop terminated.") >= 5  # every round and the final check stopped cleanly
    assert "Unhandled" not in log and "Traceback" not in log, log[-3000:]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_sigterm_saves_what_is_only_in_memory_and_closes_sockets_with_1001(make_server, sig):
    server = make_server(extra=("--test-mode",)).start()
    ann = server.create_player("Ann")
    with server.ws(ann["sessionToken"]) as tab:
        tab.until(lambda m: m["t"] == "hello")
        # A move inside the map is only checkpointed every 5 s: in memory when the signal comes.
        assert server.post("/api/debug/teleport", {"playerId": ann["playerId"], "x": 704, "y": 512}) == \
            (200, {"ok": True, "x": 704, "y": 512, "map": "town"})
        server.proc.send_signal(sig)
        with pytest.raises(ConnectionClosed) as closed:
            tab.until(lambda m: False, timeout=10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
    assert server.proc.wait(timeout=20) in (0, -sig)  # twistd ends with the signal it got, after a clean stop
    server.proc = None
    server.log.close()
    log = server.read_log()
    assert "Main loop terminated." in log and "Traceback" not in log, log[-3000:]
    assert not server_running(server.data_dir)

    again = make_server(server.data_dir).start()
    with again.ws(ann["sessionToken"]) as tab:
        you = tab.until(lambda m: m["t"] == "hello")["you"]
    assert (you["map"], you["x"], you["y"]) == ("town", 704, 512)


def test_a_start_after_sigkill_recovers_without_manual_steps(make_server):
    server = make_server(extra=("--test-mode",)).start()
    ann = server.create_player("Ann")
    pid = ann["playerId"]
    assert server.post("/api/debug/grant-item", {"playerId": pid, "itemId": "sword_2"}) == (200, {"ok": True})
    assert server_running(server.data_dir)
    assert server.stop(signal.SIGKILL) == -signal.SIGKILL
    # The lock file stays behind, but its flock died with the process: nothing to clean up by hand.
    assert os.path.exists(os.path.join(server.data_dir, LOCK_FILE))
    assert not server_running(server.data_dir)

    again = make_server(server.data_dir, extra=("--test-mode",)).start()
    assert server_running(server.data_dir)
    with again.ws(ann["sessionToken"]) as tab:
        you = tab.until(lambda m: m["t"] == "hello")["you"]
    assert [row["itemId"] for row in you["inventory"]] == ["sword_2"]

    # While it runs, a second server on the same data dir is refused (the lock works after a crash too).
    second = make_server(server.data_dir)
    with pytest.raises(RuntimeError, match="server exited"):  # it stops, rather than serving 503 forever
        second.start(timeout=15)
    assert "another clawtown server is using" in second.read_log()
    second.proc = None
    second.log.close()
    status, ready = again.get("/health/ready")
    assert status == 200 and ready["ok"] is True
