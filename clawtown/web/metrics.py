"""GET /metrics (Prometheus text format 0.0.4) and the per-route REST timing behind it.

The page is rendered on the reactor thread from the registry (clawtown.engine.metrics): no
thread pool, no locks. It holds counts, timings and map instance keys only: no player names,
ids, tokens or addresses.

REST requests are counted and timed by `HttpMetrics.wrap`, around the Klein resources. The
`route` label is the template of the Klein rule that answered (`/api/bot/world`,
`/api/avatars/<string:name>`), never the raw path, so the number of series stays bounded;
requests no rule matched are `other`.
"""

from __future__ import annotations

import time

from klein.interfaces import IKleinRequest
from twisted.web.resource import Resource, getChildForRequest

from ..engine.metrics import CONTENT_TYPE, SLOW_TIME_BUCKETS, Metrics
from .jsonapi import json_response

OTHER = "other"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
CLIENT_GONE = "499"
"""The status label of a request whose client went away before the answer (as nginx logs it)."""
_BRANCH = "<path:__rest__>"


def route_template(request) -> str:
    """The template of the innermost Klein rule that matched `request`, else "other".

    Each KleinResource leaves its bound URL mapper on the request; matching it again (a few
    microseconds) gives the rule. A branch rule (`/bot/<path:__rest__>`) as the innermost
    match means no inner route answered.
    """
    mapper = getattr(IKleinRequest(request, None), "mapper", None)
    if mapper is None:
        return OTHER
    try:
        rule, _ = mapper.match(return_rule=True)
    except Exception:  # noqa: BLE001 - not found, wrong method, redirect: all "other"
        return OTHER
    if _BRANCH in rule.rule:
        return OTHER
    return mapper.script_name.rstrip("/") + rule.rule


class HttpMetrics:
    """clawtown_http_requests_total{route,method,status} and clawtown_http_request_duration_seconds{route}."""

    def __init__(self, registry: Metrics, timer=time.perf_counter) -> None:
        self.timer = timer
        self.requests = registry.counter(
            "clawtown_http_requests_total", "REST requests answered, by route template, method and status.",
            labels=("route", "method", "status"))
        self.duration = registry.histogram(
            "clawtown_http_request_duration_seconds", "Time from a REST request's arrival to its answer, by route.",
            buckets=SLOW_TIME_BUCKETS, labels=("route",))

    def wrap(self, resource: Resource) -> Resource:
        return TimedResource(resource, self)

    def finished(self, result, request, started: float) -> None:
        took = self.timer() - started
        route = route_template(request)
        method = request.method.decode("ascii", "replace").upper()
        if method not in METHODS:
            method = OTHER
        status = CLIENT_GONE if result is not None else str(request.code)
        self.requests.labels(route, method, status).value += 1
        self.duration.labels(route).observe(took)


class TimedResource(Resource):
    """Counts and times every request answered by `inner` (and whatever it delegates to)."""

    isLeaf = True

    def __init__(self, inner: Resource, http: HttpMetrics) -> None:
        super().__init__()
        self.inner = inner
        self.http = http

    def render(self, request):
        request.notifyFinish().addBoth(self.http.finished, request, self.http.timer())
        return getChildForRequest(self.inner, request).render(request)


class MetricsPage(Resource):
    """GET /metrics: the registry in the Prometheus text exposition format."""

    isLeaf = True

    def __init__(self, registry: Metrics) -> None:
        super().__init__()
        self.registry = registry

    def render(self, request):
        if request.method not in (b"GET", b"HEAD"):
            request.setHeader(b"allow", b"GET, HEAD")
            return json_response(request, {"ok": False, "error": "method not allowed"}, 405)
        body = self.registry.render()
        request.setHeader(b"content-type", CONTENT_TYPE)
        request.setHeader(b"cache-control", b"no-store")
        return body


def register_web_metrics(registry: Metrics, limiter, ws_factory, bots=None) -> None:
    """Rate-limit refusals by scope, refused WebSocket frames and shed bot calls (counters the transports keep)."""

    def rate_limited():
        ws = ws_factory.rate_limited
        # every refusal of the shared limiter that is not a WebSocket frame is a REST call
        return [(("ws",), ws), (("rest",), max(0, limiter.denied - ws))]

    registry.callback("counter", "clawtown_rate_limited_total", "Requests and frames refused by a rate limit.",
                      rate_limited, labels=("scope",))
    registry.callback("counter", "clawtown_ws_frames_refused_total",
                      "WebSocket frames refused (rate limited or invalid).", lambda: ws_factory.refused)
    if bots is not None:
        registry.callback("counter", "clawtown_bot_calls_shed_total",
                          "Bot API calls refused with 503 while the game fell behind its tick rate.", lambda: bots.shed)
