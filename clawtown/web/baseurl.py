"""The base URL players and bots use to reach this server (join tokens, link answers, skill.md).

`--public-base-url` wins; otherwise the request's scheme and Host, where X-Forwarded-Proto and
X-Forwarded-Host count only when the direct peer is a configured trusted proxy.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from .proxies import is_trusted

SANDBOX_HOST = "host.docker.internal"


def _first(request, name: bytes) -> str | None:
    value = request.getHeader(name)
    if not value:
        return None
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    first = value.split(",")[0].strip()
    return first or None


class BaseUrl:
    def __init__(self, public_base_url: str | None, trusted_proxies=()) -> None:
        self.public = public_base_url
        self.trusted = tuple(trusted_proxies)

    def __call__(self, request) -> str:
        if self.public:
            return self.public
        proto = "https" if request.isSecure() else "http"
        host = _first(request, b"host")
        peer = getattr(request.getClientAddress(), "host", "")  # the direct peer, not X-Forwarded-For
        if self.trusted and is_trusted(peer, self.trusted):
            proto = (_first(request, b"x-forwarded-proto") or proto).lower()
            host = _first(request, b"x-forwarded-host") or host
        if proto not in ("http", "https"):
            proto = "http"
        if not host or any(ch in host for ch in " |/\\\"'<>"):
            addr = request.getHost()
            host = f"{getattr(addr, 'host', '127.0.0.1')}:{getattr(addr, 'port', 80)}"
        return f"{proto}://{host}"


def ws_url(base: str) -> str:
    if base.startswith("https://"):
        return "wss://" + base[len("https://"):] + "/ws"
    return "ws://" + base[len("http://"):] + "/ws" if base.startswith("http://") else base + "/ws"


def sandbox_base(base: str) -> str | None:
    """For a base URL with an explicit port: the same port on host.docker.internal (always http)."""
    try:
        port = urlsplit(base).port
    except ValueError:
        return None
    return f"http://{SANDBOX_HOST}:{port}" if port else None


def join_token(base: str, code: str) -> str:
    return f"CT1|{base}|{code}"
