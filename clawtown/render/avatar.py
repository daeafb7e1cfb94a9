"""Avatar pictures: check an uploaded PNG or JPEG, crop it to a centred square, resize it to
AVATAR_PX × AVATAR_PX and encode it as PNG.

A pure function of the bytes (no files, no clock): call it in a worker thread, never on the
reactor. Anything that is not a readable PNG or JPEG of sane size raises AvatarError.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps

AVATAR_PX = 128
MAX_AVATAR_BYTES = 512 * 1024
MAX_SOURCE_PIXELS = 24_000_000  # e.g. 6000×4000; bigger is refused before decoding
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SIGNATURE = b"\xff\xd8\xff"


class AvatarError(ValueError):
    """The upload is refused; the message is meant for the person who sent it."""


def sniff_format(data: bytes) -> str | None:
    """"PNG" or "JPEG" from the file signature, else None."""
    if data.startswith(PNG_SIGNATURE):
        return "PNG"
    if data.startswith(JPEG_SIGNATURE):
        return "JPEG"
    return None


def normalize_avatar(data: bytes, size: int = AVATAR_PX) -> bytes:
    """The avatar as a size×size RGBA PNG, or AvatarError."""
    if not data:
        raise AvatarError("empty image")
    if len(data) > MAX_AVATAR_BYTES:
        raise AvatarError(f"avatar too large (at most {MAX_AVATAR_BYTES // 1024} KiB)")
    kind = sniff_format(data)
    if kind is None:
        raise AvatarError("not a PNG or JPEG image")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data), formats=(kind,))
            w, h = img.size
            if w < 1 or h < 1 or w * h > MAX_SOURCE_PIXELS:
                raise AvatarError("image dimensions out of range")
            img.load()
    except AvatarError:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError, Image.DecompressionBombWarning,
            EOFError) as exc:
        raise AvatarError("unreadable image") from exc
    img = ImageOps.exif_transpose(img) if kind == "JPEG" else img
    img = img.convert("RGBA")
    side = min(img.size)
    left, top = (img.width - side) // 2, (img.height - side) // 2
    img = img.crop((left, top, left + side, top + side)).resize((size, size), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)
    return out.getvalue()
