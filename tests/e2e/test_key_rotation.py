"""Rotating the server key, as the README tells operators to: stop, move server.key away, start."""

from __future__ import annotations

import os
import stat

import pytest

from clawtown.ops.admin_token import admin_token_for

pytestmark = pytest.mark.e2e


def bearer(token: str) -> dict:
    return {"authorization": f"Bearer {token}"}


def test_rotating_the_key_changes_bot_and_admin_tokens_only(make_server):
    server = make_server().start()
    key_path = os.path.join(server.data_dir, "server.key")
    assert stat.S_IMODE(os.stat(key_path).st_mode) == 0o600
    player = server.create_player("Keyholder")
    session = player["sessionToken"]
    _, code = server.post("/api/join-codes", {}, headers=bearer(session))
    status, linked = server.post("/api/bot/link", {"joinCode": code["joinCode"]})
    assert status == 200
    old_bot, old_admin = linked["botToken"], admin_token_for(server.data_dir)
    assert server.request("GET", "/api/bot/me", headers=bearer(old_bot))[0] == 200
    assert server.request("GET", "/api/admin/status", headers=bearer(old_admin))[0] == 200
    server.stop()

    os.rename(key_path, key_path + ".old")
    again = make_server(data_dir=server.data_dir).start()
    new_admin = admin_token_for(again.data_dir)
    assert new_admin != old_admin
    assert again.request("GET", "/api/bot/me", headers=bearer(old_bot))[0] == 401
    assert again.request("GET", "/api/admin/status", headers=bearer(old_admin))[0] == 401
    assert again.request("GET", "/api/admin/status", headers=bearer(new_admin))[0] == 200
    # the browser's session token still works, and the (stored) join code links the bot again
    assert again.post("/api/join-codes", {}, headers=bearer(session))[0] == 200
    status, relinked = again.post("/api/bot/link", {"joinCode": code["joinCode"]})
    assert status == 200 and relinked["botToken"] != old_bot and relinked["playerId"] == player["playerId"]
    assert again.request("GET", "/api/bot/me", headers=bearer(relinked["botToken"]))[0] == 200
    assert stat.S_IMODE(os.stat(key_path).st_mode) == 0o600
