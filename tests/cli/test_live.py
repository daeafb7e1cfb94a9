"""`clawtown announce | kick | status` against a stand-in admin API (a real HTTP server on loopback).

The stand-in records every request and answers what the test tells it to, so these tests check
what the CLI sends (token, path, body) and how it renders each answer and each failure. The
real server is exercised by tests/e2e/test_cli_live_e2e.py.
"""

from __future__ import annotations

import json
import os
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from clawtown.keys import load_or_create_server_key
from clawtown.ops.admin_token import derive_admin_token

STATUS = {
    "ok": True, "time": "2026-01-02T03:04:05Z", "ready": True, "tickLagS": 0.0123, "ticks": 4000,
    "tickMs": {"p50": 0.42, "p99": 3.5}, "storeLagMs": 12.0, "commitMs": 1.7, "storeOk": True,
    "commitFailures": 0, "playersOnline": 3, "playersInWorld": 5,
    "instances": [{"instance": "meadow#1", "map": "meadow", "channel": 1, "online": 1, "population": 2},
                  {"instance": "town#1", "map": "town", "channel": 1, "online": 2, "population": 3}],
    "connections": 4, "inbox": {"length": 2, "drops": 9},
}


class AdminStandIn:
    """Answers /api/admin/* from `self.answers[(method, path)] = (status, body)`; records requests."""

    def __init__(self) -> None:
        self.answers: dict[tuple[str, str], tuple[int, object]] = {}
        self.requests: list[dict] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                stand_in.requests.append({"method": self.command, "path": self.path,
                                          "authorization": self.headers.get("authorization"),
                                          "body": json.loads(raw) if raw else None})
                status, body = stand_in.answers.get((self.command, self.path), (404, {"ok": False, "error": "not found"}))
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _answer

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def admin_api():
    stand_in = AdminStandIn()
    yield stand_in
    stand_in.close()


@pytest.fixture
def data_dir(tmp_path) -> str:
    path = str(tmp_path / "data")
    load_or_create_server_key(path)
    return path


@pytest.fixture
def token(data_dir) -> str:
    return derive_admin_token(load_or_create_server_key(data_dir))


@pytest.fixture
def live(run_clawtown, data_dir, admin_api):
    """Run a live command against the stand-in with the data dir's token."""
    return lambda *args, **kw: run_clawtown(*args, "--data-dir", data_dir, "--url", admin_api.url, **kw)


def dead_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"  # nothing listens there any more


# ---- announce ----------------------------------------------------------------------------
def test_announce_posts_the_text_with_the_admin_token(live, admin_api, token):
    admin_api.answers[("POST", "/api/admin/announce")] = (200, {"ok": True, "text": "Hello town", "connections": 4})
    out = live("announce", "Hello town")
    assert out.exit_code == 0, out
    assert out.stdout.strip() == "announced to 4 connection(s): Hello town"
    assert admin_api.requests == [{"method": "POST", "path": "/api/admin/announce",
                                   "authorization": f"Bearer {token}", "body": {"text": "Hello town"}}]


def test_announce_text_is_printed_verbatim_not_as_markup(live, admin_api):
    admin_api.answers[("POST", "/api/admin/announce")] = (200, {"ok": True, "text": "[red]x[/]", "connections": 0})
    assert "[red]x[/]" in live("announce", "[red]x[/]").stdout


@pytest.mark.parametrize("text, needle", [("   ", "TEXT is empty"), ("x" * 281, "at most 280")])
def test_announce_refuses_bad_text_without_calling_the_server(live, admin_api, assert_cli_error, text, needle):
    assert_cli_error(live("announce", text), needle)
    assert admin_api.requests == []


# ---- kick --------------------------------------------------------------------------------
def test_kick_names_the_player_and_the_sockets_closed(live, admin_api):
    admin_api.answers[("POST", "/api/admin/kick")] = (200, {"ok": True, "playerId": "p_ann", "name": "Ann", "closed": 2})
    out = live("kick", "ann")
    assert out.exit_code == 0 and out.stdout.strip() == "kicked Ann (p_ann): 2 socket(s) closed"
    assert admin_api.requests[0]["body"] == {"player": "ann"}


def test_kicking_a_player_who_is_not_online_is_one_red_line(live, admin_api, assert_cli_error):
    admin_api.answers[("POST", "/api/admin/kick")] = (404, {"ok": False, "error": "player not online"})
    assert assert_cli_error(live("kick", "Nobody")) == "error: 'Nobody': player not online"


def test_an_ambiguous_name_shows_the_servers_message(live, admin_api, assert_cli_error):
    admin_api.answers[("POST", "/api/admin/kick")] = (
        409, {"ok": False, "error": "2 players online are named 'Ann'; kick by id", "playerIds": ["a", "b"]})
    assert_cli_error(live("kick", "Ann"), "kick by id", "HTTP 409")


# ---- status ------------------------------------------------------------------------------
def test_status_renders_health_lags_and_players_per_map(live, admin_api):
    admin_api.answers[("GET", "/api/admin/status")] = (200, STATUS)
    out = live("status")
    assert out.exit_code == 0, out
    text = out.stdout
    for needle in ("ready", "yes", "3 (5 in the world)", "12.3 ms", "0.42 / 3.50 ms", "store lag", "12 ms",
                   "2 queued, 9 dropped", "meadow", "town"):
        assert needle in text, (needle, text)
    rows = [[cell.strip() for cell in line.split("│")[1:-1]] for line in text.splitlines() if line.count("│") == 5]
    assert ["town", "1", "2", "3"] in rows and ["meadow", "1", "1", "2"] in rows
    assert admin_api.requests[0]["method"] == "GET" and admin_api.requests[0]["body"] is None


def test_status_shows_a_server_that_is_not_ready_and_a_failing_store(live, admin_api):
    admin_api.answers[("GET", "/api/admin/status")] = (200, {**STATUS, "ready": False, "storeOk": False,
                                                             "commitFailures": 3})
    out = live("status")
    assert out.exit_code == 0
    assert "no" in out.stdout and "failing (3 failures)" in out.stdout


def test_status_json_prints_the_raw_answer(live, admin_api):
    admin_api.answers[("GET", "/api/admin/status")] = (200, STATUS)
    out = live("status", "--json")
    assert out.exit_code == 0 and json.loads(out.stdout) == STATUS


def test_url_and_data_dir_come_from_the_environment(run_clawtown, admin_api, data_dir):
    admin_api.answers[("GET", "/api/admin/status")] = (200, STATUS)
    out = run_clawtown("status", env={"CT_URL": admin_api.url + "/", "CT_DATA_DIR": data_dir})
    assert out.exit_code == 0, out
    assert admin_api.requests[0]["path"] == "/api/admin/status"


# ---- failures: one red line, exit 1 ------------------------------------------------------
@pytest.mark.parametrize("args", [("status",), ("announce", "hi"), ("kick", "Ann")])
def test_a_server_that_is_not_there(run_clawtown, data_dir, assert_cli_error, args):
    url = dead_url()
    assert_cli_error(run_clawtown(*args, "--data-dir", data_dir, "--url", url), "cannot reach the server", url)


@pytest.mark.parametrize("args", [("status",), ("announce", "hi"), ("kick", "Ann")])
def test_a_token_the_server_refuses_names_the_data_dir(live, admin_api, data_dir, assert_cli_error, args):
    for key in (("GET", "/api/admin/status"), ("POST", "/api/admin/announce"), ("POST", "/api/admin/kick")):
        admin_api.answers[key] = (401, {"ok": False, "error": "bad admin token"})
    assert_cli_error(live(*args), "refused the admin token", os.path.abspath(data_dir))


def test_a_blocked_address_is_told_why(live, admin_api, assert_cli_error):
    admin_api.answers[("GET", "/api/admin/status")] = (429, {"ok": False, "error": "too many failed admin logins",
                                                             "retryInMs": 5000})
    assert_cli_error(live("status"), "too many bad tokens")


def test_a_server_without_the_admin_api(live, assert_cli_error):
    assert_cli_error(live("status"), "has no admin API")


def test_an_answer_that_is_not_json(live, admin_api, assert_cli_error):
    admin_api.answers[("GET", "/api/admin/status")] = (200, b"<html>hello</html>")
    assert_cli_error(live("status"), "did not answer JSON")


def test_a_server_error_shows_its_message_and_status(live, admin_api, assert_cli_error):
    admin_api.answers[("POST", "/api/admin/announce")] = (503, {"ok": False, "error": "server busy, try again"})
    assert_cli_error(live("announce", "hi"), "server busy, try again", "HTTP 503")


def test_a_missing_data_dir(run_clawtown, missing_data_dir, admin_api, assert_cli_error):
    assert_cli_error(run_clawtown("status", "--data-dir", missing_data_dir, "--url", admin_api.url),
                     "data dir not found", missing_data_dir)
    assert admin_api.requests == []


def test_a_data_dir_without_a_server_key(run_clawtown, tmp_path, admin_api, assert_cli_error):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert_cli_error(run_clawtown("status", "--data-dir", str(empty), "--url", admin_api.url),
                     "no server.key", "start the server once")
    assert admin_api.requests == [] and not (empty / "server.key").exists()


def test_an_unreadable_server_key(run_clawtown, data_dir, admin_api, assert_cli_error):
    if os.geteuid() == 0:
        pytest.skip("root reads any file")
    os.chmod(os.path.join(data_dir, "server.key"), 0)
    assert_cli_error(run_clawtown("status", "--data-dir", data_dir, "--url", admin_api.url), "permission denied")


def test_a_broken_server_key(run_clawtown, data_dir, admin_api, assert_cli_error):
    with open(os.path.join(data_dir, "server.key"), "w") as f:
        f.write("not hex\n")
    assert_cli_error(run_clawtown("status", "--data-dir", data_dir, "--url", admin_api.url), "cannot use the server key")


@pytest.mark.parametrize("url", ["127.0.0.1:8080", "ftp://127.0.0.1", "http://"])
def test_a_bad_url(run_clawtown, data_dir, assert_cli_error, url):
    assert_cli_error(run_clawtown("status", "--data-dir", data_dir, "--url", url), "invalid --url")


def test_the_commands_are_listed_in_help(run_clawtown):
    out = run_clawtown("--help")
    for name in ("announce", "kick", "status"):
        assert name in out.stdout
