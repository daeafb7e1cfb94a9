"""Request ids and the access log: one structured log event per HTTP request.

Every request gets an id when it starts: the caller's ``X-Request-Id`` if it is a short safe
token (so a proxy's or a client's id follows the request), else a fresh random one.  The id is
sent back in the ``X-Request-Id`` response header, carried by the access log line and by the
audit entries the request makes (:func:`request_id_of`).

The access line replaces twisted.web's combined log: method, the route path WITHOUT its query
string (``/ws?token=…`` must not leak the token), status, duration, request id, client address
and, when a route identified its caller, the player id.  Headers are never logged.
"""

from __future__ import annotations

import re
import secrets
import time

from twisted.logger import Logger
from twisted.web.server import Request, Site

from .jsonapi import client_address

REQUEST_ID_HEADER = b"x-request-id"
MAX_REQUEST_ID = 64
MAX_LOGGED_PATH = 200
_SAFE_ID = re.compile(rf"[A-Za-z0-9._:-]{{1,{MAX_REQUEST_ID}}}")

access_log = Logger(namespace="clawtown.access")


def new_request_id() -> str:
    return secrets.token_hex(8)


def safe_request_id(value: bytes | str | None) -> str | None:
    """``value`` if it is a short token of letters, digits and ``._:-``; else None."""
    if value is None:
        return None
    if isinstance(value, bytes):
        try:
            value = value.decode("ascii")
        except UnicodeDecodeError:
            return None
    return value if _SAFE_ID.fullmatch(value) else None


def request_id_of(request) -> str | None:
    """The id of a request served by :class:`TracedSite` (None for other requests)."""
    return getattr(request, "request_id", None)


def tag_player(request, player_id: str) -> None:
    """Note who the request acts for, so its access line names the player."""
    try:
        request.clawtown_player_id = player_id
    except AttributeError:  # a request object that takes no attributes: nothing to note
        pass


def logged_path(request) -> str:
    """The request's path for the log: no query string, at most MAX_LOGGED_PATH characters."""
    path = (request.path or b"/").split(b"?", 1)[0]
    text = path.decode("latin-1")
    return text if len(text) <= MAX_LOGGED_PATH else text[:MAX_LOGGED_PATH] + "…"


class TracedRequest(Request):
    """A Request that knows its id and when it started."""

    request_id: str | None = None
    started: float | None = None

    def process(self):
        self.started = time.monotonic()
        self.request_id = safe_request_id(self.getHeader(REQUEST_ID_HEADER)) or new_request_id()
        self.setHeader(REQUEST_ID_HEADER, self.request_id.encode("ascii"))
        return super().process()


class TracedSite(Site):
    """A Site whose requests carry ids and whose access log is one structured event each."""

    requestFactory = TracedRequest

    def log(self, request) -> None:
        started = getattr(request, "started", None)
        duration_ms = round((time.monotonic() - started) * 1000, 2) if started is not None else None
        method = (request.method or b"-").decode("latin-1")[:16]
        fields = {
            "method": method,
            "route": logged_path(request),
            "status": request.code,
            "duration_ms": duration_ms,
            "request_id": request_id_of(request),
            "client": client_address(request),
            "bytes": request.sentLength,
        }
        player_id = getattr(request, "clawtown_player_id", None)
        if player_id is not None:
            fields["player_id"] = player_id
        access_log.info(
            "{method} {route} {status} {duration_ms}ms id={request_id} client={client}", **fields
        )
