#!/usr/bin/env python3
"""Fuzz the HTTP API with Schemathesis, from the OpenAPI document a running server serves.

Starts `twistd clawtown` (test mode OFF, so the debug routes must answer 404) on a free loopback
port with a fresh data dir, creates a player, links a bot and derives the admin token, so the
sessionToken, botToken and adminToken security schemes all get real Bearer tokens. Then runs the
venv's `schemathesis run` (a subprocess, never its pytest plugin) in rounds with new seeds until
at least `--requests` requests were sent, with the checks not_a_server_error,
status_code_conformance, response_schema_conformance, content_type_conformance (JSON errors)
and unsupported_method (JSON 405 with an Allow header).

    .venv/bin/python scripts/fuzz_api.py --requests 10000

Prints requests sent, seconds, failures and errors per round and in total; exits 1 on any
failure or error. Only talks to 127.0.0.1; rounds and time are bounded (--max-rounds,
--max-minutes); the server it started is always stopped. tests/e2e/test_schemathesis.py runs
one bounded round of the same thing in CI.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHECKS = ("not_a_server_error", "status_code_conformance", "response_schema_conformance",
          "content_type_conformance", "unsupported_method")
CONFIG = """\
[auth.openapi.botToken]
bearer = "${CT_FUZZ_BOT}"

[auth.openapi.sessionToken]
bearer = "${CT_FUZZ_SESSION}"

[auth.openapi.adminToken]
bearer = "${CT_FUZZ_ADMIN}"
"""
"""Schemathesis config: one Bearer token per security scheme of the document (read from env)."""


def schemathesis_bin() -> str:
    """The `schemathesis` entry point next to this interpreter (the venv's), else the one on PATH."""
    here = Path(sys.executable).with_name("schemathesis")
    return str(here) if here.exists() else (shutil.which("schemathesis") or "schemathesis")


def _call(base: str, method: str, path: str, body=None, token: str | None = None) -> tuple[int, dict]:
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def prepare_auth(base: str, data_dir: str) -> dict[str, str]:
    """A player (session token), its linked bot (bot token) and the admin token of `data_dir`."""
    sys.path.insert(0, str(REPO))
    from clawtown.ops.admin_token import admin_token_for

    status, player = _call(base, "POST", "/api/players", {"name": "Fuzzer"})
    assert status == 200, player
    status, code = _call(base, "POST", "/api/join-codes", {}, token=player["sessionToken"])
    assert status == 200, code
    status, bot = _call(base, "POST", "/api/bot/link", {"joinCode": code["joinCode"]})
    assert status == 200, bot
    return {"CT_FUZZ_SESSION": player["sessionToken"], "CT_FUZZ_BOT": bot["botToken"],
            "CT_FUZZ_ADMIN": admin_token_for(data_dir)}


@dataclass
class Round:
    seed: int
    requests: int = 0
    seconds: float = 0.0
    failures: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    exit_code: int = 0
    output: str = ""


def run_round(base: str, auth: dict[str, str], work_dir: str, *, seed: int, max_examples: int,
              max_time: int, workers: int = 1, checks=CHECKS) -> Round:
    """One `schemathesis run`; counts the requests it sent from its NDJSON report."""
    config = os.path.join(work_dir, "schemathesis.toml")
    with open(config, "w", encoding="utf-8") as f:
        f.write(CONFIG)
    report = os.path.join(work_dir, f"report-{seed}.ndjson")
    cmd = [schemathesis_bin(), "--config-file", config, "--no-color", "run", f"{base}/api/openapi.json",
           "--checks", ",".join(checks), "--max-examples", str(max_examples), "--max-time", str(max_time),
           "--workers", str(workers), "--seed", str(seed), "--request-timeout", "10",
           "--generation-database", "none", "--report", "ndjson", "--report-ndjson-path", report]
    env = {**os.environ, **auth}
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=work_dir, env=env, capture_output=True, text=True, timeout=max_time + 120,
                          check=False)
    result = Round(seed=seed, seconds=round(time.monotonic() - started, 1), exit_code=proc.returncode,
                   output=proc.stdout + proc.stderr)
    if os.path.exists(report):
        with open(report, encoding="utf-8") as f:
            for line in f:
                event = json.loads(line)
                if "ScenarioFinished" in event:
                    recorder = event["ScenarioFinished"].get("recorder") or {}
                    result.requests += len(recorder.get("interactions") or {})
                    for checks_of_case in (recorder.get("checks") or {}).values():
                        result.failures += [
                            (c["name"], c.get("failure_info", {}).get("failure", {}).get("operation"),
                             c.get("failure_info", {}).get("failure", {}).get("title"))
                            for c in checks_of_case if c.get("status") == "failure"]
                elif "NonFatalError" in event or "FatalError" in event:
                    result.errors.append(event.get("NonFatalError") or event.get("FatalError"))
    return result


# ---- a server of our own ----------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Server:
    def __init__(self, data_dir: str, log_path: str) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.data_dir = data_dir
        self.log = open(log_path, "ab")  # noqa: SIM115 (open while the server runs; closed in stop())
        args = [sys.executable, "-c", "from twisted.scripts.twistd import run; run()", "--nodaemon", "--pidfile=",
                "clawtown", "--listen", f"tcp:{self.port}:interface=127.0.0.1", "--data-dir", data_dir]
        env = {k: v for k, v in os.environ.items() if k != "CT_TEST"}
        self.proc = subprocess.Popen(args, cwd=str(REPO), stdout=self.log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}")
            try:
                if _call(self.base, "GET", "/health/ready")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("server did not become ready")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.log.close()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--requests", type=int, default=10_000, help="send at least this many requests (default 10000)")
    ap.add_argument("--max-examples", type=int, default=100, help="test cases per operation and phase in one round")
    ap.add_argument("--round-seconds", type=int, default=300, help="time budget of one round")
    ap.add_argument("--workers", type=int, default=1, help="more than 1 can hit a CPython 3.11 ast bug in hypothesis")
    ap.add_argument("--seed", type=int, default=None, help="seed of the first round (then +1 per round)")
    ap.add_argument("--max-rounds", type=int, default=20)
    ap.add_argument("--max-minutes", type=float, default=30.0)
    ap.add_argument("--keep", action="store_true", help="keep the work dir (server log, reports)")
    args = ap.parse_args(argv)

    work = tempfile.mkdtemp(prefix="clawtown-fuzz-")
    server = _Server(os.path.join(work, "data"), os.path.join(work, "twistd.log"))
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    rounds: list[Round] = []
    started = time.monotonic()
    try:
        auth = prepare_auth(server.base, server.data_dir)
        while (sum(r.requests for r in rounds) < args.requests and len(rounds) < args.max_rounds
               and time.monotonic() - started < args.max_minutes * 60):
            r = run_round(server.base, auth, work, seed=seed + len(rounds), max_examples=args.max_examples,
                          max_time=args.round_seconds, workers=args.workers)
            rounds.append(r)
            print(f"round {len(rounds)}: seed {r.seed}, {r.requests} requests in {r.seconds} s, "
                  f"{len(r.failures)} failures, {len(r.errors)} errors, exit {r.exit_code}", flush=True)
            for failure in r.failures:
                print("  failure:", *failure)
            for error in r.errors:
                print("  error:", json.dumps(error)[:300])
        ready = _call(server.base, "GET", "/health/ready")[0]
    finally:
        server.stop()
        with open(os.path.join(work, "twistd.log"), encoding="utf-8", errors="replace") as f:
            tracebacks = f.read().count("Traceback (most recent call last)")
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print("work dir kept:", work)
    total = sum(r.requests for r in rounds)
    failures = sum(len(r.failures) for r in rounds)
    errors = sum(len(r.errors) for r in rounds)
    print(f"total: {total} requests in {round(time.monotonic() - started, 1)} s over {len(rounds)} rounds; "
          f"{failures} failures, {errors} errors; server tracebacks: {tracebacks}; /health/ready after: {ready}")
    ok = total >= args.requests and failures == 0 and errors == 0 and tracebacks == 0 and ready == 200
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
