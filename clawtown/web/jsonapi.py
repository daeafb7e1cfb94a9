"""JSON plumbing for Klein routes: parse bodies safely, answer with JSON, map errors to JSON."""

from __future__ import annotations

import orjson
from twisted.python import log
from werkzeug.exceptions import HTTPException

from .proxies import forwarded_client

MAX_BODY_BYTES = 256 * 1024


class ApiError(Exception):
    """An error answered as `{"ok": false, "error": message, ...extra}` with an HTTP status."""

    def __init__(self, status: int, message: str, **extra) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra


def json_response(request, body: dict, status: int = 200) -> bytes:
    request.setResponseCode(status)
    request.setHeader(b"content-type", b"application/json; charset=utf-8")
    request.setHeader(b"cache-control", b"no-store")
    return orjson.dumps(body)


def read_json(request, required: bool = True) -> dict:
    """The request body as a JSON object; empty body = {} unless required."""
    raw = request.content.read(MAX_BODY_BYTES + 1) if request.content is not None else b""
    if len(raw) > MAX_BODY_BYTES:
        raise ApiError(413, "request body too large")
    if not raw.strip():
        if required:
            raise ApiError(400, "missing JSON body")
        return {}
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ApiError(400, "invalid JSON body") from None
    if not isinstance(body, dict):
        raise ApiError(400, "JSON body must be an object")
    return body


def client_address(request) -> str:
    """The caller's address: the TCP peer, or X-Forwarded-For when the peer is a trusted proxy."""
    host = getattr(request.getClientAddress(), "host", "unknown")
    networks = getattr(getattr(request, "site", None), "trusted_proxies", ())
    if networks:
        values = request.requestHeaders.getRawHeaders(b"x-forwarded-for")
        host = forwarded_client(host, [v.decode("latin-1") for v in values] if values else None, networks)
    return host


def install_error_handlers(app) -> None:
    """Every failure of a class-bound `app` becomes JSON: ApiError as given, HTTP errors by code, the rest 500."""

    @app.handle_errors(ApiError)
    def _api_error(_owner, request, failure):
        err = failure.value
        return json_response(request, {"ok": False, "error": err.message, **err.extra}, err.status)

    @app.handle_errors(HTTPException)
    def _http_error(_owner, request, failure):
        err = failure.value
        message = {404: "not found", 405: "method not allowed"}.get(err.code, err.name.lower())
        allowed = getattr(err, "valid_methods", None)
        if err.code == 405 and allowed:  # RFC 9110: a 405 names the methods that are allowed
            request.setHeader(b"allow", ", ".join(sorted(allowed)).encode("ascii"))
        return json_response(request, {"ok": False, "error": message}, err.code or 500)

    @app.handle_errors(Exception)
    def _crash(_owner, request, failure):
        log.err(failure, "unhandled error in API route")
        return json_response(request, {"ok": False, "error": "internal error"}, 500)
