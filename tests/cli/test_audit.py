"""`clawtown audit`, and the audit entries the CLI's own commands write (real SQLite data dirs)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest

from clawtown.cli import _common
from clawtown.engine import audit
from clawtown.ops.audit import parse_since
from clawtown.ops.players import ToolError
from clawtown.store.migrations import SCHEMA_VERSION

HOUR_MS = 3_600_000


def trail(data_dir_store, path: str) -> list[dict]:
    with data_dir_store(path) as store:
        return store.list_audit(limit=10_000)


def audit_table_text(db_rows, path: str) -> str:
    return repr(db_rows(path).get("audit", []))


# ------------------------------------------------------------------ what the CLI records


def test_join_code_mint_and_relink_are_audited_without_the_code(
    seeded_data_dir, run_clawtown, data_dir_store, db_rows
):
    minted = run_clawtown("join-code", "mint", "Alice", "--quiet", "--data-dir", seeded_data_dir)
    relinked = run_clawtown("relink", "p_alice", "--quiet", "--ttl", "2h", "--data-dir", seeded_data_dir)
    assert minted.exit_code == 0 and relinked.exit_code == 0, (minted, relinked)
    codes = [out.stdout.strip().rsplit("|", 1)[-1] for out in (minted, relinked)]
    rows = trail(data_dir_store, seeded_data_dir)
    assert [(r["actor"], r["action"], r["subject"], r["requestId"]) for r in rows] == [
        ("cli", "join-code.mint", "p_alice", None)
    ] * 2
    assert [r["detail"]["via"] for r in rows] == ["mint", "relink"]
    assert [r["detail"]["code"] for r in rows] == [c[:2] + "…" for c in codes]
    with data_dir_store(seeded_data_dir) as store:
        assert [r["detail"]["expiresAt"] for r in rows] == [store.get_join_code(c)["expiresAt"] for c in codes]
    text = audit_table_text(db_rows, seeded_data_dir)
    for code in codes:
        assert code not in text


def test_join_code_revoke_is_audited(seeded_data_dir, run_clawtown, data_dir_store, db_rows):
    code = run_clawtown("join-code", "mint", "Bob", "-q", "--data-dir", seeded_data_dir).stdout.strip().rsplit("|")[-1]
    assert run_clawtown("join-code", "revoke", code.lower(), "--data-dir", seeded_data_dir).exit_code == 0
    last = trail(data_dir_store, seeded_data_dir)[-1]
    assert (last["actor"], last["action"], last["subject"], last["detail"]) == (
        "cli", "join-code.revoke", "p_bob", {"code": code[:2] + "…"}
    )
    assert code not in audit_table_text(db_rows, seeded_data_dir)


def test_a_refused_command_records_nothing(seeded_data_dir, run_clawtown, data_dir_store):
    assert run_clawtown("join-code", "revoke", "ZZZZZZ", "--data-dir", seeded_data_dir).exit_code == 1
    assert run_clawtown("join-code", "mint", "Nobody", "--data-dir", seeded_data_dir).exit_code == 1
    assert run_clawtown("tokens", "revoke", "Twin", "--data-dir", seeded_data_dir).exit_code == 1  # ambiguous
    assert trail(data_dir_store, seeded_data_dir) == []


def test_tokens_revoke_is_audited(seeded_data_dir, run_clawtown, data_dir_store):
    out = run_clawtown("tokens", "revoke", "bob", "--data-dir", seeded_data_dir, "--url", "http://127.0.0.1:9")
    assert out.exit_code == 0, out
    (row,) = trail(data_dir_store, seeded_data_dir)
    assert (row["actor"], row["action"], row["subject"], row["detail"]) == (
        "cli", "tokens.revoke", "p_bob", {"generation": 1}
    )


def test_import_is_audited_in_the_new_data_dir(seeded_data_dir, run_clawtown, data_dir_store, tmp_path):
    snapshot = str(tmp_path / "snap.ndjson")
    assert run_clawtown("export", "snapshot", "--data-dir", seeded_data_dir, "--out", snapshot,
                        "--format", "ndjson").exit_code == 0
    fresh = str(tmp_path / "fresh")
    out = run_clawtown("import", snapshot, "--data-dir", fresh)
    assert out.exit_code == 0, out
    (row,) = trail(data_dir_store, fresh)
    assert (row["actor"], row["action"], row["subject"]) == ("cli", "snapshot.import", None)
    assert row["detail"] == {
        "file": "snap.ndjson", "format": "ndjson",
        "counts": {"players": 4, "events": 15, "parties": 1, "board": 0, "joinCodes": 0, "botLinks": 0},
    }
    assert trail(data_dir_store, seeded_data_dir) == []  # exporting is a read


def test_backup_restore_is_audited_in_the_restored_database(seeded_data_dir, run_clawtown, data_dir_store, tmp_path):
    backup = str(tmp_path / "before.db")
    assert run_clawtown("backup", "create", "--data-dir", seeded_data_dir, "--out", backup).exit_code == 0
    assert run_clawtown("tokens", "revoke", "Bob", "--data-dir", seeded_data_dir).exit_code == 0
    out = run_clawtown("backup", "restore", backup, "--data-dir", seeded_data_dir, "--yes")
    assert out.exit_code == 0 and "warning" not in out.stderr, out
    # The restored database is the backup's: the revoke after it is gone, the restore is recorded.
    (row,) = trail(data_dir_store, seeded_data_dir)
    assert (row["actor"], row["action"], row["subject"]) == ("cli", "backup.restore", None)
    assert row["detail"] == {"file": "before.db", "schemaVersion": SCHEMA_VERSION, "players": 4}


# ------------------------------------------------------------------ clawtown audit


@pytest.fixture
def filled(seeded_data_dir, data_dir_store):
    """Five entries: two hours ago, 90 and 30 minutes ago, and two just now."""
    now = int(time.time() * 1000)
    with data_dir_store(seeded_data_dir) as store:
        for at, action, subject, detail, rid in (
            (now - 2 * HOUR_MS, audit.CODE_MINT, "p_alice", {"code": "AB…", "expiresAt": now}, None),
            (now - 90 * 60_000, audit.BOT_LINK, "p_alice", {"code": "AB…"}, "req-link-1"),
            (now - 30 * 60_000, audit.KICK, "p_bob", {"name": "Bob", "closed": 2}, "req-kick-1"),
            (now - 1000, audit.TOKENS_REVOKE, "p_bob", {"generation": 3}, None),
            (now, audit.TEST_RESET, None, None, None),
        ):
            actor = {audit.BOT_LINK: "bot:p_alice", audit.KICK: "admin-api", audit.TEST_RESET: "test-mode"}.get(
                action, "cli")
            store.append_audit({"at": at, "actor": actor, "action": action, "subject": subject, "detail": detail,
                                "requestId": rid})
    return seeded_data_dir, now


def test_audit_shows_a_table_newest_last(filled, run_clawtown):
    data_dir, _now = filled
    out = run_clawtown("audit", "--data-dir", data_dir)
    assert out.exit_code == 0 and out.stderr == "", out
    lines = out.stdout.splitlines()
    assert lines[0].strip() == "5 audit entries"
    header = next(line for line in lines if "time" in line and "actor" in line)
    for column in ("action", "subject", "detail", "request id"):
        assert column in header
    order = [out.stdout.index(a) for a in ("join-code.mint", "bot.link", "admin.kick", "tokens.revoke", "test.reset")]
    assert order == sorted(order)
    assert "bot:p_alice" in out.stdout and "req-kick-1" in out.stdout and '"closed": 2' in out.stdout


def test_audit_since_a_duration(filled, run_clawtown):
    data_dir, _now = filled
    out = run_clawtown("audit", "--since", "1h", "--data-dir", data_dir)
    assert out.exit_code == 0, out
    assert "3 audit entries" in out.stdout
    assert "bot.link" not in out.stdout and "join-code.mint" not in out.stdout and "admin.kick" in out.stdout
    out = run_clawtown("audit", "--since", "1h45m", "--json", "--data-dir", data_dir)
    assert [e["action"] for e in json.loads(out.stdout)] == [
        "bot.link", "admin.kick", "tokens.revoke", "test.reset"
    ]


def test_audit_since_an_iso_time(filled, run_clawtown):
    data_dir, now = filled
    since = datetime.fromtimestamp((now - 45 * 60_000) / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    out = run_clawtown("audit", "--since", since, "--json", "--data-dir", data_dir)
    assert out.exit_code == 0, out
    assert [e["action"] for e in json.loads(out.stdout)] == ["admin.kick", "tokens.revoke", "test.reset"]


def test_audit_action_and_limit(filled, run_clawtown):
    data_dir, _now = filled
    out = run_clawtown("audit", "--action", "admin.kick", "--data-dir", data_dir)
    assert "1 audit entry" in out.stdout and "admin.kick" in out.stdout and "bot.link" not in out.stdout
    out = run_clawtown("audit", "--limit", "2", "--data-dir", data_dir)
    assert "the newest 2" in out.stdout and "tokens.revoke" in out.stdout and "admin.kick" not in out.stdout
    out = run_clawtown("audit", "--action", "no.such.action", "--data-dir", data_dir)
    assert out.exit_code == 0 and out.stdout.strip() == "no audit entries match"


def test_audit_json_is_one_array_with_iso_times(filled, run_clawtown):
    data_dir, now = filled
    out = run_clawtown("audit", "--json", "--data-dir", data_dir)
    assert out.exit_code == 0 and out.stderr == "", out
    entries = json.loads(out.stdout)
    assert len(entries) == 5 and [e["id"] for e in entries] == sorted(e["id"] for e in entries)
    link = entries[1]
    assert link == {
        "id": link["id"], "at": now - 90 * 60_000, "time": link["time"], "actor": "bot:p_alice",
        "action": "bot.link", "subject": "p_alice", "detail": {"code": "AB…"}, "requestId": "req-link-1",
    }
    assert datetime.fromisoformat(link["time"]).timestamp() * 1000 == pytest.approx(
        link["at"], abs=1
    )


def test_audit_of_a_data_dir_without_entries(seeded_data_dir, run_clawtown):
    out = run_clawtown("audit", "--data-dir", seeded_data_dir)
    assert out.exit_code == 0 and out.stdout.strip() == "no audit entries"
    assert json.loads(run_clawtown("audit", "--json", "--data-dir", seeded_data_dir).stdout) == []


def test_audit_reads_the_data_dir_from_the_environment(filled, run_clawtown):
    data_dir, _now = filled
    out = run_clawtown("audit", "--json", env={"CT_DATA_DIR": data_dir})
    assert out.exit_code == 0 and len(json.loads(out.stdout)) == 5


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (("--since", "yesterday"), ("--since must be a duration", "'yesterday'")),
        (("--since", "10x"), ("--since",)),
        (("--limit", "0"), ("--limit must be from 1",)),
        (("--action", "  "), ("--action must not be empty",)),
    ],
)
def test_audit_bad_options_are_one_red_line(seeded_data_dir, run_clawtown, assert_cli_error, args, needles):
    assert_cli_error(run_clawtown("audit", *args, "--data-dir", seeded_data_dir), *needles)


def test_audit_of_a_missing_or_corrupt_data_dir_is_one_red_line(
    missing_data_dir, corrupt_data_dir, run_clawtown, assert_cli_error
):
    assert_cli_error(run_clawtown("audit", "--data-dir", missing_data_dir), "data dir not found")
    assert_cli_error(run_clawtown("audit", "--data-dir", corrupt_data_dir), "cannot open")


def test_audit_help(run_clawtown):
    out = run_clawtown("audit", "--help")
    assert out.exit_code == 0
    for option in ("--since", "--action", "--limit", "--json", "--data-dir"):
        assert option in out.stdout


def test_parse_since():
    now = 1_700_000_000_000
    assert parse_since("90s", now) == now - 90_000
    assert parse_since("1h30m", now) == now - 90 * 60_000
    assert parse_since(" 2D ", now) == now - 2 * 86_400_000
    assert parse_since("1w", now) == now - 7 * 86_400_000
    assert parse_since("2023-11-14T22:13:20Z", now) == 1_700_000_000_000
    assert parse_since("2023-11-14T23:13:20+01:00", now) == 1_700_000_000_000
    local = datetime(2023, 11, 14).astimezone()
    assert parse_since("2023-11-14", now) == int(local.timestamp() * 1000)
    for bad in ("", "h", "-1h", "soon", "2023-13-01"):
        with pytest.raises(ToolError):
            parse_since(bad, now)


def test_the_table_fits_the_test_width(filled, run_clawtown):
    data_dir, _now = filled
    out = run_clawtown("audit", "--data-dir", data_dir)
    assert max(len(line) for line in out.stdout.splitlines()) <= _common.console.width
