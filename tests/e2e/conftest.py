"""A real `twistd clawtown` in a subprocess, on a free loopback port, with its own data dir."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager

import pytest
from websockets.sync.client import connect

from clawtown.wire.viewmodel import ViewModel

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


TWISTD = [sys.executable, "-c", "from twisted.scripts.twistd import run; run()"]
"""The twistd command of this interpreter (what the installed `twistd` script runs)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """Start, stop and talk to one server process."""

    def __init__(self, data_dir: str, extra: tuple = ()) -> None:
        self.data_dir = data_dir
        self.extra = extra
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = None
        self.log_path = os.path.join(os.path.dirname(os.path.abspath(data_dir)), f"twistd-{self.port}.log")

    def start(self, timeout: float = 20.0) -> "Server":
        args = [*TWISTD, "--nodaemon", "--pidfile=", "clawtown",
                "--listen", f"tcp:{self.port}:interface=127.0.0.1", "--data-dir", self.data_dir, *self.extra]
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, cwd=REPO, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.read_log()[-2000:]}")
            try:
                status, _ = self.get("/health/ready")
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("server did not become ready: " + self.read_log()[-2000:])

    def stop(self, sig=signal.SIGTERM) -> int:
        if self.proc is None:
            return 0
        self.proc.send_signal(sig)
        code = self.proc.wait(timeout=20)
        self.proc = None
        self.log.close()
        return code

    def read_log(self) -> str:
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def request(self, method: str, path: str, body=None, headers=None, raw: bytes | None = None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"content-type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"null")

    def get(self, path: str):
        return self.request("GET", path)

    def post(self, path: str, body=None, **kw):
        return self.request("POST", path, body, **kw)

    def create_player(self, name: str, job: str = "novice") -> dict:
        status, body = self.post("/api/players", {"name": name, "job": job})
        assert status == 200, body
        return body

    @contextmanager
    def ws(self, token: str):
        with connect(f"ws://127.0.0.1:{self.port}/ws?token={token}", open_timeout=10, max_size=2**22) as ws:
            yield Client(ws)


class Client:
    """A WebSocket client that keeps a local copy of what it was told (protocol ViewModel)."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.model = ViewModel()
        self.frames: list[dict] = []
        self.seq = 0

    @property
    def entities(self) -> dict[str, dict]:
        return self.model.entities

    @property
    def you(self) -> dict:
        return self.model.you

    def send(self, t: str, **fields) -> int:
        self.seq += 1
        self.ws.send(json.dumps({"t": t, "seq": self.seq, **fields}))
        return self.seq

    def send_raw(self, data) -> None:
        self.ws.send(data)

    def recv(self, timeout: float = 5.0) -> dict:
        msg = json.loads(self.ws.recv(timeout=timeout))
        self.frames.append(msg)
        self.model.apply(msg, time.monotonic())
        return msg

    def position(self, eid: str) -> tuple[float, float] | None:
        """Where the entity is now, as dead reckoning from what this client was told puts it."""
        return self.model.position(eid, self.model.tick_at(time.monotonic()))

    def wait_for(self, condition, timeout: float = 10.0) -> None:
        """Receive until `condition()` holds, checking after each frame and every 50 ms (positions
        move between frames: a walk to a goal is one frame)."""
        deadline = time.monotonic() + timeout
        while not condition():
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"condition not met in {timeout}s; last frames: {self.frames[-3:]}")
            try:
                self.recv(timeout=min(left, 0.05))
            except TimeoutError:
                pass

    def until(self, predicate, timeout: float = 10.0) -> dict:
        """Receive until a frame satisfies `predicate(frame)`; returns that frame."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"condition not met in {timeout}s; last frames: {self.frames[-3:]}")
            try:
                msg = self.recv(timeout=left)
            except TimeoutError:
                raise AssertionError(f"condition not met in {timeout}s; last frames: {self.frames[-3:]}") from None
            if predicate(msg):
                return msg

    def drain(self, seconds: float) -> list[dict]:
        """Receive everything for `seconds` (bounded wait for server pushes, not a sleep)."""
        got = []
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                got.append(self.recv(timeout=left))
            except TimeoutError:
                break
        return got


@pytest.fixture
def server(tmp_path):
    srv = Server(str(tmp_path / "data")).start()
    yield srv
    srv.stop()


@pytest.fixture
def make_server(tmp_path):
    started = []

    def make(data_dir=None, extra=()):
        srv = Server(data_dir or str(tmp_path / "data"), extra)
        started.append(srv)
        return srv

    yield make
    for srv in started:
        if srv.proc is not None:
            srv.stop()


@pytest.fixture(scope="module")
def module_server(tmp_path_factory):
    """One server (test mode off) shared by the tests of a module."""
    srv = Server(str(tmp_path_factory.mktemp("server") / "data")).start()
    yield srv
    if srv.proc is not None:
        srv.stop()
