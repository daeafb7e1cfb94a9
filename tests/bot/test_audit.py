"""Audit entries and request ids of the bot-facing routes, and what the logs may never show.

The town of conftest.py, but its StubTreq serves requests through the server's TracedSite, so
requests carry ids as in production. Every log event of a test is captured and rendered by the
JSON formatter, then searched for secrets.
"""

from __future__ import annotations

import orjson
import pytest
import treq.testing
from treq.testing import StubTreq
from twisted.logger import globalLogPublisher
from twisted.web.resource import Resource

from clawtown.engine import audit
from clawtown.logs import format_json_line
from clawtown.web.api import TownApi
from clawtown.web.debug import DebugActions
from clawtown.web.requestlog import TracedSite

from .conftest import Town, fired


@pytest.fixture
def log_events():
    events: list[dict] = []
    globalLogPublisher.addObserver(events.append)
    yield events
    globalLogPublisher.removeObserver(events.append)


@pytest.fixture
def town(monkeypatch):
    monkeypatch.setattr(treq.testing, "Site", TracedSite)
    t = Town()
    yield t
    t.stop()


def audit_rows(town: Town, action: str | None = None) -> list[dict]:
    return town.store.list_audit(action=action, limit=10_000)


def json_log(events: list[dict]) -> str:
    return "".join(format_json_line(e) for e in events)


def access_lines(events: list[dict]) -> list[dict]:
    return [orjson.loads(format_json_line(e)) for e in events if e.get("log_namespace") == "clawtown.access"]


def assert_secret_free(town: Town, events: list[dict], *secrets: str) -> None:
    trail = orjson.dumps(audit_rows(town)).decode()
    logged = json_log(events)
    for secret in secrets:
        assert secret and secret not in trail, secret
        assert secret not in logged, secret


def test_minting_a_join_code_is_audited_with_a_marker_not_the_code(town, log_events):
    created = town.create_player("Ann")
    reply = town.post("/api/join-codes", {}, token=created["sessionToken"], headers={"X-Request-Id": "mint-1"})
    assert reply.code == 200 and reply.header(b"x-request-id") == "mint-1"
    code = reply.json["joinCode"]
    (row,) = audit_rows(town)
    pid = created["playerId"]
    assert row == {
        "id": row["id"], "at": town.now_ms(), "actor": f"player:{pid}", "action": audit.CODE_MINT, "subject": pid,
        "detail": {"code": code[:2] + "…", "expiresAt": reply.json["expiresAt"]}, "requestId": "mint-1",
    }
    assert_secret_free(town, log_events, code, reply.json["joinToken"], created["sessionToken"])


def test_linking_a_bot_is_one_entry_under_the_bot_actor(town, log_events):
    created = town.create_player("Ann")
    minted = town.mint_code(created["sessionToken"])
    reply = town.post("/api/bot/link", {"joinToken": minted["joinToken"]}, headers={"X-Request-Id": "link-42"})
    assert reply.code == 200
    pid = created["playerId"]
    (row,) = audit_rows(town, audit.BOT_LINK)
    assert (row["actor"], row["subject"], row["detail"], row["requestId"]) == (
        f"bot:{pid}", pid, {"code": minted["joinCode"][:2] + "…"}, "link-42"
    )
    assert [r["action"] for r in audit_rows(town)] == [audit.CODE_MINT, audit.BOT_LINK]
    # Re-linking with the same code gives the same token, and is audited again.
    again = town.link({"joinCode": minted["joinCode"].lower()})
    assert again.code == 200 and again.json["botToken"] == reply.json["botToken"]
    assert len(audit_rows(town, audit.BOT_LINK)) == 2
    assert_secret_free(town, log_events, minted["joinCode"], minted["joinToken"], reply.json["botToken"],
                       created["sessionToken"])


def test_a_refused_link_is_not_audited(town):
    assert town.link({"joinCode": "ZZZZZZ"}).code == 404
    assert town.link({}).code == 404
    assert audit_rows(town) == []


def test_spawning_a_bot_is_audited(town, log_events):
    reply = town.post("/api/bot/spawn", {"name": "Robo", "job": "mage"})
    assert reply.code == 200
    pid = reply.json["playerId"]
    (row,) = audit_rows(town)
    assert (row["actor"], row["action"], row["subject"], row["detail"]) == (
        f"bot:{pid}", audit.BOT_SPAWN, pid, {"name": "Robo", "job": "mage"}
    )
    assert row["requestId"] == reply.header(b"x-request-id")
    assert_secret_free(town, log_events, reply.json["botToken"])


def test_revoking_bot_tokens_is_audited(town, log_events):
    bot = town.linked_player("Ann")
    generation = fired(town.access.revoke(bot.id))
    (row,) = audit_rows(town, audit.TOKENS_REVOKE)
    assert (row["actor"], row["subject"], row["detail"], row["requestId"]) == (
        "admin-api", bot.id, {"generation": generation}, None
    )
    assert bot.get("me").code == 401
    fired(town.access.revoke(bot.id, actor="cli", request_id="r-9"))
    assert [(r["actor"], r["requestId"]) for r in audit_rows(town, audit.TOKENS_REVOKE)] == [
        ("admin-api", None), ("cli", "r-9")
    ]
    assert_secret_free(town, log_events, bot.token, bot.code, bot.session)


def test_a_failing_audit_write_does_not_fail_the_action(town, log_events, monkeypatch):
    created = town.create_player("Ann")
    minted = town.mint_code(created["sessionToken"])

    def broken(record):
        raise RuntimeError("disk full")

    monkeypatch.setattr(town.store, "append_audit", broken)
    reply = town.link({"joinCode": minted["joinCode"]})
    assert reply.code == 200
    failures = [e for e in log_events if e.get("log_namespace") == "clawtown.audit" and e.get("log_failure")]
    assert len(failures) == 1 and failures[0]["action"] == audit.BOT_LINK


def test_every_request_gets_an_id_and_one_access_line(town, log_events):
    bot = town.linked_player("Ann")
    log_events.clear()
    mine = bot.get("me", headers={"X-Request-Id": "client.id:7"})
    theirs = bot.get("status")
    bad = bot.get("me", headers={"X-Request-Id": "no spaces please"})
    long = bot.get("me", headers={"X-Request-Id": "x" * 65})
    assert mine.header(b"x-request-id") == "client.id:7"
    generated = [r.header(b"x-request-id") for r in (theirs, bad, long)]
    assert all(g and len(g) == 16 and g not in ("client.id:7",) for g in generated)
    assert len(set(generated)) == 3
    lines = access_lines(log_events)
    assert [line["request_id"] for line in lines] == ["client.id:7", *generated]
    first = lines[0]
    assert (first["method"], first["route"], first["status"], first["player_id"], first["client"]) == (
        "GET", "/api/bot/me", 200, bot.id, "127.0.0.1"
    )
    assert isinstance(first["duration_ms"], float) and first["duration_ms"] >= 0
    assert "Authorization" not in json_log(log_events) and "authorization" not in json_log(log_events)
    assert_secret_free(town, log_events, bot.token)


def test_the_access_line_drops_the_query_string(town, log_events):
    created = town.create_player("Ann")
    town.get(f"/api/health?token={created['sessionToken']}&joinCode=ABCDEF")
    (line,) = [x for x in access_lines(log_events) if x["route"] == "/api/health"]
    assert line["status"] == 200
    assert_secret_free(town, log_events, created["sessionToken"], "ABCDEF")


class FakeServer:
    """What DebugActions needs of ClawtownService: reset, restart_sim, and its BotAccess."""

    def __init__(self, town: Town) -> None:
        self.access = town.access
        self.calls: list[str] = []
        self.town = town

    async def reset(self) -> None:
        self.calls.append("reset")
        self.town.store.wipe()

    async def restart_sim(self) -> None:
        self.calls.append("restart-sim")


@pytest.fixture
def debug_town(town):
    server = FakeServer(town)
    api = TownApi(town.game, town.mint, town.limiter, town.clock, DebugActions(town.game, town.sync, server),
                  bots=town.bots, access=town.access, base_url=town.base_url)
    root = Resource()
    root.putChild(b"api", api.app.resource())
    town.stub = StubTreq(root)
    town.server = server
    return town


def test_test_mode_reset_and_restart_are_audited(debug_town):
    debug_town.linked_player("Ann")
    reset = debug_town.post("/api/debug/reset", {}, headers={"X-Request-Id": "reset-1"})
    restart = debug_town.post("/api/debug/restart-sim", {})
    assert (reset.code, restart.code) == (200, 200) and debug_town.server.calls == ["reset", "restart-sim"]
    rows = audit_rows(debug_town)
    # The wipe kept the trail: the mint and the link from before the reset are still there.
    assert [r["action"] for r in rows] == [audit.CODE_MINT, audit.BOT_LINK, audit.TEST_RESET, audit.TEST_RESTART_SIM]
    assert [(r["actor"], r["subject"], r["detail"]) for r in rows[2:]] == [("test-mode", None, None)] * 2
    assert rows[2]["requestId"] == "reset-1" and rows[3]["requestId"] == restart.header(b"x-request-id")
    assert debug_town.store.count_players() == 0


def test_other_debug_actions_are_not_audited(debug_town):
    pid = debug_town.create_player("Ann")["playerId"]
    assert debug_town.post("/api/debug/teleport", {"playerId": pid, "x": 300, "y": 300}).code == 200
    assert debug_town.post("/api/debug/persist-flush", {}).code == 200
    assert audit_rows(debug_town) == []
