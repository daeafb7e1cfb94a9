"""`clawtown announce | kick | status` (real CLI processes) against a real `twistd clawtown`."""

from __future__ import annotations

import subprocess

import pytest
from cli_run import clawtown, one_red_line
from websockets.exceptions import ConnectionClosed

from clawtown.keys import load_or_create_server_key
from clawtown.ops.admin_token import admin_token_for

pytestmark = pytest.mark.e2e




def live(server, *args: str) -> subprocess.CompletedProcess:
    return clawtown(*args, "--data-dir", server.data_dir, "--url", server.base)


def test_status_announce_and_kick_on_a_running_server(server):
    ann = server.create_player("Ann")
    with server.ws(ann["sessionToken"]) as tab:
        tab.until(lambda m: m["t"] == "hello")

        status = live(server, "status")
        assert status.returncode == 0, status
        assert "ready" in status.stdout and "yes" in status.stdout
        rows = [[c.strip() for c in line.split("│")[1:-1]] for line in status.stdout.splitlines()
                if line.count("│") == 5]
        assert ["town", "1", "1", "1"] in rows, status.stdout

        said = live(server, "announce", "Server restarts at noon")
        assert said.returncode == 0 and "announced to 1 connection(s)" in said.stdout, said
        line = tab.until(lambda m: m["t"] == "chat" and m["lines"][0]["scope"] == "global")["lines"][0]
        assert (line["kind"], line["from"]["name"], line["text"]) == ("system", "Town", "Server restarts at noon")

        kicked = live(server, "kick", "ann")
        assert kicked.returncode == 0, kicked
        assert kicked.stdout.strip() == f"kicked Ann ({ann['playerId']}): 1 socket(s) closed"
        with pytest.raises(ConnectionClosed) as closed:
            tab.until(lambda m: False, timeout=5)
        assert closed.value.rcvd.code == 4003 and closed.value.rcvd.reason == "kicked"

    one_red_line(live(server, "kick", "Ann"), "'Ann': player not online")  # nothing left to kick
    again = live(server, "status", "--json")
    assert again.returncode == 0 and '"connections": 0' in again.stdout


def test_errors_are_one_red_line_and_change_nothing(server, tmp_path):
    ann = server.create_player("Ann")
    with server.ws(ann["sessionToken"]) as tab:
        tab.until(lambda m: m["t"] == "hello")
        one_red_line(live(server, "kick", "Nobody"), "player not online")

        # The data dir of another server: its key derives another token.
        other = tmp_path / "other"
        load_or_create_server_key(str(other))
        for args in (("status",), ("announce", "hi"), ("kick", "Ann")):
            refused = clawtown(*args, "--data-dir", str(other), "--url", server.base)
            one_red_line(refused, "refused the admin token", str(other))

        one_red_line(clawtown("status", "--data-dir", str(tmp_path / "missing"), "--url", server.base),
                     "data dir not found")
        said = [line for m in tab.drain(0.3) if m["t"] == "chat" for line in m["lines"] if line["scope"] == "global"]
        assert said == []  # the refused announce said nothing
        status, body = server.get("/health/ready")
        assert status == 200 and body["connections"] == 1  # the tab was not kicked

    data_dir, base = server.data_dir, server.base
    server.stop()
    one_red_line(clawtown("status", "--data-dir", data_dir, "--url", base), "cannot reach the server", base)


def test_env_vars_stand_for_the_options(server):
    result = clawtown("status", env={"CT_DATA_DIR": server.data_dir, "CT_URL": server.base})
    assert result.returncode == 0 and "ready" in result.stdout, result


def test_admin_routes_for_other_commands_online_and_forget_tokens(server):
    token = admin_token_for(server.data_dir)
    auth = {"authorization": f"Bearer {token}"}
    ann = server.create_player("Ann")
    assert server.request("GET", "/api/admin/online", headers=auth) == (200, {"ok": True, "players": []})
    with server.ws(ann["sessionToken"]) as tab:
        tab.until(lambda m: m["t"] == "hello")
        status, online = server.request("GET", "/api/admin/online", headers=auth)
        assert status == 200 and online["players"] == [
            {"id": ann["playerId"], "name": "Ann", "map": "town", "channel": 1, "level": 1, "sockets": 1, "bot": False}]
    status, forgot = server.post("/api/admin/forget-tokens", {"playerId": ann["playerId"]}, headers=auth)
    assert (status, forgot) == (200, {"ok": True, "playerId": ann["playerId"]})
    assert server.request("GET", "/api/admin/status", headers={"authorization": "Bearer nope"}) == \
        (401, {"ok": False, "error": "bad admin token"})


def test_cli_minted_code_links_a_bot_on_the_running_server(server):
    person = server.create_player("Operator Pal")
    minted = clawtown("join-code", "mint", person["playerId"], "--quiet", "--data-dir", server.data_dir,
                      "--base-url", server.base)
    assert minted.returncode == 0, minted.stderr
    token = minted.stdout.strip().splitlines()[0]
    assert token.startswith(f"CT1|{server.base}|")
    status, linked = server.post("/api/bot/link", {"joinToken": token})
    assert status == 200 and linked["playerId"] == person["playerId"]
    bearer = {"authorization": f"Bearer {linked['botToken']}"}
    assert server.request("GET", "/api/bot/me", headers=bearer)[0] == 200

    relinked = clawtown("relink", "Operator Pal", "--quiet", "--data-dir", server.data_dir, "--base-url", server.base)
    assert relinked.returncode == 0, relinked.stderr
    status, again = server.post("/api/bot/link", {"joinToken": relinked.stdout.strip().splitlines()[0]})
    assert status == 200 and again["botToken"] == linked["botToken"]

    revoked = live(server, "tokens", "revoke", person["playerId"])
    assert revoked.returncode == 0, revoked.stderr
    assert server.request("GET", "/api/bot/me", headers=bearer)[0] == 401
