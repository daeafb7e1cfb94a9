"""The OpenAPI document: valid 3.0.3, served at /api/openapi.json, and in step with the routes."""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import pytest
from openapi_spec_validator import validate

from clawtown.web.admin_api import AdminApi
from clawtown.web.api import TownApi
from clawtown.web.bot_api import BotApi
from clawtown.web.health import HealthApi
from clawtown.web.openapi import OPENAPI

METHODS = {"get", "post", "put", "patch", "delete"}
MOUNTS = [(TownApi.app, "/api"), (BotApi.app, "/api/bot"), (AdminApi.app, "/api/admin"), (HealthApi.app, "/health")]
"""Where each Klein app is mounted (clawtown/web/site.py; BotApi through TownApi's /bot/ branch)."""
PATHS = OPENAPI["paths"]


def registered_routes():
    """(full rule, methods) of every route the Klein apps register, except TownApi's /bot/ branch."""
    for app, prefix in MOUNTS:
        for rule in app.url_map.iter_rules():
            if app is TownApi.app and rule.rule.startswith(("/bot/", "/admin/")):
                continue  # the branches into BotApi and AdminApi, whose own rules are listed under their mounts
            yield prefix + rule.rule, {m.lower() for m in rule.methods or ()} - {"head", "options"}


def rule_regex(rule: str) -> re.Pattern:
    """A werkzeug rule as a regex over OpenAPI paths (a converter matches one segment or a {template})."""
    parts = re.split(r"<[^>]+>", rule)
    return re.compile("^" + "[^/]+".join(re.escape(p) for p in parts) + "$")


def documented_for(rule: str) -> list[str]:
    pattern = rule_regex(rule)
    return [path for path in PATHS if pattern.match(path)]


def operations():
    for path, item in PATHS.items():
        for method, op in item.items():
            if method in METHODS:
                yield path, method, op


def resolve(node: dict) -> dict:
    while "$ref" in node:
        _, section, kind, name = node["$ref"].split("/")
        node = OPENAPI[section][kind][name]
    return node


# ---- validity --------------------------------------------------------------------------
def test_the_document_is_valid_openapi_3_0_3():
    assert OPENAPI["openapi"] == "3.0.3"
    validate(OPENAPI)


def test_the_document_is_plain_json():
    assert orjson.loads(orjson.dumps(OPENAPI)) == OPENAPI


# ---- no drift ----------------------------------------------------------------------------
@pytest.mark.parametrize("rule, methods", sorted(registered_routes(), key=lambda r: r[0]), ids=lambda v: str(v))
def test_every_registered_route_is_documented(rule, methods):
    paths = documented_for(rule)
    assert paths, f"{rule} is not in the OpenAPI document"
    for path in paths:
        assert methods <= set(PATHS[path]), f"{path}: documented {sorted(PATHS[path])}, served {sorted(methods)}"


def test_every_documented_path_is_served():
    rules = [rule_regex(rule) for rule, _ in registered_routes()]
    outside_klein = {"/skill.md"}
    for path in PATHS:
        if path in outside_klein:
            continue
        assert any(r.match(path) for r in rules), f"{path} is documented but no route serves it"


def test_the_mounted_apps_are_the_ones_this_test_walks():
    """If a Klein app is added to the site, this test (and MOUNTS) must learn about it."""
    from clawtown.web import site
    source = Path(site.__file__).read_text(encoding="utf-8")
    assert 'putChild(b"api", api.app.resource())' in source
    assert 'putChild(b"health", health.app.resource())' in source
    assert "bots.app.resource()" in Path(TownApi.bot.__code__.co_filename).read_text(encoding="utf-8")


# ---- content -----------------------------------------------------------------------------
def test_every_bot_route_is_documented():
    bot_paths = {p for p in PATHS if p.startswith("/api/bot/")}
    expected = {"/api/bot/" + r for r in (
        "link", "spawn", "me", "status", "world", "events", "map.png", "minimap.png", "mode", "goal", "cast",
        "intent", "chat", "thought", "interrupt", "hat-result", "party/create", "party/code", "party/join",
        "party/leave")}
    assert bot_paths == expected


def is_error_schema(schema: dict) -> bool:
    if schema.get("$ref") == "#/components/schemas/Error":
        return True
    if "$ref" in schema:
        return is_error_schema(resolve(schema))
    return any(is_error_schema(part) for part in schema.get("allOf", ()))


def test_errors_share_one_schema_and_429_carries_retry_in_ms():
    error = OPENAPI["components"]["schemas"]["Error"]
    assert error["required"] == ["ok", "error"]
    checked = 0
    for path, method, op in operations():
        for status, response in op["responses"].items():
            if not status.startswith(("4", "5")) or path == "/health/ready":
                continue
            schema = resolve(response)["content"]["application/json"]["schema"]
            assert is_error_schema(schema), (path, status)
            checked += 1
            if status == "429":
                assert "retryInMs" in resolve(schema)["allOf"][1]["required"], path
    assert checked > 100


def test_the_debug_actions_are_the_documented_ones():
    import inspect

    from clawtown.web.debug import DebugActions
    source = inspect.getsource(DebugActions.run)
    served = set(re.findall(r'"([a-z][a-z-]+)": self\._', source)) | set(re.findall(r'action == "([a-z-]+)"', source))
    documented = {p.rsplit("/", 1)[1] for p in PATHS if p.startswith("/api/debug/")}
    assert served == documented


def test_statuses_of_the_bot_routes():
    def statuses(path, method):
        return set(PATHS[path][method]["responses"])

    for path, method, op in operations():
        if not path.startswith("/api/bot/") or path in ("/api/bot/link", "/api/bot/spawn"):
            continue
        assert {"200", "401", "429"} <= statuses(path, method), path
        assert op["security"] == [{"botToken": []}], path
        if method == "post":
            assert {"400", "413", "503"} <= statuses(path, method), path
            props = op["requestBody"]["content"]["application/json"]["schema"]["properties"]
            assert props["requestId"]["maxLength"] == 128, path
    assert {"200", "400", "404", "410", "413", "429", "503"} <= statuses("/api/bot/link", "post")
    assert {"200", "400", "413", "429", "503"} <= statuses("/api/bot/spawn", "post")
    assert {"200", "401", "429"} <= statuses("/api/join-codes", "post")
    assert PATHS["/api/join-codes"]["post"]["security"] == [{"sessionToken": []}]
    assert set(OPENAPI["components"]["securitySchemes"]) == {"botToken", "sessionToken", "adminToken"}


def test_error_strings_are_the_original_ones():
    def messages(path, status, method="post"):
        schema = resolve(PATHS[path][method]["responses"][status])["content"]["application/json"]["schema"]
        return set(schema["allOf"][1]["properties"]["error"]["enum"])

    assert "invalid mode" in messages("/api/bot/mode", "400")
    assert "invalid coords" in messages("/api/bot/goal", "400")
    assert "invalid level" in messages("/api/bot/interrupt", "400")
    assert "invalid job" in messages("/api/bot/hat-result", "400")
    assert "missing text" in messages("/api/bot/thought", "400")
    assert "name required" in messages("/api/bot/spawn", "400")
    assert messages("/api/bot/link", "404") >= {"invalid joinCode"}
    assert messages("/api/bot/link", "410") == {"joinCode expired"}
    assert messages("/api/bot/party/join", "400") >= {"invalid code", "expired code"}
    assert messages("/api/bot/party/code", "403") == {"not leader"}


def test_request_bodies_carry_types_and_constraints():
    def body(path):
        return PATHS[path]["post"]["requestBody"]["content"]["application/json"]["schema"]

    assert body("/api/bot/mode")["properties"]["mode"]["enum"] == ["manual", "agent"]
    assert body("/api/bot/mode")["required"] == ["mode"]
    assert body("/api/bot/interrupt")["properties"]["level"]["enum"] == ["off", "mentions", "nearby", "all"]
    assert body("/api/bot/goal")["required"] == ["x", "y"]
    assert body("/api/bot/goal")["properties"]["x"]["type"] == "number"
    assert body("/api/bot/thought")["required"] == ["text"]
    assert body("/api/bot/chat")["properties"]["text"]["maxLength"] == 4000
    assert set(body("/api/bot/spawn")["properties"]["job"]["enum"]) == {"novice", "mage", "archer", "knight", "assassin", "bard"}
    assert body("/api/bot/spawn")["required"] == ["name"]
    assert body("/api/players")["properties"]["name"]["maxLength"] == 200
    assert {"joinCode", "code"} <= set(body("/api/bot/party/join")["properties"])
    assert {"joinCode", "joinToken"} <= set(body("/api/bot/link")["properties"])


def test_images_are_png_and_debug_routes_are_marked_test_mode_only():
    for path in ("/api/bot/map.png", "/api/bot/minimap.png"):
        assert "image/png" in PATHS[path]["get"]["responses"]["200"]["content"]
    debug = [p for p in PATHS if p.startswith("/api/debug/")]
    assert set(debug) >= {"/api/debug/persist-flush", "/api/debug/teleport", "/api/debug/spawn-monster",
                          "/api/debug/grant-item", "/api/debug/reset", "/api/debug/restart-sim"}
    for path in debug:
        assert PATHS[path]["post"]["x-test-mode-only"] is True


def test_openapi_json_is_served(town):
    reply = town.get("/api/openapi.json")
    assert reply.code == 200
    assert reply.header(b"content-type") == "application/json; charset=utf-8"
    assert reply.json == orjson.loads(orjson.dumps(OPENAPI))
