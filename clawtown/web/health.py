"""Liveness and readiness: /health/live (the process answers) and /health/ready (ticking, store ok)."""

from __future__ import annotations

from klein import Klein

from .jsonapi import install_error_handlers, json_response

MAX_TICK_LAG_S = 0.5


class HealthApi:
    app = Klein()
    install_error_handlers(app)

    def __init__(self, status) -> None:
        self.status = status

    @app.route("/live", methods=["GET"])
    def live(self, request):
        return json_response(request, {"ok": True})

    @app.route("/ready", methods=["GET"])
    def ready(self, request):
        s = self.status()
        ok = s["started"] and s["tickLagS"] <= MAX_TICK_LAG_S and s["storeOk"]
        return json_response(request, {"ok": ok, **s}, 200 if ok else 503)
