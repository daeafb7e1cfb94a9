"""Documents the server serves about itself: /skill.md for agents (with the real base URL)."""

from __future__ import annotations

import os

from twisted.web.resource import Resource

TEMPLATES = os.path.join(os.path.dirname(__file__), "templates")


def load_template(name: str) -> str:
    with open(os.path.join(TEMPLATES, name), encoding="utf-8") as f:
        return f.read()


class SkillDoc(Resource):
    """GET /skill.md: how a bot joins and plays on THIS server."""

    isLeaf = True

    def __init__(self, base_url) -> None:
        super().__init__()
        self.base_url = base_url
        self.template = load_template("skill.md")

    def render_GET(self, request):
        request.setHeader(b"content-type", b"text/markdown; charset=utf-8")
        request.setHeader(b"cache-control", b"no-store")
        return self.template.format(base_url=self.base_url(request)).encode("utf-8")
