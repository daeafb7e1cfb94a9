"""One Site on one port: the browser client at /, the WebSocket at /ws, REST under /api/,
liveness and readiness under /health/, Prometheus metrics at /metrics."""

from __future__ import annotations

import os

from twisted.web.resource import Resource
from twisted.web.server import Site
from twisted.web.static import File

from .guard import JsonStaticMixin, WebSocketEntry, harden
from .metrics import HttpMetrics, MetricsPage
from .requestlog import TracedSite

STATIC_DIR = os.path.join(os.path.dirname(__file__), "static")


class NoCacheFile(JsonStaticMixin, File):
    """Static files; HTML, JS and CSS are served with no-store so a deploy is seen at once.
    Anything else under / (a missing file, a directory, a POST) is a JSON error (guard.py)."""

    def render_GET(self, request):
        if self.path.endswith((".html", ".js", ".css")):
            request.setHeader(b"cache-control", b"no-store")
        return super().render_GET(request)

    render_HEAD = render_GET  # (File's own alias would skip the header above)


def build_root(api, health, ws_factory, skill=None, metrics=None) -> Resource:
    """With a `metrics` registry: /metrics serves it, and /api and /health requests are counted and timed."""
    root = NoCacheFile(STATIC_DIR)
    root.indexNames = ["index.html"]
    if skill is not None:
        root.putChild(b"skill.md", skill)
    root.putChild(b"api", api.app.resource())
    root.putChild(b"health", health.app.resource())
    if metrics is not None:
        http = HttpMetrics(metrics)
        for name in (b"api", b"health"):
            root.putChild(name, http.wrap(root.children[name]))
        root.putChild(b"metrics", MetricsPage(metrics))
    root.putChild(b"ws", WebSocketEntry(ws_factory))
    return root


def build_site(root: Resource, trusted_proxies=()) -> Site:
    site = TracedSite(root)  # request ids, and one structured access log line per request
    site.displayTracebacks = False
    return harden(site, trusted_proxies)  # JSON-only errors, body/header limits (guard.py)
