"""End-to-end: a real twistd clawtown process, real sockets, real SQLite files."""

from __future__ import annotations

import json

import pytest
from websockets.exceptions import ConnectionClosed

pytestmark = pytest.mark.e2e


def hello(client) -> dict:
    return client.until(lambda m: m["t"] == "hello")


def test_health_routes(server):
    status, body = server.get("/api/health")
    assert status == 200 and body["ok"] is True and body["time"].endswith("Z")
    assert server.get("/health/live") == (200, {"ok": True})
    status, ready = server.get("/health/ready")
    assert status == 200 and ready["ok"] and ready["tickLagS"] < 0.5


def test_two_players_see_each_other_move(server):
    a, b = server.create_player("Ann"), server.create_player("Bo")
    with server.ws(a["sessionToken"]) as ca, server.ws(b["sessionToken"]) as cb:
        hello(ca)
        hello(cb)
        ca.until(lambda m: b["playerId"] in ca.entities)
        start_x = ca.entities[b["playerId"]]["x"]
        cb.send("goal", x=start_x + 120, y=288)
        ca.wait_for(lambda: (ca.position(b["playerId"]) or (0, 0))[0] >= start_x + 100)
        cb.wait_for(lambda: (cb.position(b["playerId"]) or (0, 0))[0] >= start_x + 100)


def test_private_message_reaches_only_its_recipient(server):
    a, b, c = (server.create_player(n) for n in ("Ann", "Bo", "Cy"))
    with server.ws(a["sessionToken"]) as ca, server.ws(b["sessionToken"]) as cb, server.ws(c["sessionToken"]) as cc:
        for client in (ca, cb, cc):
            hello(client)
        seq = ca.send("whisper", to="Bo", text="psst secret")
        ca.until(lambda m: m["t"] == "ack" and m["re"] == seq and m["ok"])
        got = cb.until(lambda m: m["t"] == "chat" and any(line["text"] == "psst secret" for line in m["lines"]))
        line = next(line for line in got["lines"] if line["text"] == "psst secret")
        assert line["scope"] == "private" and line["toPlayerId"] == b["playerId"]
        cb.send("chat", text="public marker")
        cc.until(lambda m: m["t"] == "chat" and any(line["text"] == "public marker" for line in m["lines"]))
        texts = [line["text"] for f in cc.frames if f["t"] == "chat" for line in f["lines"]]
        assert "psst secret" not in texts


def test_out_of_view_player_gets_no_updates(make_server):
    server = make_server(extra=("--test-mode",)).start()
    a, b = server.create_player("Far"), server.create_player("Away")
    assert server.post("/api/debug/teleport", {"playerId": a["playerId"], "x": 120, "y": 768, "map": "meadow"})[0] == 200
    assert server.post("/api/debug/teleport", {"playerId": b["playerId"], "x": 2300, "y": 768, "map": "meadow"})[0] == 200
    with server.ws(a["sessionToken"]) as ca, server.ws(b["sessionToken"]) as cb:
        assert hello(ca)["instance"]["map"] == "meadow"
        hello(cb)
        for i in range(6):
            cb.send("goal", x=2300 - 40 * (i % 2), y=700)
            cb.send("chat", text=f"far talk {i}") if i == 0 else None
        cb.wait_for(lambda: (cb.position(b["playerId"]) or (0, 768))[1] <= 710)
        marker = ca.send("ping", id="marker")
        ca.until(lambda m: m["t"] == "pong" and m["id"] == "marker")
        ca.drain(0.3)
        seen_ids = {up["id"] for f in ca.frames if f["t"] in ("hello", "sync") for ch in f["a"] for up in ch.get("up", [])}
        assert b["playerId"] not in seen_ids
        assert marker
        server.post("/api/debug/teleport", {"playerId": b["playerId"], "x": 200, "y": 768, "map": "meadow"})
        ca.until(lambda m: b["playerId"] in ca.entities)


def test_bad_token_is_refused(server):
    from websockets.sync.client import connect

    for token in ("", "nope", "cts_" + "x" * 43):
        with connect(f"ws://127.0.0.1:{server.port}/ws?token={token}") as ws:
            frame = json.loads(ws.recv(timeout=5))
            assert frame["t"] == "error" and frame["code"] == "auth_failed"
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=5)
            assert closed.value.rcvd.code == 4001


def test_malformed_and_oversized_frames(server):
    a, b = server.create_player("Ann"), server.create_player("Bo")
    with server.ws(a["sessionToken"]) as ca, server.ws(b["sessionToken"]) as cb:
        hello(ca)
        you = hello(cb)["you"]
        bad = ["not json", "[1,2]", '{"t": 5}', '{"t":"move","dx":"x","dy":0,"seq":1}', '{"t":"warp"}',
               '{"t":"chat","text":""}', '{"t":"goal","x":1e999,"y":0}']
        for frame in bad:
            cb.send_raw(frame)
        errors = [cb.until(lambda m: m["t"] == "error") for _ in bad]
        assert {e["code"] for e in errors} >= {"bad_json", "bad_frame", "bad_field", "unknown_type"}
        cb.send_raw(b"\x00\x01binary")
        assert cb.until(lambda m: m["t"] == "error")["code"] == "bad_frame"
        seq = cb.send("ping", id="still-alive")
        cb.until(lambda m: m["t"] == "pong")
        assert (round(cb.you["x"]), round(cb.you["y"])) == (you["x"], you["y"]) and seq
        cb.send_raw("x" * (70 * 1024))
        with pytest.raises(ConnectionClosed) as closed:
            cb.until(lambda m: False, timeout=5)
        assert closed.value.rcvd.code == 1009
        ca.send("chat", text="still here")
        ca.until(lambda m: m["t"] == "chat" and any(line["text"] == "still here" for line in m["lines"]))


def test_restart_keeps_characters(make_server, tmp_path):
    server = make_server(extra=("--test-mode",)).start()
    a, b = server.create_player("Keeper", "mage"), server.create_player("Friend")
    server.post("/api/debug/teleport", {"playerId": a["playerId"], "x": 300, "y": 700, "map": "meadow"})
    server.post("/api/debug/grant-item", {"playerId": a["playerId"], "itemId": "sword_1"})
    with server.ws(a["sessionToken"]) as ca, server.ws(b["sessionToken"]) as cb:
        hello(ca)
        hello(cb)
        seq = ca.send("party_invite")
        code = ca.until(lambda m: m["t"] == "ack" and m["re"] == seq)["joinCode"]
        seq = cb.send("party_join", code=code)
        assert cb.until(lambda m: m["t"] == "ack" and m["re"] == seq)["ok"]
        seq = ca.send("mode", mode="agent")
        ca.until(lambda m: m["t"] == "ack" and m["re"] == seq)
    assert server.stop() in (0, -15)
    assert "Server Shut Down." in server.read_log()
    again = make_server(data_dir=server.data_dir, extra=("--test-mode",)).start()
    with again.ws(b["sessionToken"]) as cb:
        you = hello(cb)["you"]
        assert you["map"] == "meadow" and you["partyId"]
    with again.ws(a["sessionToken"]) as ca:
        msg = hello(ca)
        you = msg["you"]
        assert you["name"] == "Keeper" and you["job"] == "mage" and you["mode"] == "agent"
        assert you["partyId"] == msg["party"]["id"] and any(r["itemId"] == "sword_1" for r in you["inventory"])
        assert you["map"] == "meadow"
