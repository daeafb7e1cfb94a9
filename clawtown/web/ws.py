"""The WebSocket endpoint (/ws?token=SESSION_TOKEN): authenticate, decode, rate-limit, enqueue.

It never changes game state itself: every frame becomes a command in the player's inbox, and
everything a client receives is sent by the sync service. Close codes: 4001 bad or missing
token, 4008 abuse (too many refused frames), 4009 too slow to read what it is sent. Small text
frames in and prepared frames out take a short cut past Autobahn's general path (wsfast.py).
"""

from __future__ import annotations

import orjson
from autobahn.twisted.websocket import WebSocketServerFactory, WebSocketServerProtocol
from autobahn.websocket.types import ConnectionDeny
from twisted.internet.defer import inlineCallbacks
from twisted.python import log

from ..config import normalize_origin
from ..engine.ids import hash_secret
from ..sim import commands as c
from ..wire.inbound import MAX_FRAME_BYTES, CommandBuilder, WireError, decode_frame
from .limits import ABUSE_LIMIT, ABUSE_WINDOW_MS, PER_PLAYER_CLASSES, WS_RULES, ws_rule
from .wsfast import FastFrames

CLOSE_AUTH = 4001
CLOSE_ABUSE = 4008
CLOSE_SLOW = 4009
MAX_BUFFERED_BYTES = 4 * 1024 * 1024


class GameProtocol(FastFrames, WebSocketServerProtocol):
    conn = None
    auth_error: str | None = None
    reads = 0
    """How many times bytes arrived: frames that arrive together share a number."""
    _throttled_read = -1

    def dataReceived(self, data: bytes) -> None:
        self.reads += 1
        super().dataReceived(data)

    @inlineCallbacks
    def onConnect(self, request):
        allowed = self.factory.allowed_origins
        origin = request.headers.get("origin")
        if allowed and origin is not None and normalize_origin(origin) not in allowed:
            self.factory.origin_refused += 1
            raise ConnectionDeny(ConnectionDeny.FORBIDDEN, "origin not allowed")
        token = (request.params.get("token") or [""])[0]
        self.peer_host = request.peer
        self.record = None
        if not token or len(token) > 200:
            self.auth_error = "missing session token" if not token else "invalid session token"
            return None
        try:
            record = yield self.factory.runner.run(lambda store: store.find_player_by_session_hash(hash_secret(token)))
        except Exception:
            log.err(None, "session lookup failed")
            record = None
        if record is None:
            self.auth_error = "invalid session token"
        self.record = record
        return None

    def onOpen(self):
        if self.auth_error or self.record is None:
            self._error("auth_failed", self.auth_error or "invalid session token")
            self.sendClose(CLOSE_AUTH, self.auth_error or "auth failed")
            return
        factory = self.factory
        self.conn = factory.sessions.open(self.record["id"], self)
        self.violations: list[int] = []
        factory.game.submit(c.Activate(player_id=self.record["id"], record=self.record, online=True))

    def onMessage(self, payload, isBinary):
        if self.conn is None:
            return
        factory = self.factory
        seq = None
        try:
            msg = decode_frame(payload, isBinary)
            seq = msg.get("seq")
            mtype = msg.get("t", msg.get("type"))
            cls, rule = ws_rule(mtype)
            wait = factory.limiter.hit((self.conn.id, cls), rule)
            if not wait and cls in PER_PLAYER_CLASSES:  # all of a player's sockets share one budget
                wait = factory.limiter.hit(("ws-player", self.conn.player_id, cls), rule)
            if wait:
                factory.rate_limited += 1
                self._refused("rate_limited", f"too many '{mtype}' messages", seq, retry=wait)
                return
            if mtype == "ping":
                self.send_bytes(orjson.dumps({"t": "pong", "id": msg.get("id"), "time": factory.game.now_ms()}))
                return
            ref = ("ws", self.conn.id, seq) if seq is not None else None
            command = factory.builder.build(msg, self.conn.player_id, ref)
        except WireError as exc:
            self._refused(exc.code, exc.message, seq)
            return
        if not factory.game.submit(command):
            self._error("busy", "server busy, command dropped; try again", seq, retry=100)

    def onClose(self, wasClean, code, reason):
        if self.conn is not None:
            last = self.factory.sessions.close(self.conn)
            self.factory.limiter.discard(*((self.conn.id, cls) for cls in WS_RULES))  # else kept till evicted
            if last:
                self.factory.game.submit(c.Disconnect(player_id=self.conn.player_id))
            self.conn = None

    # ---- sending ---------------------------------------------------------------------
    def _error(self, code: str, message: str, seq=None, retry: int | None = None) -> None:
        frame = {"t": "error", "code": code, "message": message}
        if seq is not None:
            frame["re"] = seq
        if retry is not None:
            frame["retryInMs"] = retry
        self.send_bytes(orjson.dumps(frame))

    def _refused(self, code: str, message: str, seq, retry: int | None = None) -> None:
        """Refuse one frame with an error frame; past ABUSE_LIMIT refusals in ABUSE_WINDOW_MS, close (4008).

        Rate-limit refusals count once per read: a client whose well-paced frames piled up while
        the server (or the network) stalled delivers them in one burst, and must not be closed
        for it. A flood arrives in read after read, and still is.
        """
        self.factory.refused += 1
        self._error(code, message, seq, retry)
        if code == "rate_limited":
            if self._throttled_read == self.reads:
                return
            self._throttled_read = self.reads
        now = self.factory.game.now_ms()
        self.violations = [t for t in self.violations if now - t < ABUSE_WINDOW_MS] + [now]
        if len(self.violations) > ABUSE_LIMIT:
            self.sendClose(CLOSE_ABUSE, "too many refused messages")

    def _too_slow(self) -> bool:
        transport = self.transport
        buffered = getattr(transport, "_tempDataLen", 0) + len(getattr(transport, "dataBuffer", b""))
        if buffered > MAX_BUFFERED_BYTES:
            self.factory.slow_closed += 1
            self.dropConnection(abort=True)
            return True
        return False

    def send_bytes(self, payload: bytes) -> None:
        if self.state == self.STATE_OPEN and not self._too_slow():
            self.sendMessage(payload, isBinary=False)

    def send_prepared(self, prepared) -> None:
        if self.state == self.STATE_OPEN and not self._too_slow():
            self.sendPreparedMessage(prepared)


def make_ws_factory(game, sessions, runner, limiter, mint, allowed_origins=()) -> WebSocketServerFactory:
    """`allowed_origins`: normalized origins (config.normalize_origin) a browser handshake may carry;
    empty: Origin is not checked. A handshake without Origin (not a browser) is always let through."""
    factory = WebSocketServerFactory(server="Clawtown")
    factory.protocol = GameProtocol
    factory.setProtocolOptions(
        maxFramePayloadSize=MAX_FRAME_BYTES,
        maxMessagePayloadSize=MAX_FRAME_BYTES,
        autoPingInterval=20,
        autoPingTimeout=15,
        openHandshakeTimeout=10,
        closeHandshakeTimeout=5,
        failByDrop=False,
    )
    factory.game = game
    factory.sessions = sessions
    factory.runner = runner
    factory.limiter = limiter
    factory.builder = CommandBuilder(mint)
    factory.allowed_origins = frozenset(allowed_origins)
    factory.origin_refused = 0
    factory.refused = 0
    factory.rate_limited = 0
    factory.slow_closed = 0
    sessions.prepare = lambda payload: factory.prepareMessage(payload, isBinary=False)
    return factory
