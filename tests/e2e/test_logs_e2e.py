"""`twistd clawtown --log-format json` for real: every output line is JSON, request ids tie the
response header, the access line and the audit entry together, and no secret reaches the log."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from clawtown.ops.admin_token import admin_token_for
from clawtown.store import open_store

pytestmark = pytest.mark.e2e


def fetch(server, method: str, path: str, body=None, headers: dict | None = None):
    """(status, response headers, parsed JSON body)."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(server.base + path, data=data, method=method,
                                 headers={"content-type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.headers, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, err.headers, json.loads(err.read() or b"null")


def test_json_logs_with_request_ids_and_no_secrets(make_server):
    server = make_server(extra=("--log-format", "json", "--test-mode")).start()
    ann = server.create_player("Ann")
    session = {"authorization": f"Bearer {ann['sessionToken']}"}
    status, headers, minted = fetch(server, "POST", "/api/join-codes", {}, {**session, "X-Request-Id": "e2e-mint-1"})
    assert status == 200 and headers["X-Request-Id"] == "e2e-mint-1"
    status, headers, linked = fetch(server, "POST", "/api/bot/link", {"joinToken": minted["joinToken"]},
                                    {"X-Request-Id": "e2e-link-1"})
    assert status == 200 and headers["X-Request-Id"] == "e2e-link-1"
    bot = {"authorization": f"Bearer {linked['botToken']}"}
    status, headers, _me = fetch(server, "GET", "/api/bot/me?token=" + linked["botToken"], headers=bot)
    assert status == 200
    generated = headers["X-Request-Id"]
    assert generated and len(generated) == 16 and generated.isalnum()
    admin = {"authorization": f"Bearer {admin_token_for(server.data_dir)}"}
    status, headers, _ = fetch(server, "POST", "/api/admin/announce", {"text": "hello town"},
                               {**admin, "X-Request-Id": "bad id with spaces"})
    assert status == 200 and headers["X-Request-Id"] != "bad id with spaces"
    announce_id = headers["X-Request-Id"]
    assert fetch(server, "GET", "/api/bot/me", headers={"authorization": "Bearer ctbot_wrong"})[0] == 401
    assert server.stop() in (0, -15)  # twistd re-raises SIGTERM after a clean shutdown

    text = server.read_log()
    lines = [json.loads(line) for line in text.splitlines()]  # every line is one JSON object
    assert len(lines) > 5
    for line in lines:
        assert {"time", "level", "namespace", "message"} <= set(line), line
    namespaces = {line["namespace"] for line in lines}
    assert "clawtown.access" in namespaces and "clawtown.audit" in namespaces
    assert any("starting up" in line["message"] for line in lines)  # twistd's own lines are JSON too

    access = {line["request_id"]: line for line in lines if line["namespace"] == "clawtown.access"}
    link_line = access["e2e-link-1"]
    assert (link_line["method"], link_line["route"], link_line["status"], link_line["player_id"]) == (
        "POST", "/api/bot/link", 200, ann["playerId"]
    )
    assert link_line["client"] == "127.0.0.1" and link_line["duration_ms"] >= 0
    assert access["e2e-mint-1"]["route"] == "/api/join-codes"
    me_line = access[generated]
    assert me_line["route"] == "/api/bot/me" and me_line["player_id"] == ann["playerId"]
    assert access[announce_id]["route"] == "/api/admin/announce"
    assert [line["status"] for line in access.values() if line["route"] == "/api/bot/me"] == [200, 401]
    audit_lines = [line for line in lines if line["namespace"] == "clawtown.audit"]
    assert {(line["action"], line["request_id"]) for line in audit_lines} >= {
        ("join-code.mint", "e2e-mint-1"), ("bot.link", "e2e-link-1"), ("admin.announce", announce_id)
    }

    for secret in (ann["sessionToken"], minted["joinCode"], minted["joinToken"], linked["botToken"],
                   admin["authorization"].split()[1]):
        assert secret not in text, secret
    assert "Bearer" not in text

    store = open_store(server.data_dir)
    try:
        trail = store.list_audit()
    finally:
        store.close()
    assert [(e["action"], e["requestId"]) for e in trail] == [
        ("join-code.mint", "e2e-mint-1"), ("bot.link", "e2e-link-1"), ("admin.announce", announce_id)
    ]
    stored = json.dumps(trail, ensure_ascii=False)
    for secret in (ann["sessionToken"], minted["joinCode"], linked["botToken"]):
        assert secret not in stored


def test_text_logs_stay_the_default_with_one_access_line_per_request(make_server):
    server = make_server().start()
    status, headers, _ = fetch(server, "GET", "/api/health", headers={"X-Request-Id": "plain-1"})
    assert status == 200 and headers["X-Request-Id"] == "plain-1"
    server.stop()
    text = server.read_log()
    assert not text.lstrip().startswith("{")
    (line,) = [x for x in text.splitlines() if "id=plain-1" in x]
    assert "[clawtown.access#info] GET /api/health 200 " in line and "client=127.0.0.1" in line
