"""--allowed-origins on a real server: a browser handshake from another Origin is refused with 403."""

from __future__ import annotations

import json

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

pytestmark = pytest.mark.e2e


def open_ws(server, token: str, origin: str | None):
    return connect(f"ws://127.0.0.1:{server.port}/ws?token={token}", origin=origin, proxy=None, open_timeout=10)


def test_only_listed_origins_may_open_the_websocket(make_server):
    server = make_server(extra=("--allowed-origins", "https://town.example.com, http://127.0.0.1:1")).start()
    token = server.create_player("Origin")["sessionToken"]
    for origin in ("https://town.example.com", "HTTPS://TOWN.EXAMPLE.COM:443", None):
        with open_ws(server, token, origin) as ws:
            assert json.loads(ws.recv(timeout=5))["t"] == "hello"
    for origin in ("https://evil.example", "http://town.example.com", "null", "https://town.example.com:8443"):
        with pytest.raises(InvalidStatus) as refused:
            open_ws(server, token, origin)
        expected = 400 if origin == "null" else 403  # autobahn itself refuses the opaque origin "null"
        assert refused.value.response.status_code == expected, origin
    assert server.get("/health/ready")[0] == 200


def test_without_the_option_any_origin_may_connect(server):
    token = server.create_player("Anywhere")["sessionToken"]
    with open_ws(server, token, "https://elsewhere.example") as ws:
        assert json.loads(ws.recv(timeout=5))["t"] == "hello"
