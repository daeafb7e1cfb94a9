"""HTTP hardening for the whole Site: every error is JSON, bodies and headers are bounded.

Klein's routes already answer JSON errors (jsonapi.install_error_handlers). This module covers
what happens outside them, where Twisted would answer an HTML page:

* an unknown path (the static File resource), a directory, an unsupported method anywhere
  (Twisted's 405 "Method Not Allowed" and 501 "Huh?" pages) -> JSON 404 / 405;
* a crash outside Klein (Twisted's "Processing Failed" page) -> JSON 500, no traceback;
* a body over MAX_REQUEST_BYTES -> JSON 413 as soon as its length is known (or as soon as a
  chunked body passes the limit), before it is read; routes cap their own bodies lower
  (256 KiB for JSON, jsonapi.MAX_BODY_BYTES);
* a malformed request line, too many or too long headers -> JSON 400 / 431, then close;
* a plain GET of /ws (no WebSocket upgrade) -> JSON 426.

`harden(site, trusted_proxies)` installs all of it on a Site, whatever its request class is.
"""

from __future__ import annotations

import orjson
from autobahn.twisted.resource import WebSocketResource
from twisted.python import log
from twisted.web.http import HTTPChannel
from twisted.web.resource import Resource
from twisted.web.server import UnsupportedMethod

from .avatars import MAX_UPLOAD_BODY
from .jsonapi import MAX_BODY_BYTES, json_response

MAX_REQUEST_BYTES = max(MAX_BODY_BYTES, MAX_UPLOAD_BODY)
"""No request body may be larger (the avatar upload is the largest one a route takes)."""
MAX_HEADER_BYTES = 16 * 1024
"""Request line plus all headers (Twisted's default, kept explicit)."""
MAX_HEADERS = 100
SERVER_NAME = b"Clawtown"
"""The Server header (Twisted's version is not announced)."""


def error_bytes(message: str) -> bytes:
    return orjson.dumps({"ok": False, "error": message})


def raw_error(channel, status: int, reason: bytes, message: str) -> None:
    """Answer straight on the channel's transport (no Request to answer with yet) and close."""
    body = error_bytes(message)
    channel.transport.write(
        b"HTTP/1.1 %d %s\r\ncontent-type: application/json; charset=utf-8\r\ncache-control: no-store\r\n"
        b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (status, reason, len(body), body)
    )
    channel.loseConnection()


class JsonError(Resource):
    """Any method, any child: one JSON error."""

    isLeaf = True

    def __init__(self, status: int, message: str) -> None:
        super().__init__()
        self.status = status
        self.message = message

    def render(self, request):
        return json_response(request, {"ok": False, "error": self.message}, self.status)


NOT_FOUND = JsonError(404, "not found")


def method_not_allowed(request, allowed: tuple[bytes, ...]) -> bytes:
    request.setHeader(b"allow", b", ".join(allowed))
    return json_response(request, {"ok": False, "error": "method not allowed"}, 405)


class JsonStaticMixin:
    """For twisted.web.static.File: JSON 404 for missing files and directories (no listings,
    no redirect pages), JSON 405 for methods other than GET and HEAD."""

    childNotFound = NOT_FOUND
    forbidden = JsonError(403, "forbidden")

    def getChild(self, path, request):
        if isinstance(path, bytes):
            try:
                path.decode("utf-8")
            except UnicodeDecodeError:
                return NOT_FOUND  # (File would log a traceback for every such request)
        return super().getChild(path, request)

    def directoryListing(self):
        return NOT_FOUND

    def redirect(self, request):
        return NOT_FOUND.render(request)

    def render(self, request):
        if request.method not in (b"GET", b"HEAD"):
            return method_not_allowed(request, (b"GET", b"HEAD"))
        return super().render(request)


class WebSocketEntry(WebSocketResource):
    """/ws: a WebSocket upgrade goes to autobahn; anything else is a JSON error, not its HTML page."""

    def render(self, request):
        if request.method != b"GET":
            return method_not_allowed(request, (b"GET",))
        upgrade = (request.getHeader(b"upgrade") or "")
        if isinstance(upgrade, bytes):
            upgrade = upgrade.decode("latin-1")
        if "websocket" not in upgrade.lower():
            request.setHeader(b"upgrade", b"websocket")
            body = json_response(request, {"ok": False, "error": "websocket upgrade required"}, 426)
            request.setResponseCode(426, b"Upgrade Required")
            return body
        return super().render(request)


class _JsonMethods:
    """Wraps the resource a request renders: an unsupported method becomes JSON 405."""

    def __init__(self, inner) -> None:
        self.inner = inner

    def render(self, request):
        try:
            return self.inner.render(request)
        except UnsupportedMethod as err:
            if request.method == b"HEAD" and b"GET" in err.allowedMethods:
                raise  # Twisted answers HEAD with the headers of a GET
            return method_not_allowed(request, tuple(err.allowedMethods))

    def __repr__(self) -> str:
        return repr(self.inner)


class GuardedRequestMixin:
    """Mixed in front of the Site's request class (see `harden`).

    Every body this server reads is JSON or a PNG: HTML form posts are never parsed (Twisted
    would otherwise parse every POST's Content-Type header with the email package).
    """

    def __init__(self, *args, **kwargs) -> None:
        kwargs["parsePOSTFormSubmission"] = False
        super().__init__(*args, **kwargs)

    _body_refused = False
    _body_seen = 0

    def gotLength(self, length):
        if length is not None and length > MAX_REQUEST_BYTES:
            self.requestHeaders.removeHeader(b"expect")  # no "100 Continue" after the refusal
            self._refuse_body()
            length = 0
        super().gotLength(length)

    def handleContentChunk(self, data):
        if self._body_refused:
            return
        self._body_seen += len(data)
        if self._body_seen > MAX_REQUEST_BYTES:
            self._refuse_body()
            return
        super().handleContentChunk(data)

    def requestReceived(self, command, path, version):
        if self._body_refused:
            return  # already answered 413 and closing; the request is never processed
        super().requestReceived(command, path, version)

    def _refuse_body(self) -> None:
        if not self._body_refused:
            self._body_refused = True
            raw_error(self.channel, 413, b"Payload Too Large", "request body too large")

    def render(self, resrc):
        return super().render(_JsonMethods(resrc))

    def write(self, data):
        if not self.startedWriting:
            self.responseHeaders.setRawHeaders(b"server", [SERVER_NAME])
        return super().write(data)

    def processingFailed(self, reason):
        log.err(reason, "unhandled error serving a request")
        if self.finished or self._disconnected:
            return reason
        if not self.startedWriting:
            body = error_bytes("internal error")
            self.setResponseCode(500)
            self.responseHeaders.setRawHeaders(b"content-type", [b"application/json; charset=utf-8"])
            self.responseHeaders.setRawHeaders(b"content-length", [b"%d" % len(body)])
            self.write(body)
        self.finish()
        return reason


class GuardedChannel(HTTPChannel):
    """An HTTPChannel whose refusals of malformed requests are JSON."""

    totalHeadersSize = MAX_HEADER_BYTES
    maxHeaders = MAX_HEADERS

    def lineLengthExceeded(self, line):
        self._refuse(431, b"Request Header Fields Too Large", "request headers too large")

    def _respondToBadRequestAndDisconnect(self):
        too_many = getattr(self, "_receivedHeaderCount", 0) > self.maxHeaders
        too_long = getattr(self, "_receivedHeaderSize", 0) > self.totalHeadersSize
        if too_many or too_long:
            self._refuse(431, b"Request Header Fields Too Large", "request headers too large")
        else:
            self._refuse(400, b"Bad Request", "bad request")

    def _refuse(self, status: int, reason: bytes, message: str) -> None:
        if self.transport is not None and not getattr(self, "_refused", False):
            self._refused = True
            self.dataReceived = self.lineReceived = lambda *args: None  # ignore whatever follows
            raw_error(self, status, reason, message)


_guarded: dict[type, type] = {}


def guarded_request_class(base: type) -> type:
    if issubclass(base, GuardedRequestMixin):
        return base
    if base not in _guarded:
        _guarded[base] = type(f"Guarded{base.__name__}", (GuardedRequestMixin, base), {})
    return _guarded[base]


def harden(site, trusted_proxies=()):
    """Install the guards on `site` (and the proxies whose X-Forwarded-For is believed)."""
    site.requestFactory = guarded_request_class(site.requestFactory)
    site.protocol = GuardedChannel
    site.displayTracebacks = False
    site.trusted_proxies = tuple(trusted_proxies)
    return site
