"""A short cut for the WebSocket traffic a game server lives on, in front of Autobahn's general one.

Almost every frame a player sends is one small text message (`{"t":"move",...}`), and almost
every frame it is sent is a prepared sync frame. Autobahn handles each through its general
machinery (frame and message state, a masker object per frame, observers, debug-log arguments
formatted even when debug logging is off), which at 200 players moving 10 times a second was
most of the server's CPU.

`FastFrames` handles exactly the simple case itself and hands everything else to Autobahn
unchanged:

* receiving: while the connection is open and Autobahn holds nothing half-read, each complete,
  masked, final text frame of at most 125 bytes with valid UTF-8 goes straight to `onMessage`.
  The first frame that is anything else (binary, control, fragmented, longer, cut off by the
  read, invalid UTF-8, unmasked) and all bytes after it go to Autobahn, which does what it
  always does (including failing the connection).
* sending: a prepared message is written to the transport when Autobahn has nothing queued and
  compression is off, as Autobahn's own `sendData` would write it; and on a plain TCP transport
  with nothing buffered it goes out at once with one send() (`write_now`), instead of Twisted's
  register-for-writing, poll, send, unregister, which costs three system calls per frame and,
  at 10 frames a second to each of 200 clients, was the largest single cost left.

What is skipped is only bookkeeping the server does not read: Autobahn's traffic statistics,
octet/frame logging (the short cut is off when they are on) and the "message" observers.
"""

from __future__ import annotations

from twisted.internet import tcp


def unmask(payload: bytes, key: bytes) -> bytes:
    """XOR `payload` with the 4-byte masking `key` repeated (RFC 6455, 5.3)."""
    n = len(payload)
    if not n:
        return b""
    keys = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "little") ^ int.from_bytes(keys, "little")).to_bytes(n, "little")


def write_now(transport, data: bytes) -> None:
    """`transport.write(data)`, but sent at once when the transport is plain TCP and nothing of it
    is waiting in Twisted's buffers (what the socket does not take is buffered as usual)."""
    if (isinstance(transport, tcp.Connection) and not getattr(transport, "TLS", True) and transport.connected
            and getattr(transport, "_writeDisconnected", True) is False
            and getattr(transport, "_tempDataLen", 1) == 0
            and getattr(transport, "offset", -1) == len(getattr(transport, "dataBuffer", b"x"))):
        # (Twisted internals, read defensively: if a release renames them, every write takes the usual path)
        sent = transport.writeSomeData(data)
        if isinstance(sent, int) and sent > 0:
            data = data[sent:]
    if data:
        transport.write(data)


class FastFrames:
    """Mixin for an Autobahn WebSocketServerProtocol (listed before it)."""

    def _fast_ok(self) -> bool:
        return (self.state == self.STATE_OPEN and self.current_frame is None and not self.inside_message
                and not self.data and not self.logOctets and not self.logFrames and not self.trackedTimings)

    def dataReceived(self, data: bytes) -> None:
        if not self._fast_ok():
            super().dataReceived(data)
            return
        i, n = 0, len(data)
        while n - i >= 6:
            b1 = data[i + 1]
            length = b1 & 0x7F
            end = i + 6 + length
            if data[i] != 0x81 or not b1 & 0x80 or length > 125 or end > n:
                break
            payload = unmask(data[i + 6:end], data[i + 2:i + 6])
            try:
                payload.decode("utf-8")
            except UnicodeDecodeError:
                break
            i = end
            self.onMessage(payload, False)
            if self.state != self.STATE_OPEN:
                break
        if i < n:
            super().dataReceived(data[i:] if i else data)

    def sendPreparedMessage(self, preparedMsg) -> None:
        if self._perMessageCompress is None and not self.send_queue and self.state == self.STATE_OPEN:
            write_now(self.transport, preparedMsg.payloadHybi)
        else:
            super().sendPreparedMessage(preparedMsg)
