"""Schemathesis against the OpenAPI document a real server serves (test mode off).

Runs the venv's `schemathesis run` as a subprocess (never its pytest plugin: it would share the
reactor of pytest-twisted) with a Bearer token for each security scheme, so the bot, session
and admin routes are exercised past authentication. The run is bounded by time; it must send
at least MIN_REQUESTS requests and find nothing. scripts/fuzz_api.py does the same for longer.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
MIN_REQUESTS = 1000
BUDGET_S = 45
"""Schemathesis' own time budget; the whole run (with its start) must stay under two minutes."""
SEED = 20261122


def fuzz_module():
    spec = importlib.util.spec_from_file_location("fuzz_api", REPO / "scripts" / "fuzz_api.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("fuzz_api", module)  # (its dataclasses look their module up)
    spec.loader.exec_module(module)
    return module


@pytest.mark.timeout(240)
def test_schemathesis_finds_no_server_error_and_no_schema_mismatch(server, tmp_path):
    assert server.post("/api/debug/reset", {})[0] == 404, "test mode must be off"
    fuzz = fuzz_module()
    auth = fuzz.prepare_auth(server.base, server.data_dir)
    result = fuzz.run_round(server.base, auth, str(tmp_path), seed=SEED, max_examples=100, max_time=BUDGET_S,
                            workers=1)
    report = f"{result.requests} requests in {result.seconds} s\n" + result.output[-6000:]
    print(f"schemathesis: {result.requests} requests in {result.seconds} s, {len(result.failures)} failures")
    assert result.failures == [], report
    assert result.errors == [], report
    assert result.exit_code == 0, report
    assert result.requests >= MIN_REQUESTS, report
    assert result.seconds <= 120, report
    assert server.get("/health/ready")[0] == 200
    log = server.read_log()
    assert "Traceback" not in log, log[-3000:]
