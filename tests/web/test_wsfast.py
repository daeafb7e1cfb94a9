"""The WebSocket short cut (web/wsfast.py): small text frames straight to onMessage, everything
else to Autobahn as before, whatever way the bytes are cut into reads."""

from __future__ import annotations

import os

import orjson
from autobahn.websocket.xormasker import create_xor_masker

from clawtown.web.wsfast import unmask


def masked(payload: bytes, opcode: int = 1, fin: bool = True, key: bytes = b"\x11\x22\x33\x44") -> bytes:
    """One client frame (clients must mask), as a browser sends it."""
    n = len(payload)
    head = bytes([(0x80 if fin else 0) | opcode])
    if n < 126:
        head += bytes([0x80 | n])
    else:
        head += bytes([0x80 | 126]) + n.to_bytes(2, "big")
    return head + key + unmask(payload, key)


def ping(i: int) -> bytes:
    return orjson.dumps({"t": "ping", "id": i})


def opened(ws, town):
    town.store_player()
    peer = ws.connect()
    peer.flush()
    ws.step()
    assert peer.of_type("hello")
    return peer


def test_unmask_is_the_rfc_xor():
    for n in (0, 1, 3, 4, 5, 17, 125, 300):
        data, key = os.urandom(n), os.urandom(4)
        assert unmask(data, key) == create_xor_masker(key, n).process(data)
        assert unmask(unmask(data, key), key) == data


def test_frames_in_one_read_and_frames_cut_across_reads_all_arrive_in_order(ws, town):
    peer = opened(ws, town)
    control_ping = bytes([0x89, 0x80]) + b"abcd"  # a WebSocket ping (control frame, no payload)
    long_frame = masked(orjson.dumps({"t": "intent", "text": "x" * 130}))  # > 125 bytes: Autobahn's path
    split = masked(ping(3))
    peer.server.dataReceived(masked(ping(1)) + masked(ping(2)) + control_ping + long_frame + split[:5])
    peer.server.dataReceived(split[5:] + masked(ping(4)))
    peer.flush()
    assert [m["id"] for m in peer.of_type("pong")] == [1, 2, 3, 4]
    assert peer.closed is None and peer.errors() == []
    ws.step()
    assert town.world.players["p_ann"].intent == "x" * 130


def test_a_binary_frame_and_bad_utf8_are_left_to_autobahn(ws, town):
    peer = opened(ws, town)
    peer.server.dataReceived(masked(ping(1)) + masked(b'{"t":"ping"}', opcode=2))
    peer.flush()
    assert [m["id"] for m in peer.of_type("pong")] == [1]
    assert ("bad_frame", None) in peer.errors()  # binary frames are refused by the game, as before
    peer.server.dataReceived(masked(b'{"t":"chat","text":"\xff\xfe"}'))
    peer.flush()
    assert peer.closed is not None and peer.closed[0] == 1007  # invalid UTF-8: Autobahn fails the connection


class _Reactor:
    """Just what a tcp.Connection asks of its reactor when writing."""

    def __init__(self) -> None:
        self.writers: set = set()

    def addWriter(self, writer) -> None:
        self.writers.add(writer)

    def removeWriter(self, writer) -> None:
        self.writers.discard(writer)


def test_write_now_sends_at_once_and_buffers_only_what_the_socket_refuses():
    import socket

    from twisted.internet import tcp
    from twisted.internet.protocol import Protocol

    from clawtown.web.wsfast import write_now

    ours, theirs = socket.socketpair()
    ours.setblocking(False)
    reactor = _Reactor()
    conn = tcp.Connection(ours, Protocol(), reactor=reactor)
    conn.connected = True
    try:
        write_now(conn, b"frame one")
        assert theirs.recv(100) == b"frame one" and reactor.writers == set()  # no poll round trip
        big = os.urandom(8 * 1024 * 1024)
        write_now(conn, big)  # more than the socket takes: the rest waits in Twisted's buffer
        assert conn._tempDataLen > 0 and reactor.writers == {conn}
        write_now(conn, b"after")  # and so does everything after it, in order
        assert conn._tempDataBuffer[-1] == b"after"
        theirs.setblocking(False)
        got = b""
        while True:
            try:
                chunk = theirs.recv(1 << 20)
            except BlockingIOError:
                if not reactor.writers:
                    break
                conn.doWrite()
                continue
            got += chunk
        assert got == big + b"after"
    finally:
        ours.close()
        theirs.close()
