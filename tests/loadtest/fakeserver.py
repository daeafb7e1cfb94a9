"""A stand-in HTTP + WebSocket server on loopback for the load test's client and preflight tests.

It answers a handful of routes the way a Clawtown server (or something else) would, with a
behaviour picked per test: a health check that is not Clawtown's, a WebSocket that refuses the
session token (error frame, then close 4001), a bot token refused by /api/bot/me. It runs its own
asyncio loop in a thread, so code under test can call asyncio.run itself.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import struct
import threading

import orjson

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class FakeServer:
    def __init__(self, **behaviour) -> None:
        self.behaviour = {"health": "ok", "ws": "hello", "bot_me": 200, "chunked": False, **behaviour}
        self.requests: list[tuple[str, str]] = []
        self.connections = 0
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.port = 0

    def __enter__(self) -> FakeServer:
        self.thread.start()
        assert self.ready.wait(5)
        return self

    def __exit__(self, *exc) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(asyncio.start_server(self._client, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self.ready.set()
        try:
            self.loop.run_forever()
        finally:
            server.close()
            pending = asyncio.all_tasks(self.loop)
            for task in pending:
                task.cancel()
            self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            self.loop.close()

    async def _client(self, reader, writer) -> None:
        self.connections += 1
        try:
            for _ in range(100):  # keep-alive: several requests on one connection
                line = await reader.readline()
                if not line:
                    return
                method, path, _ = line.decode().split(" ", 2)
                headers = {}
                while (h := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = h.decode().partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", 0) or 0))
                self.requests.append((method, path))
                if path.startswith("/ws"):
                    await self._websocket(reader, writer, headers)
                    return
                status, answer = self._route(method, path, body)
                self._send(writer, status, answer)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    def _route(self, method: str, path: str, body: bytes):
        b = self.behaviour
        if path == "/api/health":
            return {"ok": (200, {"ok": True, "time": "now"}), "false": (200, {"ok": False}),
                    "notjson": (200, b"<html>hello</html>"), "404": (404, b"nope")}[b["health"]]
        if path == "/api/players" and method == "POST":
            return 200, {"ok": True, "playerId": "p_1", "sessionToken": "sess", "player": {}}
        if path == "/api/join-codes":
            return 200, {"ok": True, "joinCode": "ABCD"}
        if path == "/api/bot/link":
            return 200, {"ok": True, "botToken": "ctbot_x", "playerId": "p_1"}
        if path == "/api/bot/me":
            return b["bot_me"], {"ok": b["bot_me"] == 200}
        if path == "/echo":
            return 200, {"ok": True, "got": orjson.loads(body) if body else None}
        if path == "/big":
            return 200, {"ok": True, "blob": "x" * 100_000}
        if path == "/close":
            return 200, {"ok": True, "close": True}
        return 404, {"ok": False, "error": "not found"}

    def _send(self, writer, status: int, answer) -> None:
        data = answer if isinstance(answer, bytes) else orjson.dumps(answer)
        close = isinstance(answer, dict) and answer.get("close")
        head = f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
        if close:
            head += "Connection: close\r\n"
        if self.behaviour["chunked"]:
            head += "Transfer-Encoding: chunked\r\n\r\n"
            half = len(data) // 2
            chunks = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in (data[:half], data[half:]) if p)
            writer.write(head.encode() + chunks + b"0\r\n\r\n")
        else:
            writer.write(head.encode() + f"Content-Length: {len(data)}\r\n\r\n".encode() + data)
        if close:
            writer.close()

    async def _websocket(self, reader, writer, headers) -> None:
        accept = base64.b64encode(hashlib.sha1((headers["sec-websocket-key"] + WS_GUID).encode()).digest()).decode()
        writer.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      f"Sec-WebSocket-Accept: {accept}\r\n\r\n").encode())
        if self.behaviour["ws"] == "refuse":
            self._frame(writer, 0x1, orjson.dumps({"t": "error", "code": "auth_failed",
                                                   "message": "invalid session token"}))
            self._frame(writer, 0x8, struct.pack(">H", 4001) + b"auth failed")
        else:
            self._frame(writer, 0x1, orjson.dumps({"t": "hello", "v": 1, "you": {}, "instance": {}, "a": [],
                                                   "server": {"tickHz": 20}}))
        await writer.drain()
        try:
            await asyncio.wait_for(reader.read(1024), 2)  # the client's close frame
        except asyncio.TimeoutError:
            pass
        if self.behaviour["ws"] != "refuse":
            self._frame(writer, 0x8, struct.pack(">H", 1000))
            await writer.drain()

    @staticmethod
    def _frame(writer, opcode: int, payload: bytes) -> None:
        assert len(payload) < 126
        writer.write(bytes((0x80 | opcode, len(payload))) + payload)
