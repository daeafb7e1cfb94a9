"""WebSocket limits across connections, and the Origin allow-list (in memory, on the town's clock)."""

from __future__ import annotations

import pytest
from autobahn.twisted.websocket import WebSocketClientFactory

from clawtown.config import normalize_origin
from clawtown.web.limits import PER_PLAYER_CLASSES, WS_RULES, ws_rule
from clawtown.web.ws import CLOSE_AUTH

FANOUT = {"chat": {"text": "hi"}, "whisper": {"to": "Bob", "text": "hi"}, "party_chat": {"text": "hi"},
          "emote": {"emote": "wave"}, "mark": {}, "board_post": {"content": "hello board"}}
"""Every message type that reaches other players, with valid fields."""


def tabs(ws, n: int) -> list:
    ws.town.store_player()
    peers = [ws.connect(port=41000 + i) for i in range(n)]
    ws.step()
    for peer in peers:
        assert peer.of_type("hello"), peer.messages
    return peers


def refused(peer) -> int:
    return sum(1 for code, _ in peer.errors() if code == "rate_limited")


def test_every_fan_out_type_is_limited_per_player_as_well():
    assert set(FANOUT) <= PER_PLAYER_CLASSES
    assert {ws_rule(t)[0] for t in FANOUT} <= PER_PLAYER_CLASSES
    assert "ping" not in PER_PLAYER_CLASSES  # answered to its own socket only


@pytest.mark.parametrize("mtype", sorted(FANOUT))
def test_five_sockets_of_one_player_share_one_budget(ws, mtype):
    peers = tabs(ws, 5)
    burst = WS_RULES[ws_rule(mtype)[0]].burst
    for peer in peers:
        for _ in range(burst):
            peer.send(t=mtype, **FANOUT[mtype])
    assert sum(refused(peer) for peer in peers) == 5 * burst - burst, "the player got more than one budget"
    assert refused(peers[0]) == 0  # the first socket used the budget, the others were refused


def test_the_player_budget_survives_a_reconnect(ws):
    [first] = tabs(ws, 1)
    burst = WS_RULES["emote"].burst
    for _ in range(burst):
        first.send(t="emote", emote="wave")
    first.close()
    second = ws.connect(port=42000)
    ws.step()
    second.send(t="emote", emote="wave")
    assert refused(second) == 1, "closing and reopening a socket must not reset the limit"


def test_the_budget_refills_on_the_clock(ws):
    [peer] = tabs(ws, 1)
    rule = WS_RULES["mark"]
    for _ in range(rule.burst + 1):
        peer.send(t="mark")
    assert refused(peer) == 1
    ws.town.clock.advance((rule.interval_ms + 1) / 1000)
    peer.send(t="mark")
    assert refused(peer) == 1, peer.messages


def test_another_player_keeps_its_own_budget(ws):
    ws.town.store_player()
    ws.town.store_player(pid="p_bob", name="Bob", token="cts_" + "b" * 43)
    ann = ws.connect()
    bob = ws.connect("cts_" + "b" * 43, port=40001)
    ws.step()
    for _ in range(WS_RULES["emote"].burst + 3):
        ann.send(t="emote", emote="wave")
    bob.send(t="emote", emote="wave")
    assert refused(ann) == 3 and refused(bob) == 0


# ---- Origin allow-list ------------------------------------------------------------------
def connect_from(ws, origin, token="cts_" + "k" * 43, port=43000):
    """A browser tab whose handshake carries `Origin: origin`."""
    original = WebSocketClientFactory.__init__

    def with_origin(factory, *args, **kwargs):
        original(factory, *args, origin=origin, **kwargs)

    WebSocketClientFactory.__init__ = with_origin
    try:
        peer = ws.connect(token, port=port)
    finally:
        WebSocketClientFactory.__init__ = original
    ws.step()
    return peer


def test_origins_are_normalized_like_browsers_send_them():
    assert normalize_origin("HTTPS://Town.Example.com:443/") == "https://town.example.com"
    assert normalize_origin("http://localhost:8080") == "http://localhost:8080"
    assert normalize_origin("http://[::1]:80") == "http://[::1]"
    for bad in ("null", "town.example.com", "ftp://x", "https://x/path", "https://u@x", "https://x:99999", ""):
        assert normalize_origin(bad) is None, bad


def test_without_an_allow_list_any_origin_may_connect(ws):
    ws.town.store_player()
    peer = connect_from(ws, "https://evil.example")
    assert peer.opened and peer.of_type("hello")


def test_a_listed_origin_connects(ws):
    ws.town.store_player()
    ws.factory.allowed_origins = frozenset({"https://town.example.com"})
    peer = connect_from(ws, "https://TOWN.example.com:443")
    assert peer.opened and peer.of_type("hello")


@pytest.mark.parametrize("origin", ["https://evil.example", "http://town.example.com", "null",
                                    "https://town.example.com.evil.example"])
def test_an_unlisted_origin_is_refused_before_the_upgrade(ws, origin):
    ws.town.store_player()
    ws.factory.allowed_origins = frozenset({"https://town.example.com"})
    peer = connect_from(ws, origin)
    assert not peer.opened and peer.messages == []
    assert len(ws.town.sessions) == 0
    assert ws.factory.origin_refused == (0 if origin == "null" else 1)  # autobahn refuses "null" itself


def test_a_client_without_origin_is_not_a_browser_and_may_connect(ws):
    ws.town.store_player()
    ws.factory.allowed_origins = frozenset({"https://town.example.com"})
    peer = ws.connect()
    ws.step()
    assert peer.opened and peer.of_type("hello")


def test_a_listed_origin_still_needs_a_good_token(ws):
    ws.factory.allowed_origins = frozenset({"https://town.example.com"})
    peer = connect_from(ws, "https://town.example.com", token="cts_wrong")
    assert peer.closed is not None and peer.closed[0] == CLOSE_AUTH


# ---- dead peers ---------------------------------------------------------------------------
def test_a_half_open_connection_is_dropped_by_the_keepalive(ws):
    """A peer that stops answering (its network vanished) is dropped after one ping interval plus
    the ping timeout, and its player is disconnected."""
    [peer] = tabs(ws, 1)
    factory = ws.factory
    ws.peers.clear()  # from now on nothing is pumped: the peer neither reads nor answers pings
    ws.town.clock.advance(factory.autoPingInterval + 1)
    assert len(ws.town.sessions) == 1 and not peer.server.transport.disconnecting  # a ping is out, not yet late
    ws.town.clock.advance(factory.autoPingTimeout + 1)
    assert peer.server.transport.disconnecting, "the server did not give up on the silent peer"
    peer.pump.flush(advanceClock=False)  # the transport finishes closing
    assert len(ws.town.sessions) == 0
