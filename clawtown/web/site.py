"""One Site on one port: the browser client at /, the WebSocket at /ws, REST under /api/,
liveness and readiness under /health/."""

from __future__ import annotations

import os

from autobahn.twisted.resource import WebSocketResource
from twisted.web.resource import Resource
from twisted.web.server import Site
from twisted.web.static import File

STATIC_DIR = os.path.join(os.path.dirname(__file__), "static")


class NoCacheFile(File):
    """Static files; HTML, JS and CSS are served with no-store so a deploy is seen at once."""

    def render_GET(self, request):
        if self.path.endswith((".html", ".js", ".css")):
            request.setHeader(b"cache-control", b"no-store")
        return super().render_GET(request)


def build_root(api, health, ws_factory, skill=None) -> Resource:
    root = NoCacheFile(STATIC_DIR)
    root.indexNames = ["index.html"]
    if skill is not None:
        root.putChild(b"skill.md", skill)
    root.putChild(b"api", api.app.resource())
    root.putChild(b"health", health.app.resource())
    root.putChild(b"ws", WebSocketResource(ws_factory))
    return root


def build_site(root: Resource) -> Site:
    site = Site(root)
    site.displayTracebacks = False
    return site
