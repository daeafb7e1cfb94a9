"""The server key: 32 random bytes in <data-dir>/server.key (mode 0600), created on first start.

Bot tokens are derived from it (HMAC), so a re-link can give a bot its token back although no
token is stored. Rotating the key (delete the file and restart) invalidates every bot token.
Blocking file I/O: call it before the reactor runs or on the store thread.
"""

from __future__ import annotations

import os
import secrets
import stat

KEY_FILE = "server.key"
KEY_BYTES = 32


class ServerKeyError(Exception):
    """The key file exists but cannot be used."""


def load_or_create_server_key(data_dir: str) -> bytes:
    os.makedirs(data_dir, exist_ok=True)
    path = os.path.join(data_dir, KEY_FILE)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key(path)
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(KEY_BYTES) + "\n")
        f.flush()
        os.fsync(f.fileno())
    return _read_key(path)


def _read_key(path: str) -> bytes:
    mode = stat.S_IMODE(os.stat(path).st_mode)
    if mode & 0o077:
        os.chmod(path, 0o600)
    with open(path, encoding="ascii") as f:
        text = f.read().strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise ServerKeyError(f"{path} is not a hex key; delete it to make a new one (bot tokens change)") from None
    if len(key) < 16:
        raise ServerKeyError(f"{path} holds a key shorter than 16 bytes")
    return key
