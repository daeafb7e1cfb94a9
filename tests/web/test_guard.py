"""The Site's guards in memory: JSON for crashes outside Klein, unknown paths and methods, limits."""

from __future__ import annotations

import orjson
import pytest
from twisted.internet.address import IPv4Address
from twisted.internet.testing import StringTransport
from twisted.web.resource import Resource
from twisted.web.server import Site

from clawtown.web.guard import MAX_REQUEST_BYTES, JsonStaticMixin, harden
from clawtown.web.site import STATIC_DIR, NoCacheFile


class Boom(Resource):
    isLeaf = True

    def render_GET(self, request):
        raise RuntimeError("secret detail /srv/app/clawtown/web/x.py")


def site() -> Site:
    root = NoCacheFile(STATIC_DIR)
    root.indexNames = ["index.html"]
    root.putChild(b"boom", Boom())
    return harden(Site(root))


def exchange(raw: bytes) -> tuple[int, dict, bytes]:
    channel = site().buildProtocol(IPv4Address("TCP", "127.0.0.1", 50000))
    transport = StringTransport()
    channel.makeConnection(transport)
    channel.dataReceived(raw)
    head, _, body = transport.value().partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(b":") for line in lines[1:])}
    if headers.get(b"transfer-encoding") == b"chunked":
        size, _, rest = body.partition(b"\r\n")
        body = rest[: int(size, 16)]
    channel.connectionLost(None)
    return int(lines[0].split()[1]), headers, body


def get(path: str, method: str = "GET", extra: bytes = b"") -> tuple[int, dict, bytes]:
    return exchange(f"{method} {path} HTTP/1.1\r\nHost: x\r\n".encode() + extra + b"\r\n")


def test_a_crash_outside_klein_is_a_json_500_without_details(monkeypatch):
    logged = []
    monkeypatch.setattr("clawtown.web.guard.log.err", lambda *a, **kw: logged.append(a))
    status, headers, body = get("/boom")
    assert status == 500 and headers[b"content-type"].startswith(b"application/json")
    assert orjson.loads(body) == {"ok": False, "error": "internal error"}
    assert logged, "the failure must still be logged for the operator"


@pytest.mark.parametrize("path", ["/nope", "/js/", "/js", "/index.html/more", "/%ff"])
def test_missing_files_and_directories_are_json_404(path):
    status, _, body = get(path)
    assert status == 404 and orjson.loads(body) == {"ok": False, "error": "not found"}


def test_files_are_still_served_with_no_store():
    status, headers, body = get("/", "HEAD")  # (a GET streams the file through a producer: see the e2e tests)
    assert status == 200 and headers[b"content-type"] == b"text/html" and body == b""
    assert headers[b"cache-control"] == b"no-store" and headers[b"server"] == b"Clawtown"


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "TRACE", "WHATEVER"])
def test_other_methods_on_files_are_json_405_with_allow(method):
    status, headers, body = get("/index.html", method)
    assert status == 405 and headers[b"allow"] == b"GET, HEAD"
    assert orjson.loads(body)["error"] == "method not allowed"


def test_a_declared_body_over_the_limit_is_refused_at_once():
    status, headers, body = get("/index.html", "POST", b"Content-Length: %d\r\n" % (MAX_REQUEST_BYTES + 1))
    assert status == 413 and orjson.loads(body)["error"] == "request body too large"
    assert headers[b"connection"] == b"close"


def test_header_overflow_and_garbage_are_json():
    status, _, body = get("/", extra=b"X-Big: " + b"a" * 20_000 + b"\r\n")
    assert status == 431 and orjson.loads(body)["error"] == "request headers too large"
    status, _, body = exchange(b"NOT A REQUEST\r\n\r\n")
    assert status == 400 and orjson.loads(body)["error"] == "bad request"


def test_the_static_mixin_comes_first():
    assert NoCacheFile.__mro__.index(JsonStaticMixin) < [c.__name__ for c in NoCacheFile.__mro__].index("File")


class Echo(Resource):
    """Answers with what the request's args and body were when it reached the resource."""

    isLeaf = True

    def render_POST(self, request):
        return orjson.dumps({"args": {k.decode(): [v.decode() for v in vs] for k, vs in request.args.items()},
                             "body": request.content.read().decode("latin-1")})


@pytest.mark.parametrize("ctype, body", [
    (b"application/x-www-form-urlencoded", b"a=1&b=2"),
    (b"multipart/form-data; boundary=zz", b"--zz\r\nbroken"),  # Twisted's form parser would drop the connection
])
def test_form_posts_are_not_parsed_the_body_reaches_the_route_as_sent(ctype, body):
    root = Resource()
    root.putChild(b"echo", Echo())
    channel = harden(Site(root)).buildProtocol(IPv4Address("TCP", "127.0.0.1", 50000))
    transport = StringTransport()
    channel.makeConnection(transport)
    channel.dataReceived(b"POST /echo?q=1 HTTP/1.1\r\nHost: x\r\nContent-Type: " + ctype
                         + b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    answer = transport.value().partition(b"\r\n\r\n")[2]
    channel.connectionLost(None)
    assert orjson.loads(answer) == {"args": {"q": ["1"]}, "body": body.decode("latin-1")}
