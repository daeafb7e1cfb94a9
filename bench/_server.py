"""The server side of the benches that run a real server (bench_bots, bench_memory): start
`twistd clawtown` (optionally under a GC-timing launcher), read its CPU, run delay and memory from
/proc, check readiness, and name the code state measured."""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import orjson

from clawtown.loadtest.http import Http, HttpError

REQUEST_TIMEOUT_S = 10.0

TWISTD = [sys.executable, "-c", "from twisted.scripts.twistd import run; run()"]
GC_LAUNCHER = """
import gc, json, os, sys, threading, time
from twisted.scripts.twistd import run

STATS, FREEZE = sys.argv[1], sys.argv[2]
del sys.argv[1:3]
totals = {0: [0, 0.0], 1: [0, 0.0], 2: [0, 0.0]}
long_pauses = []
began = [0.0]

def timed(phase, info):
    if phase == "start":
        began[0] = time.perf_counter()
        return
    took = time.perf_counter() - began[0]
    slot = totals[info["generation"]]
    slot[0] += 1
    slot[1] += took
    if took >= 0.005 and len(long_pauses) < 20000:
        long_pauses.append((time.monotonic(), info["generation"], took))

def publish():
    frozen = 0
    for _ in range(24 * 3600 * 2):
        time.sleep(0.5)
        if not frozen and os.path.exists(FREEZE):
            gc.collect()
            gc.freeze()
            frozen = gc.get_freeze_count()
        with open(STATS + ".tmp", "w") as f:
            json.dump({"totals": totals, "long": long_pauses, "frozen": frozen}, f)
        os.replace(STATS + ".tmp", STATS)

gc.callbacks.append(timed)
threading.Thread(target=publish, daemon=True).start()
run()
"""
"""`--server-gc stats|freeze`: twistd started by a launcher that times every garbage collection of the server
(gc.callbacks) and publishes the totals twice a second; with `freeze`, it also runs gc.collect() + gc.freeze()
once the bench asks for it (after setup). The server's own code is not touched."""
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ---- the server process --------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """`twistd clawtown` as a subprocess on a free loopback port with its own temporary data dir."""

    def __init__(self, seed: int, profile_file: str | None, gc_mode: str = "off", prefix: str = "bench-bots-") -> None:
        self.tmp = tempfile.mkdtemp(prefix=prefix)
        self.port = free_port()
        self.log_path = os.path.join(self.tmp, "twistd.log")
        self.gc_stats_path = os.path.join(self.tmp, "gc.json")
        self.gc_freeze_path = os.path.join(self.tmp, "gc-freeze-now")
        self.profile_file = profile_file
        self.gc_mode = gc_mode
        self.proc: subprocess.Popen | None = None
        self.seed = seed
        self.launcher: list[str] | None = None
        """Another command line that runs twistd (set before `start`); None: plain twistd (or the GC launcher)."""

    def start(self, timeout: float = 30.0) -> None:
        twistd_opts = ["--nodaemon", "--pidfile="]
        if self.profile_file:
            twistd_opts += ["--profile", self.profile_file, "--profiler", "cprofile", "--savestats"]
        launcher = self.launcher or TWISTD
        if self.gc_mode != "off":
            launcher = [sys.executable, "-c", GC_LAUNCHER, self.gc_stats_path, self.gc_freeze_path]
        args = [*launcher, *twistd_opts, "clawtown", "--listen", f"tcp:{self.port}:interface=127.0.0.1",
                "--data-dir", os.path.join(self.tmp, "data"), "--seed", str(self.seed)]
        self.log = open(self.log_path, "ab")  # noqa: SIM115 - open as long as the server runs
        self.proc = subprocess.Popen(args, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.tail()}")
            try:
                status, _ = asyncio.run(one_call("127.0.0.1", self.port, "GET", "/health/ready"))
                if status == 200:
                    return
            except (TimeoutError, OSError, HttpError):
                pass
            time.sleep(0.1)
        raise RuntimeError("server did not become ready: " + self.tail())

    def gc_stats(self) -> dict | None:
        try:
            with open(self.gc_stats_path, "rb") as f:
                return orjson.loads(f.read())
        except (OSError, orjson.JSONDecodeError):
            return None

    def freeze_gc(self, timeout: float = 10.0) -> int:
        """Ask the launcher for gc.collect() + gc.freeze(); returns how many objects it froze (0: no answer)."""
        with open(self.gc_freeze_path, "w"):
            pass
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            st = self.gc_stats()
            if st and st.get("frozen"):
                return st["frozen"]
            time.sleep(0.1)
        return 0

    def tail(self) -> str:
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()[-2000:]

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self.proc is not None:
            self.log.close()
        self.proc = None

    def cleanup(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)


def proc_cpu_s(pid: int) -> float | None:
    """utime + stime of a process, in seconds (fields 14 and 15 of /proc/<pid>/stat)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_delay_s(pid: int | str) -> float | None:
    """How long the process's main thread has waited for a CPU while runnable (/proc/<pid>/schedstat, field 2):
    its growth over a window shows how much other processes kept it off the cores."""
    try:
        with open(f"/proc/{pid}/schedstat") as f:
            return int(f.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return None


def proc_rss_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


SMAPS_FIELDS = {"Rss": "rss_mb", "Pss": "pss_mb", "Private_Clean": "private_clean_mb",
                "Private_Dirty": "private_dirty_mb", "Anonymous": "anon_mb", "Swap": "swap_mb"}


def proc_memory_mb(pid: int) -> dict | None:
    """RSS, PSS and USS (private clean + private dirty) of a process, in MB, from /proc/<pid>/smaps_rollup
    (the kernel sums every mapping in one read); None where that file cannot be read."""
    out: dict = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                name, _, rest = line.partition(":")
                if name in SMAPS_FIELDS:
                    out[SMAPS_FIELDS[name]] = int(rest.split()[0]) / 1024.0
    except (OSError, ValueError, IndexError):
        return None
    if "rss_mb" not in out:
        return None
    out["uss_mb"] = out.get("private_clean_mb", 0.0) + out.get("private_dirty_mb", 0.0)
    return out


async def one_call(host: str, port: int, method: str, path: str, body=None, token=None):
    http = Http(host, port, timeout=REQUEST_TIMEOUT_S)
    try:
        return await http.call(method, path, body, token=token)
    finally:
        http.close()


def ready(host: str, port: int) -> dict:
    try:
        status, data = asyncio.run(one_call(host, port, "GET", "/health/ready"))
        return {"status": status, **orjson.loads(data)}
    except (TimeoutError, OSError, HttpError, orjson.JSONDecodeError) as err:
        return {"status": None, "error": str(err) or type(err).__name__}


def code_state() -> str:
    """Which server code ran: the commit, and a digest of uncommitted changes under clawtown/ (others may
    edit the tree between runs, so figures are only comparable between runs with the same state)."""
    def git(*argv: str) -> bytes:
        return subprocess.run(["git", *argv], cwd=ROOT, capture_output=True, timeout=20, check=True).stdout

    try:
        head = git("rev-parse", "--short", "HEAD").decode().strip()
        diff = git("diff", "HEAD", "--", "clawtown", "twisted")
        untracked = git("ls-files", "--others", "--exclude-standard", "--", "clawtown")
    except (OSError, subprocess.SubprocessError):
        return "unknown (no git)"
    if not diff and not untracked:
        return f"{head} (clean)"
    digest = hashlib.sha1(diff)
    for name in untracked.splitlines()[:500]:
        digest.update(name)
        try:
            with open(os.path.join(ROOT, name.decode()), "rb") as f:
                digest.update(f.read())
        except OSError:
            pass
    digest = digest.hexdigest()[:10]
    return f"{head} + uncommitted changes under clawtown/ (digest {digest})"


