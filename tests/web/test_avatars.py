"""Browser-client server additions: avatar upload and serving, /api/me/bot, /api/hat/questions.

Everything runs through StubTreq on the test Clock; the avatar files' worker-thread calls run
synchronously here (AvatarFiles takes the thread runner as a parameter).
"""

from __future__ import annotations

import base64
import io
import json
import os

import orjson
import pytest
from PIL import Image
from treq.testing import StubTreq
from twisted.internet.defer import maybeDeferred
from twisted.python.failure import Failure
from twisted.web.resource import Resource

from clawtown.engine.avatars import AvatarFiles
from clawtown.engine.bots import BotAccess
from clawtown.render.avatar import AVATAR_PX, MAX_AVATAR_BYTES, AvatarError, normalize_avatar
from clawtown.sim import commands as c
from clawtown.sim.hat import HAT_QUESTIONS
from clawtown.sim.world import World
from clawtown.web.api import BOT_IDLE_MS, BOT_OFFLINE_MS, TownApi, bot_presence
from clawtown.web.limits import REST_RULES


def png_bytes(w: int = 300, h: int = 200, color=(220, 60, 90, 255)) -> bytes:
    img = Image.new("RGBA", (w, h), color)
    img.putpixel((w // 2, h // 2), (0, 0, 255, 255))
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def jpeg_bytes(w: int = 120, h: int = 240) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (w, h), (30, 160, 90)).save(out, format="JPEG")
    return out.getvalue()


def run_now(fn, *args):
    return maybeDeferred(fn, *args)


class Api:
    """TownApi with session auth and avatar files, driven on the town's Clock."""

    def __init__(self, town, data_dir: str) -> None:
        self.town = town
        self.data_dir = data_dir
        access = BotAccess(town.game, town.runner, town.mint)
        self.files = AvatarFiles(data_dir, run_in_thread=run_now)
        self.api = TownApi(town.game, town.mint, town.limiter, town.clock, access=access, avatars=self.files)
        root = Resource()
        root.putChild(b"api", self.api.app.resource())
        self.stub = StubTreq(root)

    def request(self, method: str, path: str, token: str | None = None, data: bytes | None = None,
                content_type: bytes = b"application/json"):
        headers = {b"content-type": [content_type]}
        if token:
            headers[b"authorization"] = [b"Bearer " + token.encode()]
        d = self.stub.request(method, "http://127.0.0.1:8080" + path, data=data, headers=headers)
        got: list = []
        d.addBoth(got.append)
        for _ in range(20):
            self.stub.flush()
            if got:
                break
            self.town.advance(1)
        assert got, f"no answer to {method} {path}"
        if isinstance(got[0], Failure):
            got[0].raiseException()
        response = got[0]
        body: list = []
        self.stub.content(response).addBoth(body.append)
        self.stub.flush()
        return response.code, body[0], response.headers

    def json(self, *args, **kw):
        code, raw, headers = self.request(*args, **kw)
        return code, orjson.loads(raw), headers

    def create(self, name: str = "Ann") -> dict:
        code, body, _ = self.json("POST", "/api/players", data=orjson.dumps({"name": name}))
        assert code == 200, body
        return body


@pytest.fixture
def api(town, tmp_path):
    town.start()
    yield Api(town, str(tmp_path / "data"))
    town.stop()


# ---- the Pillow step -------------------------------------------------------------------
def test_a_png_is_cropped_to_a_centred_square_and_resized():
    out = Image.open(io.BytesIO(normalize_avatar(png_bytes(300, 200))))
    assert out.format == "PNG" and out.size == (AVATAR_PX, AVATAR_PX) and out.mode == "RGBA"
    assert out.getpixel((5, 5))[:3] == (220, 60, 90)


def test_a_jpeg_is_accepted_and_served_as_png():
    out = Image.open(io.BytesIO(normalize_avatar(jpeg_bytes())))
    assert out.format == "PNG" and out.size == (AVATAR_PX, AVATAR_PX)


@pytest.mark.parametrize("data, message", [
    (b"", "empty image"),
    (b"GIF89a" + b"\0" * 40, "not a PNG or JPEG image"),
    (b"\x89PNG\r\n\x1a\n" + b"garbage" * 20, "unreadable image"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * (MAX_AVATAR_BYTES + 1), "avatar too large"),
])
def test_bad_uploads_are_refused_with_a_reason(data, message):
    with pytest.raises(AvatarError, match=message):
        normalize_avatar(data)


def test_a_huge_canvas_is_refused_before_decoding():
    out = io.BytesIO()
    Image.new("1", (8000, 8000)).save(out, format="PNG")  # tiny file, 64 megapixels
    with pytest.raises(AvatarError, match="dimensions"):
        normalize_avatar(out.getvalue())


# ---- the sim command ---------------------------------------------------------------------
def test_set_avatar_version_bumps_or_sets_it():
    world = World(seed=1)
    world.step(0, [c.CreatePlayer(player_id="p_a", name="Ann")])
    events = world.step(50, [c.SetAvatarVersion(player_id="p_a", ref=1), c.SetAvatarVersion(player_id="p_a", ref=2)])
    assert [e.payload["avatarVersion"] for e in events if getattr(e, "ref", None) in (1, 2)] == [1, 2]
    world.step(100, [c.SetAvatarVersion(player_id="p_a", version=0)])
    assert world.players["p_a"].avatar_version == 0
    assert "p_a" in world.progress_dirty


# ---- POST /api/me/avatar and GET /api/avatars/<id>.png ------------------------------------
def test_upload_raw_png_stores_a_128px_png_and_bumps_the_version(api):
    me = api.create()
    code, body, _ = api.json("POST", "/api/me/avatar", token=me["sessionToken"], data=png_bytes(),
                             content_type=b"image/png")
    assert code == 200, body
    assert body == {"ok": True, "avatarVersion": 1, "url": f"/api/avatars/{me['playerId']}.png?v=1"}
    path = os.path.join(api.data_dir, "avatars", f"{me['playerId']}.png")
    assert Image.open(path).size == (AVATAR_PX, AVATAR_PX)
    assert api.town.world.players[me["playerId"]].avatar_version == 1
    assert api.town.store.get_player(me["playerId"])["avatarVersion"] == 1


def test_data_urls_as_text_or_json_are_accepted(api):
    me = api.create()
    url = "data:image/jpeg;base64," + base64.b64encode(jpeg_bytes()).decode()
    code, body, _ = api.json("POST", "/api/me/avatar", token=me["sessionToken"], data=url.encode(),
                             content_type=b"text/plain")
    assert code == 200 and body["avatarVersion"] == 1
    url = "data:image/png;base64," + base64.b64encode(png_bytes()).decode()
    code, body, _ = api.json("POST", "/api/me/avatar", token=me["sessionToken"],
                             data=json.dumps({"pngDataUrl": url}).encode())
    assert code == 200 and body["avatarVersion"] == 2


def test_the_avatar_is_served_as_png_with_cache_headers(api):
    me = api.create()
    api.json("POST", "/api/me/avatar", token=me["sessionToken"], data=png_bytes(), content_type=b"image/png")
    code, raw, headers = api.request("GET", f"/api/avatars/{me['playerId']}.png?v=1")
    assert code == 200 and raw.startswith(b"\x89PNG\r\n\x1a\n")
    assert headers.getRawHeaders(b"content-type") == [b"image/png"]
    assert b"immutable" in headers.getRawHeaders(b"cache-control")[0]
    code, raw, headers = api.request("GET", f"/api/avatars/{me['playerId']}.png")
    assert code == 200 and headers.getRawHeaders(b"cache-control") == [b"no-cache"]


def test_a_missing_or_malformed_avatar_is_a_json_404(api):
    for path in ("/api/avatars/p_nobody.png", "/api/avatars/p_x.gif", "/api/avatars/..%2Fsecret.png"):
        code, body, _ = api.json("GET", path)
        assert code == 404 and body["ok"] is False and body["error"] in ("no avatar", "not found"), path


def test_reset_removes_the_picture(api):
    me = api.create()
    api.json("POST", "/api/me/avatar", token=me["sessionToken"], data=png_bytes(), content_type=b"image/png")
    code, body, _ = api.json("POST", "/api/me/avatar", token=me["sessionToken"], data=b'{"reset": true}')
    assert code == 200 and body == {"ok": True, "avatarVersion": 0, "url": None}
    assert api.json("GET", f"/api/avatars/{me['playerId']}.png")[0] == 404


@pytest.mark.parametrize("token, data, ctype, status, error", [
    (None, b"x", b"image/png", 401, "unauthorized"),
    ("cts_wrong", b"x", b"image/png", 401, "unauthorized"),
    ("ME", b"", b"image/png", 400, "missing image"),
    ("ME", b"GIF89a-not-allowed", b"image/gif", 400, "not a PNG or JPEG image"),
    ("ME", b"data:image/png;base64,@@@", b"text/plain", 400, "invalid base64"),
    ("ME", b"data:text/html;base64,AAAA", b"text/plain", 400, "expected a PNG or JPEG data URL"),
    ("ME", b'{"dataUrl": 5}', b"application/json", 400, "missing image"),
    ("ME", b"\x89PNG\r\n\x1a\n" + b"\0" * (MAX_AVATAR_BYTES + 10), b"image/png", 413, "avatar too large"),
    ("ME", b"\x89PNG\r\n\x1a\n" + b"\0" * (MAX_AVATAR_BYTES * 2), b"image/png", 413, "avatar too large"),
])
def test_bad_uploads_get_clear_json_errors(api, token, data, ctype, status, error):
    me = api.create()
    code, body, _ = api.json("POST", "/api/me/avatar", token=me["sessionToken"] if token == "ME" else token,
                             data=data, content_type=ctype)
    assert (code, body["ok"], body["error"]) == (status, False, error)
    assert api.town.world.players[me["playerId"]].avatar_version == 0


def test_uploads_are_rate_limited_per_player(api):
    me = api.create()
    burst = REST_RULES["avatar_upload"].burst
    for _ in range(burst):
        assert api.json("POST", "/api/me/avatar", token=me["sessionToken"], data=png_bytes(8, 8),
                        content_type=b"image/png")[0] == 200
    code, body, _ = api.json("POST", "/api/me/avatar", token=me["sessionToken"], data=png_bytes(8, 8),
                             content_type=b"image/png")
    assert code == 429 and body["error"] == "rate limited" and body["retryInMs"] >= 50


# ---- GET /api/hat/questions ------------------------------------------------------------------
def test_hat_questions_are_served_in_both_languages(api):
    code, body, _ = api.json("GET", "/api/hat/questions")
    assert code == 200 and body["ok"] is True
    assert body["questions"] == orjson.loads(orjson.dumps(HAT_QUESTIONS))
    assert [q["id"] for q in body["questions"]] == ["goal", "conflict", "magic", "free"]
    assert all({"en", "zh"} <= set(q["prompt"]) for q in body["questions"])


# ---- GET /api/me/bot ---------------------------------------------------------------------------
def test_me_bot_needs_a_session_token(api):
    assert api.json("GET", "/api/me/bot")[0] == 401
    assert api.json("GET", "/api/me/bot", token="cts_nope")[0] == 401


def test_me_bot_reports_presence_and_the_latest_thought(api):
    me = api.create()
    pid, token = me["playerId"], me["sessionToken"]
    code, body, _ = api.json("GET", "/api/me/bot", token=token)
    assert code == 200 and body == {"ok": True, "linked": False, "lastSeenAt": None, "lastActionAt": None,
                                    "thought": "", "thoughtAt": None, "status": "offline"}
    game = api.town.game
    game.submit(c.BotSeen(player_id=pid, link=True, action=True))
    game.submit(c.Thought(player_id=pid, text="hunting porings"))
    api.town.advance(2)
    body = api.json("GET", "/api/me/bot", token=token)[1]
    assert body["linked"] is True and body["status"] == "online" and body["thought"] == "hunting porings"
    assert body["thoughtAt"] is not None and body["lastActionAt"] is not None
    api.town.clock.advance(BOT_IDLE_MS / 1000 - 4)
    game.submit(c.BotSeen(player_id=pid))  # polling only: seen, no action
    api.town.advance(100)  # 5 s more: over 12 s since the last action
    assert api.json("GET", "/api/me/bot", token=token)[1]["status"] == "idle"
    api.town.clock.advance(BOT_OFFLINE_MS / 1000 + 1)
    assert api.json("GET", "/api/me/bot", token=token)[1]["status"] == "offline"


def test_bot_presence_thresholds():
    class P:
        linked_bot, thought, thought_at = True, "", None
        bot_seen_at, bot_action_at = 1000, 1000

    assert bot_presence(P, 1000 + BOT_IDLE_MS)["status"] == "online"
    assert bot_presence(P, 1001 + BOT_IDLE_MS)["status"] == "offline"
    P.bot_seen_at = 5000
    assert bot_presence(P, 1001 + BOT_IDLE_MS)["status"] == "idle"
