"""Unguessable identifiers and secrets (from `secrets`), and how secrets are hashed at rest."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def hash_secret(secret: str) -> str:
    """What the store keeps instead of a token: its SHA-256 (tokens carry 256 bits of entropy)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class Mint:
    """Makes ids and secrets. One instance per server; tests may subclass it for fixed values."""

    def player_id(self) -> str:
        return "p_" + secrets.token_urlsafe(12)

    def session_token(self) -> str:
        return "cts_" + secrets.token_urlsafe(32)

    def party_id(self) -> str:
        return "party_" + secrets.token_urlsafe(9)

    def party_code(self) -> str:
        return self.code()

    def post_id(self) -> str:
        return "post_" + secrets.token_urlsafe(9)

    def code(self, length: int = 6) -> str:
        return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def derive_bot_token(server_key: bytes, player_id: str, generation: int) -> str:
    """The bot token of a player's current link generation: `ctbot_` + 32 url-safe characters.

    Derived, never stored: the store keeps only its hash. Revocation bumps the generation.
    """
    mac = hmac.new(server_key, f"clawtown-bot-token:{player_id}:{generation}".encode(), hashlib.sha256).digest()
    return "ctbot_" + base64.urlsafe_b64encode(mac[:24]).decode("ascii")
