"""The audit trail as the server writes it: who did what to whom, one store row per action.

Actions and actors are named here so the server, the CLI (clawtown.ops.audit) and the tests
agree.  An entry never carries a secret: a join code shows as its first two characters
(:func:`code_marker`), tokens never appear at all.

The server appends on the store thread through the runner and waits for the row, so an entry
is on disk by the time the action's answer is sent.  A failing audit write is logged and does
not undo or fail the action itself (it already happened).
"""

from __future__ import annotations

from typing import Any

from twisted.logger import Logger, LogLevel

# ---- actors -------------------------------------------------------------------------------
CLI = "cli"
ADMIN_API = "admin-api"
TEST_MODE = "test-mode"


def bot_actor(player_id: str) -> str:
    return f"bot:{player_id}"


def player_actor(player_id: str) -> str:
    return f"player:{player_id}"


# ---- actions ------------------------------------------------------------------------------
ANNOUNCE = "admin.announce"
KICK = "admin.kick"
FORGET_TOKENS = "admin.forget-tokens"
BOT_LINK = "bot.link"
BOT_SPAWN = "bot.spawn"
TOKENS_REVOKE = "tokens.revoke"
CODE_MINT = "join-code.mint"
CODE_REVOKE = "join-code.revoke"
BACKUP_RESTORE = "backup.restore"
SNAPSHOT_IMPORT = "snapshot.import"
TEST_RESET = "test.reset"
TEST_RESTART_SIM = "test.restart-sim"

ACTIONS = (
    ANNOUNCE, KICK, FORGET_TOKENS, BOT_LINK, BOT_SPAWN, TOKENS_REVOKE, CODE_MINT, CODE_REVOKE,
    BACKUP_RESTORE, SNAPSHOT_IMPORT, TEST_RESET, TEST_RESTART_SIM,
)


def code_marker(code: str | None) -> str:
    """What the audit trail keeps of a join code: its first two characters, then "…"."""
    return (code or "")[:2] + "…"


def audit_entry(
    at: int | None,
    actor: str,
    action: str,
    subject: str | None = None,
    detail: dict[str, Any] | None = None,
    request_id: str | None = None,
) -> dict[str, Any]:
    """The record handed to ``Store.append_audit`` (``at`` None: the store's clock)."""
    entry: dict[str, Any] = {"actor": actor, "action": action, "subject": subject, "detail": detail}
    if at is not None:
        entry["at"] = at
    if request_id is not None:
        entry["requestId"] = request_id
    return entry


_log = Logger(namespace="clawtown.audit")


class AuditTrail:
    """Appends audit entries through a store runner (see :class:`~clawtown.store.StoreRunner`)."""

    def __init__(self, runner, now_ms) -> None:
        self.runner = runner
        self.now_ms = now_ms

    async def record(
        self,
        actor: str,
        action: str,
        subject: str | None = None,
        detail: dict[str, Any] | None = None,
        request_id: str | None = None,
    ) -> dict[str, Any] | None:
        """Append one entry and wait for it; the stored entry, or None if the write failed."""
        entry = audit_entry(self.now_ms(), actor, action, subject, detail, request_id)
        try:
            stored = await self.runner.run(lambda store: store.append_audit(entry))
        except Exception:  # noqa: BLE001 - whatever broke the write, the action stands; log it
            _log.failure(
                "could not record audit entry {action} by {actor}", level=LogLevel.error, action=action,
                actor=actor, request_id=request_id,
            )
            return None
        _log.info(
            "audit: {action} by {actor} on {subject}", action=action, actor=actor, subject=subject or "-",
            request_id=request_id,
        )
        return stored
