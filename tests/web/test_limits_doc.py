"""docs/limits.md is generated from the constants the server enforces, and covers every route and type."""

from __future__ import annotations

from pathlib import Path

from clawtown.engine.ids import Mint
from clawtown.web import limitsdoc
from clawtown.web.bot_api import RULES
from clawtown.web.limits import WS_RULES, ws_rule
from clawtown.web.openapi import OPENAPI
from clawtown.wire.inbound import CommandBuilder

DOC = Path(__file__).resolve().parents[2] / "docs" / "limits.md"


def test_docs_limits_md_is_up_to_date():
    assert DOC.read_text(encoding="utf-8") == limitsdoc.render(), (
        "docs/limits.md is stale: run `python -m clawtown.web.limitsdoc > docs/limits.md`")


def test_every_route_of_the_openapi_document_has_a_row():
    documented = {r for routes in limitsdoc.BOT_ROUTES.values() for r in routes}
    documented |= {r for routes, *_ in limitsdoc.KEYED for r in routes}
    documented |= set(limitsdoc.UNLIMITED) | set(limitsdoc.TEST_MODE)
    served = {f"{method.upper()} {path}" for path, item in OPENAPI["paths"].items() for method in item
              if method in ("get", "post", "put", "patch", "delete")}
    assert served == documented


def test_every_bot_rule_is_listed_once():
    assert set(limitsdoc.BOT_ROUTES) == set(RULES)


def test_every_message_type_and_class_is_listed():
    text = limitsdoc.render()
    for t in (*CommandBuilder(Mint()).types, "ping"):
        assert f"`{t}`" in text, t
    assert {ws_rule(t)[0] for t in (*CommandBuilder(Mint()).types, "ping")} == set(WS_RULES)


def test_every_fan_out_type_has_a_per_player_limit():
    text = limitsdoc.render()
    for t in limitsdoc.FANOUT:
        assert f"- `{t}`: " in text and "per player" in text
