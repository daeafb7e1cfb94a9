"""Malformed HTTP against a real server: every answer is JSON (never an HTML page or a traceback).

Unknown paths and methods, bad JSON and content types on every POST route, bodies over the
limits (with and without Content-Length), too many or too long headers, garbage request lines,
a plain GET of /ws. Static files and index.html are still served.
"""

from __future__ import annotations

import json
import socket
import time

import pytest

from clawtown.ops.admin_token import admin_token_for
from clawtown.web.guard import MAX_HEADERS, MAX_REQUEST_BYTES
from clawtown.web.jsonapi import MAX_BODY_BYTES
from clawtown.web.openapi import OPENAPI

pytestmark = pytest.mark.e2e

POST_ROUTES = sorted(path for path, item in OPENAPI["paths"].items() if "post" in item)
METHODS = ["PUT", "DELETE", "PATCH", "TRACE", "OPTIONS", "BREW"]
ANYWHERE = ["/", "/index.html", "/styles.css", "/api/players", "/api/health", "/api/bot/me", "/api/bot/link",
            "/api/admin/status", "/health/ready", "/health/live", "/skill.md", "/ws", "/api/hat/questions"]
"""Paths that exist (unknown paths are 404 whatever the method)."""


def raw(port: int, data: bytes, timeout: float = 10.0) -> tuple[int, dict, bytes]:
    """Send bytes, read the answer until the server closes or the body is complete."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        try:
            s.sendall(data)
        except OSError:
            pass  # the server may answer and close before it has read everything
        got = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, TimeoutError):
                break
            if not chunk:
                break
            got += chunk
            if _complete(got):
                break
    head, _, body = got.partition(b"\r\n\r\n")
    while head.startswith(b"HTTP/1.1 100"):  # a "100 Continue" before the real answer
        head, _, body = body.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1]) if lines and lines[0] else 0
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower().decode()] = value.strip().decode("latin-1")
    if headers.get("transfer-encoding") == "chunked":
        body = _dechunk(body)
    return status, headers, body


def _complete(got: bytes) -> bool:
    head, sep, body = got.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":")[1])
    return body.endswith(b"0\r\n\r\n")


def _dechunk(body: bytes) -> bytes:
    out = b""
    while body:
        size_line, _, rest = body.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        out, body = out + rest[:size], rest[size + 2:]
    return out


def request(port, method: str, path: str, body: bytes = b"", headers: dict | None = None) -> tuple[int, dict, bytes]:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    return raw(port, ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)


def assert_json_error(status, headers, body, expected_status=None):
    assert headers.get("content-type", "").startswith("application/json"), (status, headers, body[:200])
    doc = json.loads(body)
    assert doc["ok"] is False and isinstance(doc["error"], str)
    assert b"Traceback" not in body and b"<html" not in body.lower()
    assert status < 500, (status, body)
    if expected_status is not None:
        assert status == expected_status, (status, body)
    return doc


@pytest.fixture(scope="module")
def live(module_server):
    srv = module_server
    player = srv.create_player("Target")
    status, code = srv.post("/api/join-codes", {}, headers={"authorization": f"Bearer {player['sessionToken']}"})
    status, bot = srv.post("/api/bot/link", {"joinCode": code["joinCode"]})
    assert status == 200, bot
    srv.tokens = {"session": player["sessionToken"], "bot": bot["botToken"], "admin": admin_token_for(srv.data_dir)}
    yield srv
    log = srv.read_log()
    srv.stop()
    assert "Traceback" not in log, log[-3000:]


def auth_for(live, path: str) -> dict:
    if path.startswith("/api/bot/") and path not in ("/api/bot/link", "/api/bot/spawn"):
        return {"Authorization": f"Bearer {live.tokens['bot']}"}
    if path.startswith("/api/admin/"):
        return {"Authorization": f"Bearer {live.tokens['admin']}"}
    if path in ("/api/join-codes", "/api/me/avatar"):
        return {"Authorization": f"Bearer {live.tokens['session']}"}
    return {}


# ---- paths and methods ---------------------------------------------------------------
@pytest.mark.parametrize("path", ["/nope", "/nope.html", "/js/", "/js", "/js/nope.js", "/index.html/x",
                                  "/api/nope", "/api/bot/nope", "/health/nope", "/%ff%fe", "/..%2f..%2fetc%2fpasswd",
                                  "/api/debug/reset", "/api/debug/teleport"])
def test_unknown_paths_are_json_404(live, path):
    method = "POST" if path.startswith("/api/debug") else "GET"
    status, headers, body = request(live.port, method, path)
    assert_json_error(status, headers, body, 404)


def test_static_files_and_the_index_are_still_served(live):
    for path, kind in [("/", "text/html"), ("/index.html", "text/html"), ("/styles.css", "text/css"),
                       ("/favicon.svg", "image/svg"), ("/js/main.js", "javascript")]:
        status, headers, body = request(live.port, "GET", path)
        assert status == 200 and kind in headers["content-type"], (path, status, headers)
        assert body
    status, headers, body = request(live.port, "HEAD", "/index.html")
    assert status == 200 and body == b""


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("path", ANYWHERE)
def test_unknown_methods_are_json_405(live, method, path):
    status, headers, body = request(live.port, method, path)
    assert_json_error(status, headers, body, 405)
    assert headers.get("allow"), headers  # RFC 9110: a 405 lists what is allowed


def test_a_plain_get_of_the_websocket_is_json_426(live):
    status, headers, body = request(live.port, "GET", "/ws")
    assert_json_error(status, headers, body, 426)
    assert headers["upgrade"].lower() == "websocket"


def test_twisted_does_not_announce_its_version(live):
    status, headers, _ = request(live.port, "GET", "/api/health")
    assert status == 200 and "twisted" not in headers.get("server", "").lower()


# ---- bodies ----------------------------------------------------------------------------
BAD_BODIES = [
    ("application/json", b"{"),
    ("application/json", b'{"name": '),
    ("application/json", b"[1, 2, 3]"),
    ("application/json", b'"a string"'),
    ("application/json", b"null"),
    ("application/json", b"\xff\xfe\x00garbage"),
    ("application/json", b'{"name": NaN}'),
    ("application/json", b'{"x": 1e999999}'),
    ("application/json", b"[" * 5000 + b"]" * 5000),
    ("text/plain", b"hello"),
    ("text/xml", b"<a/>"),
    ("application/x-www-form-urlencoded", b"name=x&job=mage"),
    ("multipart/form-data; boundary=zz", b"--zz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nb\r\n--zz--"),
    ("application/json", json.dumps({"name": {"nested": [1, {"deep": True}]}, "x": "1", "y": [],
                                     "text": {"a": 1}, "mode": 7, "level": None, "job": 12,
                                     "joinCode": 5, "requestId": ""}).encode()),
]


@pytest.mark.parametrize("path", ["/api/players", "/api/bot/chat", "/api/bot/link", "/api/admin/announce"])
def test_a_json_body_over_256_kib_is_413(live, path):
    body = b'{"text": "' + b"a" * (MAX_BODY_BYTES + 10) + b'"}'
    for _ in range(3):  # a route may be rate-limited (checked before the body is read): wait once
        status, headers, answer = request(live.port, "POST", path, body,
                                          {"Content-Type": "application/json", **auth_for(live, path)})
        if status != 429:
            break
        time.sleep(json.loads(answer)["retryInMs"] / 1000 + 0.05)
    assert_json_error(status, headers, answer, 413)


@pytest.mark.parametrize("path", POST_ROUTES)
def test_malformed_bodies_on_every_post_route_are_json_errors(live, path):
    for ctype, body in BAD_BODIES:
        status, headers, answer = request(live.port, "POST", path, body, {"Content-Type": ctype, **auth_for(live, path)})
        if status == 200:  # a few routes ignore their body (join-codes, party/create, ...)
            assert json.loads(answer)["ok"] is True
            continue
        assert_json_error(status, headers, answer)


def test_a_body_over_the_hard_limit_is_refused_before_it_is_read(live):
    head = (f"POST /api/players HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {50 * 1024 * 1024}\r\nExpect: 100-continue\r\n\r\n").encode()
    started = time.monotonic()
    status, headers, body = raw(live.port, head)  # no body sent at all: the answer comes anyway
    assert time.monotonic() - started < 5
    assert_json_error(status, headers, body, 413)
    assert headers.get("connection") == "close"


def test_a_chunked_body_over_the_hard_limit_is_cut_off(live):
    chunk = b"a" * 65536
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(MAX_REQUEST_BYTES // len(chunk) + 4))
    head = b"POST /api/players HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    status, headers, answer = raw(live.port, head + body + b"0\r\n\r\n")
    assert_json_error(status, headers, answer, 413)


# ---- headers and request lines ---------------------------------------------------------------
def test_too_long_headers_are_431(live):
    status, headers, body = request(live.port, "GET", "/api/health", headers={"X-Big": "a" * 20_000})
    assert_json_error(status, headers, body, 431)


def test_too_many_headers_are_431(live):
    many = {f"X-H{i}": "a" for i in range(MAX_HEADERS + 5)}
    status, headers, body = request(live.port, "GET", "/api/health", headers=many)
    assert_json_error(status, headers, body, 431)


def test_a_very_long_url_is_431(live):
    status, headers, body = request(live.port, "GET", "/api/health?" + "a" * 20_000)
    assert_json_error(status, headers, body, 431)


@pytest.mark.parametrize("line", [b"GARBAGE", b"GET", b"GET /api/health HTTP/9.9 extra", b"\x00\x01\x02\x03",
                                  b"GET /api/health HTTP/1.1\r\nContent-Length: -5",
                                  b"POST /api/players HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz"])
def test_garbage_requests_are_json_400(live, line):
    status, headers, body = raw(live.port, line + b"\r\n\r\n")
    assert_json_error(status, headers, body, 400)


def test_bad_tokens_are_json_401(live):
    for value in ["Bearer", "Bearer " + "x" * 5000, "Basic abc", "Bearer \u00ff".encode("latin-1").decode("latin-1")]:
        status, headers, body = request(live.port, "GET", "/api/bot/me", headers={"Authorization": value})
        assert_json_error(status, headers, body, 401)


def test_the_server_is_still_ready_afterwards(live):
    assert live.get("/health/ready")[0] == 200
