"""End-to-end bot API: the original example bot's loop against a real twistd process, then a restart."""

from __future__ import annotations

import json
import math
import struct
import time
import urllib.error
import urllib.request

import pytest

pytestmark = pytest.mark.e2e

SLIME = "Squishy"


def fetch(server, method: str, path: str, body=None, token: str | None = None):
    """(status, headers, raw bytes): like the example bots, JSON content type on every request."""
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(server.base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


class ExampleBot:
    """The protocol of the original examples/python-agent/bot.py: link, mode agent, world/cast/goal."""

    HIT_RANGE = 140

    def __init__(self, server, join_token: str) -> None:
        self.server = server
        version, base, _code = join_token.split("|")
        assert version == "CT1" and base == server.base
        status, body = server.post("/api/bot/link", {"joinToken": join_token})
        assert status == 200 and body["ok"] and body["botToken"], body
        self.token = body["botToken"]
        self.player_id = body["playerId"]
        self.link_answer = body

    def call(self, method: str, path: str, body=None):
        """JSON call; a 429 is waited out (retryInMs) and retried, as a polite bot does."""
        for _ in range(20):
            status, body_ = self.server.request(method, path, body, headers={"authorization": f"Bearer {self.token}"})
            if status != 429:
                return status, body_
            time.sleep(body_["retryInMs"] / 1000)
        raise AssertionError(f"{path} stayed rate limited")

    def step(self) -> dict:
        status, world = self.call("GET", "/api/bot/world")
        assert status == 200 and world["ok"], world
        you = world["snapshot"]["you"]
        alive = [m for m in world["snapshot"]["monsters"] if m.get("alive") is not False]
        near = sorted(alive, key=lambda m: math.hypot(m["x"] - you["x"], m["y"] - you["y"]))
        if near and math.hypot(near[0]["x"] - you["x"], near[0]["y"] - you["y"]) <= self.HIT_RANGE:
            status, cast = self.call("POST", "/api/bot/cast", {"spell": "signature"})
            assert status == 200 and cast["ok"] is True and "result" in cast
        elif near:
            status, goal = self.call("POST", "/api/bot/goal", {"x": float(near[0]["x"]), "y": float(near[0]["y"])})
            assert status == 200 and goal["ok"], goal
        return world


def png_size(raw: bytes) -> tuple[int, int]:
    assert raw[:8] == b"\x89PNG\r\n\x1a\n" and raw[12:16] == b"IHDR"
    return struct.unpack(">II", raw[16:24])


def monster_alive(world: dict, mid: str) -> bool:
    return any(m["id"] == mid and m["alive"] for m in world["snapshot"]["monsters"])


def test_example_bot_loop_kill_and_restart(make_server):
    server = make_server(extra=("--test-mode",)).start()

    # A person creates a character and asks for a join token for their bot.
    person = server.create_player("Ann")
    assert server.post("/api/join-codes", {})[0] == 401
    status, minted = server.post("/api/join-codes", {}, headers={"authorization": f"Bearer {person['sessionToken']}"})
    assert status == 200, minted
    assert minted["joinToken"] == f"CT1|{server.base}|{minted['joinCode']}"
    assert minted["sandboxBaseUrl"] == f"http://host.docker.internal:{server.port}"

    # The bot links and takes the controls.
    bot = ExampleBot(server, minted["joinToken"])
    assert bot.player_id == person["playerId"]
    assert bot.link_answer["apiBaseUrl"] == server.base
    assert bot.link_answer["wsUrl"] == f"ws://127.0.0.1:{server.port}/ws"
    status, mode = bot.call("POST", "/api/bot/mode", {"mode": "agent"})
    assert status == 200 and mode["player"]["mode"] == "agent"

    # Keep it fast: a 1-HP slime right next to the player.
    pid = bot.player_id
    assert server.post("/api/debug/teleport", {"playerId": pid, "x": 520, "y": 300})[0] == 200
    status, spawned = server.post("/api/debug/spawn-monster", {"playerId": pid, "id": "m_e2e_slime", "name": SLIME,
                                                               "kind": "slime", "x": 530, "y": 300, "maxHp": 1})
    assert status == 200 and spawned == {"ok": True, "id": "m_e2e_slime"}

    deadline = time.monotonic() + 20
    while True:
        world = bot.step()
        if not monster_alive(world, "m_e2e_slime") and any(m["id"] == "m_e2e_slime" for m in world["snapshot"]["monsters"]):
            break
        if not any(m["id"] == "m_e2e_slime" for m in world["snapshot"]["monsters"]):
            break
        assert time.monotonic() < deadline, "the slime never died"
        time.sleep(0.3)

    status, feed = bot.call("GET", "/api/bot/events?cursor=0&limit=30")
    assert status == 200 and isinstance(feed["nextCursor"], int)
    kills = [e for e in feed["events"] if e["kind"] == "kill"]
    assert kills and SLIME in kills[0]["text"], feed["events"]
    status, me = bot.call("GET", "/api/bot/me")
    assert me["player"]["meta"]["kills"] >= 1 and me["player"]["xp"] >= 8

    status, st = bot.call("GET", "/api/bot/status")
    assert status == 200 and st["nearby"]["radiusTiles"] == 6 and st["hp"] == st["you"]["hp"]

    # Restart on the same data dir.
    before = [(e["id"], e["kind"], e["text"]) for e in feed["events"]]
    assert server.stop() in (0, -15)  # twistd re-raises SIGTERM after a clean shutdown
    assert "Server Shut Down." in server.read_log()
    again = make_server(data_dir=server.data_dir, extra=("--test-mode",)).start()
    bot.server = again

    status, me = bot.call("GET", "/api/bot/me")
    assert status == 200 and me["player"]["id"] == pid, me
    assert me["player"]["meta"]["kills"] >= 1 and me["player"]["linkedBot"] is True
    status, relinked = again.post("/api/bot/link", {"joinCode": minted["joinCode"]})
    assert status == 200 and relinked["botToken"] == bot.token and relinked["playerId"] == pid
    assert relinked["apiBaseUrl"] == again.base
    status, relinked = again.post("/api/bot/link", {"joinToken": minted["joinToken"]})  # the old base URL inside
    assert status == 200 and relinked["botToken"] == bot.token
    status, feed = bot.call("GET", "/api/bot/events?cursor=0&limit=60")
    assert status == 200
    assert [(e["id"], e["kind"], e["text"]) for e in feed["events"]][: len(before)] == before
    status, mode = bot.call("POST", "/api/bot/mode", {"mode": "agent"})
    assert status == 200


def test_map_png_is_960_by_576(server):
    person = server.create_player("Pix")
    _, minted = server.post("/api/join-codes", {}, headers={"authorization": f"Bearer {person['sessionToken']}"})
    _, linked = server.post("/api/bot/link", {"joinCode": minted["joinCode"]})
    status, headers, raw = fetch(server, "GET", "/api/bot/map.png", token=linked["botToken"])
    assert status == 200 and headers["content-type"] == "image/png"
    assert png_size(raw) == (960, 576)
    time.sleep(0.05)
    status, headers, raw = fetch(server, "GET", "/api/bot/minimap.png", token=linked["botToken"])
    assert status == 200 and png_size(raw) == (480, 288)


def test_images_need_a_token(server):
    status, _headers, raw = fetch(server, "GET", "/api/bot/map.png")
    assert status == 401 and json.loads(raw) == {"ok": False, "error": "unauthorized"}


def test_skill_md_names_this_server(server):
    status, headers, raw = fetch(server, "GET", "/skill.md")
    assert status == 200 and headers["content-type"].startswith("text/markdown")
    text = raw.decode("utf-8")
    assert "Clawtown Bot Skill" in text
    assert server.base in text and f"CT1|{server.base}|" in text and "/api/bot/link" in text


def test_openapi_json_is_served(server):
    status, doc = server.get("/api/openapi.json")
    assert status == 200 and doc["openapi"] == "3.0.3"
    assert "/api/bot/link" in doc["paths"] and "/api/bot/map.png" in doc["paths"]
