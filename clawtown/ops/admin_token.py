"""The admin token: derived from the server key, so it is never stored anywhere.

The CLI reads `<data-dir>/server.key` (mode 0600: only the operator can) and derives the same
token the server expects in `Authorization: Bearer` on /api/admin/*. Rotating the server key
rotates it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from ..keys import KEY_FILE, load_or_create_server_key


def derive_admin_token(server_key: bytes) -> str:
    mac = hmac.new(server_key, b"clawtown-admin-token:v1", hashlib.sha256).digest()
    return "ctadm_" + base64.urlsafe_b64encode(mac[:24]).decode("ascii")


def admin_token_for(data_dir: str) -> str:
    if not os.path.isfile(os.path.join(data_dir, KEY_FILE)):
        raise FileNotFoundError(f"no {KEY_FILE} in {data_dir}: start the server once")
    return derive_admin_token(load_or_create_server_key(data_dir))
