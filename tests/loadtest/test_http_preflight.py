"""The keep-alive HTTP client, and the checks of the target before any load: a server that is
down, something that is not Clawtown, tokens refused. Each is one red line from the CLI."""

from __future__ import annotations

import asyncio
import socket
import threading

import click
import pytest
from typer.testing import CliRunner

from clawtown.cli import _common, app
from clawtown.loadtest.http import Http, HttpError, retry_ms
from clawtown.loadtest.options import validate
from clawtown.loadtest.runner import LoadTestError, preflight

from .fakeserver import FakeServer


def in_thread(fn, *args):
    """fn(*args) in a thread of its own: the code under test runs asyncio.run, which refuses to
    start where a loop already runs (other tests of the session may leave one in this thread)."""
    out: dict = {}

    def target():
        try:
            out["value"] = fn(*args)
        except BaseException as err:  # noqa: BLE001 - re-raised in the test's thread
            out["error"] = err

    t = threading.Thread(target=target)
    t.start()
    t.join(60)
    assert not t.is_alive()
    if "error" in out:
        raise out["error"]
    return out["value"]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("chunked", [False, True])
def test_http_keeps_the_connection_and_reads_both_framings(chunked):
    with FakeServer(chunked=chunked) as srv:
        async def go():
            http = Http("127.0.0.1", srv.port)
            try:
                status, data = await http.call("POST", "/echo", {"a": 1})
                assert status == 200 and b'"got":{"a":1}' in data
                status, data = await http.call("GET", "/big")
                assert status == 200 and len(data) > 100_000
                status, data = await http.call("GET", "/missing")
                assert status == 404
                assert http.connected
                status, _ = await http.call("GET", "/close")  # Connection: close -> reconnect next time
                assert status == 200 and not http.connected
                status, _ = await http.call("GET", "/api/health")
                assert status == 200
            finally:
                http.close()

        in_thread(asyncio.run, go())
        assert srv.connections == 2


def test_http_errors_have_a_kind():
    async def go():
        http = Http("127.0.0.1", closed_port(), timeout=2)
        with pytest.raises(HttpError) as err:
            await http.call("GET", "/")
        return err.value.kind

    assert in_thread(asyncio.run, go()) == "refused"
    assert retry_ms(b'{"retryInMs": 250}') == 250.0 and retry_ms(b"junk", 7.0) == 7.0


def opts(url, players="1", bots="1"):
    return validate(url, players=players, bots=bots, duration="1")


def test_preflight_passes_on_a_server_that_behaves():
    with FakeServer() as srv:
        info = in_thread(preflight, opts(srv.url))
    assert info["health"]["ok"] is True and info["protocol"] == 1
    paths = [p for _, p in srv.requests]
    assert paths[:2] == ["/api/health", "/api/players"] and "/api/bot/link" in paths and "/api/bot/me" in paths


@pytest.mark.parametrize("behaviour, needle", [
    ({"health": "notjson"}, "is not a Clawtown server: /api/health answered HTTP 200 without JSON"),
    ({"health": "false"}, 'is not a Clawtown server: /api/health answered HTTP 200, not {"ok": true}'),
    ({"health": "404"}, "is not a Clawtown server: /api/health answered HTTP 404"),
    ({"ws": "refuse"}, "refused the session token it had just issued"),
    ({"bot_me": 401}, "refused the bot token it had just issued (HTTP 401)"),
])
def test_preflight_refusals(behaviour, needle):
    with FakeServer(**behaviour) as srv, pytest.raises(LoadTestError) as err:
        in_thread(preflight, opts(srv.url))
    assert needle in str(err.value)


def test_preflight_on_a_closed_port():
    with pytest.raises(LoadTestError, match="cannot reach the server at .*connection refused"):
        in_thread(preflight, opts(f"http://127.0.0.1:{closed_port()}"))


@pytest.fixture
def cli(monkeypatch):
    for console in (_common.console, _common.err_console):
        monkeypatch.setattr(console, "_width", 200)

    def run(*args: str):
        runner = CliRunner(env={"CT_URL": None})
        result = in_thread(lambda: runner.invoke(app, ["loadtest", *args], catch_exceptions=False))
        return result.exit_code, click.unstyle(result.stdout), click.unstyle(result.stderr)

    return run


def one_red_line(outcome, *needles):
    code, out, err = outcome
    assert code == 1 and out == "", outcome
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


def test_cli_bad_targets_and_options_are_one_red_line(cli, tmp_path):
    one_red_line(cli("--url", f"http://127.0.0.1:{closed_port()}", "--players", "2", "--duration", "1"),
                 "cannot reach the server", "connection refused")
    with FakeServer(health="notjson") as srv:
        one_red_line(cli("--url", srv.url, "--players", "2", "--duration", "1"), "is not a Clawtown server")
    with FakeServer(ws="refuse") as srv:
        one_red_line(cli("--url", srv.url, "--players", "2", "--duration", "1"), "refused the session token")
    one_red_line(cli("--url", "http://127.0.0.1:1", "--players", "2", "--duration", "1", "--scenario", "x"),
                 "--scenario must be one of")
    one_red_line(cli("--url", "http://127.0.0.1:1", "--players", "2"), "--duration is required")
    one_red_line(cli("--url", "http://127.0.0.1:1", "--players", "2", "--duration", "1",
                     "--out", str(tmp_path / "nope" / "r.json")), "does not exist")
