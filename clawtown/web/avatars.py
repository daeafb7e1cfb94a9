"""Avatar routes (mounted by api.TownApi): upload your picture, and serve anyone's as PNG.

`POST /api/me/avatar` (Bearer session token) takes the image as the raw body (image/png or
image/jpeg), as a `data:image/...;base64,` URL in a text body, or as JSON `{"dataUrl": ...}`
(`pngDataUrl` also accepted; `{"reset": true}` removes the picture). The picture is checked,
cropped and resized off the reactor, then `SetAvatarVersion` bumps the version clients use
to bust caches (`/api/avatars/<id>.png?v=<avatarVersion>`).
"""

from __future__ import annotations

import base64
import binascii
import re

import orjson

from ..engine.avatars import AvatarBusy, valid_player_id
from ..engine.bots import AccessError
from ..engine.game import Busy
from ..render.avatar import MAX_AVATAR_BYTES, AvatarError
from ..sim import commands as c
from .bot_api import bearer
from .jsonapi import ApiError, client_address, json_response
from .limits import REST_RULES

MAX_UPLOAD_BODY = MAX_AVATAR_BYTES * 4 // 3 + 4096  # room for base64 and a JSON wrapper
DATA_URL = re.compile(rb"^data:image/(png|jpeg|jpg);base64,", re.IGNORECASE)


def _read_body(request) -> bytes:
    raw = request.content.read(MAX_UPLOAD_BODY + 1) if request.content is not None else b""
    if len(raw) > MAX_UPLOAD_BODY:
        raise ApiError(413, "avatar too large")
    return raw


def _decode_data_url(text: bytes) -> bytes:
    text = text.strip()
    m = DATA_URL.match(text)
    if not m:
        raise ApiError(400, "expected a PNG or JPEG data URL")
    try:
        return base64.b64decode(text[m.end():], validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(400, "invalid base64") from None


def image_bytes(request) -> bytes | None:
    """The uploaded image from any accepted body shape; None means "reset to no picture"."""
    raw = _read_body(request)
    if not raw.strip():
        raise ApiError(400, "missing image")
    head = raw.lstrip()[:1]
    if head == b"{":
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise ApiError(400, "invalid JSON body") from None
        if not isinstance(body, dict):
            raise ApiError(400, "JSON body must be an object")
        if body.get("reset") is True:
            return None
        url = body.get("dataUrl", body.get("pngDataUrl"))
        if not isinstance(url, str) or not url:
            raise ApiError(400, "missing image")
        data = _decode_data_url(url.encode("ascii", "replace"))
    elif raw.lstrip()[:5].lower() == b"data:":
        data = _decode_data_url(raw)
    else:
        data = raw
    if len(data) > MAX_AVATAR_BYTES:
        raise ApiError(413, "avatar too large")
    return data


async def upload(api, request) -> bytes:
    try:
        record = await api.access.player_for_session(bearer(request))
    except AccessError as err:
        raise ApiError(err.status, err.message) from None
    player_id = record["id"]
    wait = api.limiter.hit(("avatar", player_id), REST_RULES["avatar_upload"])
    if wait:
        raise ApiError(429, "rate limited", retryInMs=max(50, wait))
    data = image_bytes(request)
    files = api.avatars
    try:
        if data is None:
            await files.delete(player_id)
        else:
            await files.save(player_id, data)
    except AvatarError as err:
        raise ApiError(400, str(err)) from None
    except AvatarBusy:
        raise ApiError(503, "server busy, try again", retryInMs=300) from None
    try:
        await api.access.ensure_active(player_id)
        result = await api.game.request(
            lambda ref: c.SetAvatarVersion(player_id=player_id, version=0 if data is None else None, ref=ref))
    except AccessError as err:
        raise ApiError(err.status, err.message) from None
    except Busy:
        raise ApiError(503, "server busy, try again", retryInMs=200) from None
    if not result.get("ok"):
        raise ApiError(result.get("status", 400), result.get("error", "could not set avatar"))
    version = result["avatarVersion"]
    return json_response(request, {"ok": True, "avatarVersion": version,
                                   "url": f"/api/avatars/{player_id}.png?v={version}" if version else None})


async def serve(api, request, name: str) -> bytes:
    wait = api.limiter.hit(("avatar-read", client_address(request)), REST_RULES["avatar_read"])
    if wait:
        raise ApiError(429, "rate limited", retryInMs=max(50, wait))
    player_id = name[:-4] if name.endswith(".png") else ""
    if not valid_player_id(player_id):
        raise ApiError(404, "no avatar")
    png = await api.avatars.load(player_id)
    if png is None:
        raise ApiError(404, "no avatar")
    request.setHeader(b"content-type", b"image/png")
    if request.args.get(b"v"):
        request.setHeader(b"cache-control", b"public, max-age=31536000, immutable")
    else:
        request.setHeader(b"cache-control", b"no-cache")
    return png
