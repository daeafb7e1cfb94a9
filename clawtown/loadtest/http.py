"""A small HTTP/1.1 client on asyncio streams: one keep-alive connection per simulated bot.

Standard library only, so a worker process can hold hundreds of them cheaply. It sends a
request, reads the whole answer (Content-Length, chunked, or until close) and keeps the
connection for the next request unless the server closes it. Failures raise `HttpError` with a
short `kind` (`refused`, `dns`, `timeout`, `reset`, `protocol`), which the load test counts.
"""

from __future__ import annotations

import asyncio
import socket
import ssl

import orjson

MAX_BODY = 16 * 1024 * 1024


class HttpError(Exception):
    """The request failed before a complete answer arrived; the connection is closed."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind
        self.detail = detail


def _kind_of(err: BaseException) -> str:
    if isinstance(err, (asyncio.TimeoutError, TimeoutError)):
        return "timeout"
    if isinstance(err, ConnectionRefusedError):
        return "refused"
    if isinstance(err, socket.gaierror):
        return "dns"
    if isinstance(err, (ConnectionResetError, BrokenPipeError, ConnectionAbortedError, asyncio.IncompleteReadError)):
        return "reset"
    if isinstance(err, ssl.SSLError):
        return "tls"
    if isinstance(err, OSError):
        return "os_error"
    return "protocol"


class Http:
    """One persistent connection to (host, port); optionally bound to a local source address."""

    def __init__(self, host: str, port: int, *, tls: bool = False, source: str | None = None,
                 timeout: float = 10.0, base_path: str = "") -> None:
        self.host, self.port, self.tls, self.source = host, port, tls, source
        self.timeout = timeout
        self.base_path = base_path
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        netloc = f"[{host}]" if ":" in host else host
        default = 443 if tls else 80
        self._host_header = f"Host: {netloc}{'' if port == default else f':{port}'}\r\n".encode()

    async def open(self) -> None:
        kwargs = {"limit": 1 << 20}
        if self.source:
            kwargs["local_addr"] = (self.source, 0)
        if self.tls:
            kwargs["ssl"] = ssl.create_default_context()
            kwargs["server_hostname"] = self.host
        try:
            self.reader, self.writer = await asyncio.wait_for(
                asyncio.open_connection(self.host, self.port, **kwargs), self.timeout)
        except (OSError, asyncio.TimeoutError) as err:
            raise HttpError(_kind_of(err), str(err) or type(err).__name__) from None
        sock = self.writer.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    @property
    def connected(self) -> bool:
        return self.writer is not None

    def close(self) -> None:
        if self.writer is not None:
            try:
                self.writer.close()
            except (OSError, RuntimeError):
                pass
        self.reader = self.writer = None

    async def call(self, method: str, path: str, body=None, token: str | None = None) -> tuple[int, bytes]:
        """(status, body). `body` is JSON-encoded when it is not bytes. Raises HttpError."""
        if self.writer is None:
            await self.open()
        payload = body if body is None or isinstance(body, bytes) else orjson.dumps(body)
        head = [f"{method} {self.base_path}{path} HTTP/1.1\r\n".encode(), self._host_header,
                b"Accept: application/json\r\n"]
        if token:
            head.append(f"Authorization: Bearer {token}\r\n".encode())
        if payload is not None:
            head.append(b"Content-Type: application/json\r\nContent-Length: %d\r\n" % len(payload))
        elif method in ("POST", "PUT", "PATCH"):
            head.append(b"Content-Length: 0\r\n")
        head.append(b"\r\n")
        if payload is not None:
            head.append(payload)
        try:
            self.writer.write(b"".join(head))
            return await asyncio.wait_for(self._answer(), self.timeout)
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                ValueError) as err:
            self.close()
            raise HttpError(_kind_of(err), str(err) or type(err).__name__) from None

    async def _answer(self) -> tuple[int, bytes]:
        reader = self.reader
        line = await reader.readline()
        if not line:
            raise ConnectionResetError("connection closed before the answer")
        parts = line.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/"):
            raise ValueError(f"not an HTTP answer: {line[:40]!r}")
        status = int(parts[1])
        length, chunked, close = None, False, parts[0] == b"HTTP/1.0"
        for _ in range(200):
            line = await reader.readline()
            if line in (b"\r\n", b"\n"):
                break
            if not line:
                raise ConnectionResetError("connection closed in the headers")
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif name == b"connection":
                close = b"close" in value.lower()
        else:
            raise ValueError("too many headers")
        if chunked:
            pieces, size_total = [], 0
            for _ in range(100_000):
                size = int((await reader.readline()).split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    for _ in range(100):
                        if (await reader.readline()) in (b"\r\n", b"\n", b""):
                            break
                    break
                size_total += size
                if size_total > MAX_BODY:
                    raise ValueError("answer too large")
                pieces.append((await reader.readexactly(size + 2))[:-2])
            data = b"".join(pieces)
        elif length is not None:
            if length > MAX_BODY:
                raise ValueError("answer too large")
            data = await reader.readexactly(length)
        elif status in (204, 304) or 100 <= status < 200:
            data = b""
        else:
            data = await reader.read(MAX_BODY)
            close = True
        if close:
            self.close()
        return status, data


def json_of(data: bytes) -> dict | None:
    """The answer as a JSON object, or None."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def retry_ms(data: bytes, default: float = 500.0) -> float:
    """`retryInMs` of a 429/503 answer (the server's hint), else `default`."""
    body = json_of(data) or {}
    value = body.get("retryInMs")
    return float(value) if isinstance(value, (int, float)) and value >= 0 else default
