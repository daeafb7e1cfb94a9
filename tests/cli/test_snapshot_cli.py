"""`clawtown export snapshot` and `clawtown import` on real SQLite files (CliRunner).

Every error path must print one red line on stderr, exit non-zero and leave the files as they were.
"""

from __future__ import annotations

import os
import sqlite3

import orjson
import pytest
from backup_fixtures import (
    AT,
    SESSION_HASH,
    TOKEN_HASH,
    assert_one_red_line,
    corrupt_players_table,
    db_file,
    export,
    files,
    make_backup,
    rows,
    run,
    set_schema_version,
)

from clawtown.ops.snapshot import SECTIONS
from clawtown.store import SqliteStore, open_store
from clawtown.store.migrations import MIGRATIONS, SCHEMA_VERSION, migrate

def code_ids(data_dir: str) -> dict[str, str]:
    """The stored id of each join code of a data dir, by code."""
    store = SqliteStore(db_file(data_dir))
    try:
        return {record["code"]: record["id"] for record in store.list_join_codes()}
    finally:
        store.close()


# ------------------------------------------------------------------- export snapshot


def test_export_json_is_the_documented_document(data_dir):
    doc = orjson.loads(export(data_dir, "s.json"))
    assert list(doc)[:3] == ["format", "version", "schemaVersion"]
    assert (doc["format"], doc["version"], doc["schemaVersion"]) == ("clawtown-snapshot", 1, SCHEMA_VERSION)
    assert "exportedAt" not in doc
    assert list(doc)[3:] == list(SECTIONS)
    assert [p["id"] for p in doc["players"]] == ["p_ann", "p_bob", "p_cy"]
    ann = doc["players"][0]
    assert (ann["level"], ann["zenny"], ann["sessionHash"], ann["updatedAt"]) == (12, 1500, SESSION_HASH, AT + 2000)
    assert [(e["playerId"], e["id"]) for e in doc["events"]] == [
        ("p_ann", 1), ("p_ann", 2), ("p_ann", 3), ("p_bob", 1), ("p_bob", 2), ("p_bob", 3)]
    assert doc["events"][1] == {"playerId": "p_ann", "id": 2, "at": AT + 2, "kind": "loot", "text": "p_ann got 2",
                                "important": True, "data": None}
    assert [b["id"] for b in doc["board"]] == ["post_a", "post_b"]
    assert doc["parties"] == [{"id": "party_1", "leaderId": "p_ann", "members": ["p_ann", "p_bob"]}]
    ids = code_ids(data_dir)
    assert doc["joinCodes"] == [
        {"id": ids["ABC234"], "playerId": "p_ann", "createdAt": AT, "expiresAt": AT + 86_400_000, "revokedAt": None},
        {"id": ids["XYZ789"], "playerId": "p_ann", "createdAt": AT + 10, "expiresAt": AT + 86_400_000,
         "revokedAt": AT + 20},
        {"id": ids["QQQ222"], "playerId": "p_bob", "createdAt": AT + 5, "expiresAt": AT + 86_400_000,
         "revokedAt": None},
    ]
    assert doc["botLinks"] == [
        {"playerId": "p_ann", "generation": 1, "linkedAt": None, "revokedAt": AT + 40},
        {"playerId": "p_bob", "generation": 3, "linkedAt": AT + 30, "revokedAt": None},
    ]


def test_export_holds_no_secret(data_dir):
    text = export(data_dir, "s.json") + export(data_dir, "s.ndjson", "--format", "ndjson")
    for secret in (b"ABC234", b"XYZ789", b"QQQ222", TOKEN_HASH.encode(), b"tokenHash", b'"code"'):
        assert secret not in text
    for code_id in code_ids(data_dir).values():  # only the opaque ids name the codes
        assert text.count(code_id.encode()) == 2


def test_export_is_sorted_and_one_record_per_line(data_dir):
    raw = export(data_dir, "s.json")
    lines = raw.splitlines()
    assert lines[0] == b'{"format":"clawtown-snapshot","version":1,"schemaVersion":%d,' % SCHEMA_VERSION
    records = [orjson.loads(line.rstrip(b",")) for line in lines if line.startswith(b"{") and line != lines[0]]
    assert len(records) == 3 + 6 + 1 + 2 + 3 + 2
    for line in lines[1:]:
        if line.startswith(b"{"):
            record = orjson.loads(line.rstrip(b","))
            assert line.rstrip(b",") == orjson.dumps(record, option=orjson.OPT_SORT_KEYS)
    assert raw.endswith(b"]}\n")


def test_export_ndjson_has_typed_lines_and_an_end_line(data_dir):
    lines = [orjson.loads(line) for line in export(data_dir, "s.ndjson", "--format", "ndjson").splitlines()]
    assert lines[0] == {"type": "header", "format": "clawtown-snapshot", "version": 1, "schemaVersion": SCHEMA_VERSION}
    types = [line["type"] for line in lines[1:-1]]
    assert types == ["player"] * 3 + ["event"] * 6 + ["party"] + ["post"] * 2 + ["joinCode"] * 3 + ["botLink"] * 2
    assert lines[-1] == {"type": "end", "counts": {"players": 3, "events": 6, "parties": 1, "board": 2,
                                                    "joinCodes": 3, "botLinks": 2}}
    assert lines[1]["record"]["id"] == "p_ann"


def test_export_twice_gives_the_same_bytes_unless_timestamped(data_dir):
    assert export(data_dir, "a.json") == export(data_dir, "b.json")
    stamped = orjson.loads(export(data_dir, "c.json", "--timestamp"))
    assert stamped["exportedAt"].endswith("Z") and len(stamped["exportedAt"]) == 20
    head = orjson.loads(export(data_dir, "d.ndjson", "--format", "NDJSON", "--timestamp").splitlines()[0])
    assert "exportedAt" in head


def test_export_of_a_backup_file_with_db(data_dir, tmp_path):
    path = make_backup(data_dir)
    empty = tmp_path / "unused"
    code, _out, err = run("export", "snapshot", "--db", path, "--out", str(tmp_path / "b.json"),
                          "--data-dir", str(empty))
    assert code == 0, err
    assert (tmp_path / "b.json").read_bytes() == export(data_dir, "d.json")


def test_export_of_a_missing_db_file(tmp_path):
    code, _out, err = run("export", "snapshot", "--db", str(tmp_path / "gone.db"), "--out", str(tmp_path / "s.json"))
    assert_one_red_line(code, err, "no such file")
    assert os.listdir(tmp_path) == []


def test_export_reports_what_it_wrote(data_dir, tmp_path):
    out = str(tmp_path / "s.json")
    code, stdout, _err = run("export", "snapshot", "--data-dir", data_dir, "--out", out)
    assert code == 0
    assert "snapshot written:" in stdout and out in stdout.replace("\n", "")
    assert any(line.split() == ["events", "6"] for line in stdout.splitlines())


def test_export_fails_on_a_missing_data_dir(tmp_path):
    code, _out, err = run("export", "snapshot", "--data-dir", str(tmp_path / "nope"), "--out", str(tmp_path / "s.json"))
    assert_one_red_line(code, err, "data dir not found")
    assert os.listdir(tmp_path) == []


def test_export_fails_on_garbage_and_on_corruption(data_dir, tmp_path):
    corrupt_players_table(db_file(data_dir))
    code, _out, err = run("export", "snapshot", "--data-dir", data_dir, "--out", str(tmp_path / "s.json"))
    assert_one_red_line(code, err, "is corrupt")
    with open(db_file(data_dir), "wb") as f:
        f.write(b"nope" * 1000)
    code, _out, err = run("export", "snapshot", "--data-dir", data_dir, "--out", str(tmp_path / "s.json"))
    assert_one_red_line(code, err, "is not a SQLite database")
    assert not [n for n in os.listdir(tmp_path) if n.startswith("s.json")]


def test_export_fails_on_a_locked_database(data_dir, tmp_path, exclusive_lock):
    exclusive_lock(db_file(data_dir))
    code, _out, err = run("export", "snapshot", "--data-dir", data_dir, "--out", str(tmp_path / "s.json"))
    assert_one_red_line(code, err, "is locked by another process")
    assert not (tmp_path / "s.json").exists()


def test_export_never_overwrites_and_needs_a_directory(data_dir, tmp_path):
    (tmp_path / "s.json").write_text("mine")
    code, _out, err = run("export", "snapshot", "--data-dir", data_dir, "--out", str(tmp_path / "s.json"))
    assert_one_red_line(code, err, "already exists")
    assert (tmp_path / "s.json").read_text() == "mine"
    code, _out, err = run("export", "snapshot", "--data-dir", data_dir, "--out", str(tmp_path / "no" / "s.json"))
    assert_one_red_line(code, err, "cannot write", "is not a directory")


@pytest.mark.parametrize(("version", "message"), [(SCHEMA_VERSION + 1, "upgrade clawtown"), (1, "clawtown db migrate")])
def test_export_refuses_another_schema_version(tmp_path, version, message):
    data = tmp_path / "data"
    data.mkdir()
    conn = sqlite3.connect(data / "clawtown.db")
    import sqlite_utils

    migrate(sqlite_utils.Database(conn), MIGRATIONS[:1])
    conn.close()
    set_schema_version(str(data / "clawtown.db"), version)
    code, _out, err = run("export", "snapshot", "--data-dir", str(data), "--out", str(tmp_path / "s.json"))
    assert_one_red_line(code, err, f"schema v{version}", message)
    assert not (tmp_path / "s.json").exists()


def test_export_rejects_an_unknown_format(data_dir, tmp_path):
    code, _out, err = run("export", "snapshot", "--data-dir", data_dir, "--out", str(tmp_path / "s.x"), "--format", "xml")
    assert code == 2 and "xml" in err
    assert not (tmp_path / "s.x").exists()


def test_export_and_backup_while_a_server_holds_the_data_dir(data_dir, server_on, tmp_path):
    server_on(data_dir)
    assert export(data_dir, "s.json")
    code, _out, err = run("backup", "create", "--data-dir", data_dir)
    assert code == 0, err


# ----------------------------------------------------------------------------- import


@pytest.mark.parametrize("fmt", ["json", "ndjson"])
def test_export_import_export_gives_the_same_bytes(data_dir, tmp_path, fmt):
    first = export(data_dir, f"1.{fmt}", "--format", fmt)
    second_dir = str(tmp_path / "second")
    code, _out, err = run("import", str(tmp_path / f"1.{fmt}"), "--data-dir", second_dir)
    assert code == 0, err
    second = export(second_dir, f"2.{fmt}", "--format", fmt)
    assert second == first  # join codes included: their ids and metadata come back as placeholders
    assert first.count(b'"id":"jc_') == 3
    third_dir = str(tmp_path / "third")
    code, _out, err = run("import", str(tmp_path / f"2.{fmt}"), "--data-dir", third_dir)
    assert code == 0, err
    assert export(third_dir, f"3.{fmt}", "--format", fmt) == first


def test_json_and_ndjson_carry_the_same_data(data_dir, tmp_path):
    export(data_dir, "s.ndjson", "--format", "ndjson")
    code, _out, err = run("import", str(tmp_path / "s.ndjson"), "--data-dir", str(tmp_path / "from-ndjson"))
    assert code == 0, err
    assert export(str(tmp_path / "from-ndjson"), "again.json") == export(data_dir, "s.json")


def test_a_snapshot_without_join_code_ids_gets_new_ones(data_dir, tmp_path):
    doc = orjson.loads(export(data_dir, "s.json"))
    for record in doc["joinCodes"]:  # as a clawtown before schema v4 wrote them
        del record["id"]
    (tmp_path / "old.json").write_bytes(orjson.dumps(doc))
    code, _out, err = run("import", str(tmp_path / "old.json"), "--data-dir", str(tmp_path / "new"))
    assert code == 0, err
    again = orjson.loads(export(str(tmp_path / "new"), "again.json"))
    assert [{k: v for k, v in r.items() if k != "id"} for r in again["joinCodes"]] == doc["joinCodes"]
    assert len({r["id"] for r in again["joinCodes"]}) == 3
    assert not set(code_ids(data_dir).values()) & {r["id"] for r in again["joinCodes"]}


def test_import_reports_and_the_imported_data_works(data_dir, tmp_path):
    export(data_dir, "s.json")
    target = str(tmp_path / "new")
    code, out, err = run("import", str(tmp_path / "s.json"), "--data-dir", target)
    assert code == 0, err
    assert "imported" in out and "placeholders that can never be redeemed" in out
    assert any(line.split() == ["joinCodes", "3"] for line in out.splitlines())
    assert any(line.split() == ["players", "3"] for line in out.splitlines())
    store = SqliteStore(db_file(target))
    try:
        assert store.find_player_by_session_hash(SESSION_HASH)["id"] == "p_ann"
        assert store.find_players_by_name("cy \u00e9\u6f22")[0]["id"] == "p_cy"
        assert [e["id"] for e in store.list_events("p_bob")] == [1, 2, 3]
        assert store.get_bot_link("p_bob") == {"playerId": "p_bob", "generation": 3, "tokenHash": None,
                                               "linkedAt": AT + 30, "revokedAt": None}
        placeholders = store.list_join_codes()
        assert [(c["code"], c["playerId"], c["revokedAt"]) for c in placeholders] == [
            (None, "p_ann", None), (None, "p_bob", None), (None, "p_ann", AT + 20)]
        assert {c["id"] for c in placeholders} == set(code_ids(data_dir).values())
        assert store.list_join_codes(now=AT + 100) == []  # never live: their codes are not known here
        assert all(store.get_join_code(c) is None for c in ("ABC234", "XYZ789", "QQQ222"))
        assert [p["id"] for p in store.load_parties()] == ["party_1"]
        assert store.get_meta("schema_version") == str(SCHEMA_VERSION)
    finally:
        store.close()
    decoded = [(*row[:5], orjson.loads(row[5])) for row in rows(db_file(target))["players"]]
    assert decoded == [(*row[:5], orjson.loads(row[5])) for row in rows(db_file(data_dir))["players"]]
    code, out, err = run("join-code", "list", "--data-dir", target)
    assert (code, out.strip()) == (0, "no live join codes"), err
    code, out, err = run("join-code", "list", "--all", "--data-dir", target)
    assert code == 0, err
    assert out.count("imported") == 3 and all(i in out for i in code_ids(data_dir).values())


def test_import_into_an_existing_empty_data_dir(data_dir, tmp_path):
    export(data_dir, "s.json")
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _out, err = run("import", str(tmp_path / "s.json"), env={"CT_DATA_DIR": str(empty)})
    assert code == 0, err
    open_store(str(tmp_path / "started-once")).close()  # a server started once, no players yet
    code, _out, err = run("import", str(tmp_path / "s.json"), "--data-dir", str(tmp_path / "started-once"))
    assert code == 0, err


def test_import_refuses_a_data_dir_with_data(data_dir, tmp_path):
    export(data_dir, "s.json")
    before = (rows(db_file(data_dir)), files(data_dir))
    code, _out, err = run("import", str(tmp_path / "s.json"), "--data-dir", data_dir)
    assert_one_red_line(code, err, "is not empty", "3 players")
    assert (rows(db_file(data_dir)), files(data_dir)) == before


def test_import_refuses_a_data_dir_with_only_a_board(tmp_path, data_dir):
    export(data_dir, "s.json")
    store = open_store(str(tmp_path / "boarded"))
    store.save_batch(board=[{"id": "b", "createdAt": 1}])
    store.close()
    code, _out, err = run("import", str(tmp_path / "s.json"), "--data-dir", str(tmp_path / "boarded"))
    assert_one_red_line(code, err, "is not empty", "1 board")


def test_import_refuses_while_a_server_runs(data_dir, tmp_path, server_on):
    export(data_dir, "s.json")
    target = tmp_path / "served"
    target.mkdir()
    server_on(str(target))
    before = files(str(target))
    code, _out, err = run("import", str(tmp_path / "s.json"), "--data-dir", str(target))
    assert_one_red_line(code, err, "a clawtown server is running on")
    assert files(str(target)) == before


def test_import_refuses_a_corrupt_target_database(data_dir, tmp_path):
    export(data_dir, "s.json")
    target = tmp_path / "broken"
    target.mkdir()
    (target / "clawtown.db").write_bytes(b"garbage" * 500)
    code, _out, err = run("import", str(tmp_path / "s.json"), "--data-dir", str(target))
    assert_one_red_line(code, err, "cannot import into", "is not a SQLite database")
    assert (target / "clawtown.db").read_bytes() == b"garbage" * 500


def _snapshot_doc(data_dir, tmp_path) -> dict:
    return orjson.loads(export(data_dir, "base.json"))


HEADER_LINE = b'{"type":"header","format":"clawtown-snapshot","version":1,"schemaVersion":2}\n'
MISCOUNTED_END = b'{"type":"end","counts":{"players":2,"events":0,"parties":0,"board":0,"joinCodes":0,"botLinks":0}}\n'


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        (b"", "not a clawtown snapshot"),
        (b"hello", "not a clawtown snapshot"),
        (b"[1, 2]", "the document is not an object"),
        (b'{"format": "something-else", "version": 1}', "format is 'something-else'"),
        (b'{"format": "clawtown-snapshot", "version": 2}', "format version 2; this clawtown reads version 1"),
        (b'{"format": "clawtown-snapshot", "version": 1, "players": []}', "section 'events' is missing"),
        (HEADER_LINE + b'{"type":"player","record":{"id":"p","name":"P"}}\n', "is truncated (no end line)"),
        (HEADER_LINE + b'{"type":"player","record":{"id":"p","name":"P"}}\n' + MISCOUNTED_END, "counts do not match"),
        (b'{"type":"header","format":"clawtown-snapshot","version":1,"schemaVersion":2}\n{"type":"wizard"}\n',
         ":2: not a snapshot line (type 'wizard')"),
        (b'{"type":"header","format":"clawtown-snapshot","version":1,"schemaVersion":2}\n{oops\n', ":2: not JSON"),
    ],
    ids=["missing", "empty", "not-json", "array", "other-format", "version-2", "no-section", "truncated",
         "miscounted", "unknown-type", "bad-line"],
)
def test_import_rejects_what_is_not_a_snapshot(tmp_path, content, message):
    path = tmp_path / "in.json"
    if content is not None:
        path.write_bytes(content)
    target = tmp_path / "target"
    code, _out, err = run("import", str(path), "--data-dir", str(target))
    assert_one_red_line(code, err, message)
    assert not target.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["players"][0].pop("name"), "players[0].name must be a string"),
        (lambda d: d["players"].append(dict(d["players"][0])), "duplicate player id 'p_ann'"),
        (lambda d: d["events"][0].update(id="one"), "events[0].id must be an integer"),
        (lambda d: d["events"].append(dict(d["events"][0])), "duplicate event (playerId, id)"),
        (lambda d: d["board"][0].pop("createdAt"), "board[0].createdAt must be an integer"),
        (lambda d: d["parties"].append(7), "parties[1] must be a dict"),
        (lambda d: d["botLinks"][0].update(generation=-1), "botLinks[0].generation must be between 0"),
        (lambda d: d["botLinks"].append(dict(d["botLinks"][1])), "duplicate bot link playerId 'p_bob'"),
        (lambda d: d["joinCodes"].append("ABC234"), "joinCodes[3] must be an object"),
        (lambda d: d["joinCodes"].append(dict(d["joinCodes"][0])), "duplicate join code id 'jc_"),
        (lambda d: d["joinCodes"][1].update(id=7), "joinCodes[1].id must be a string"),
        (lambda d: d["joinCodes"][2].pop("playerId"), "joinCodes[2].playerId must be a string"),
        (lambda d: d["joinCodes"][0].update(expiresAt=AT), "joinCodes[0].expiresAt (1700000000000) must be after"),
    ],
    ids=["no-name", "dup-player", "bad-seq", "dup-event", "no-createdAt", "party-not-object", "bad-generation",
         "dup-link", "code-string", "dup-code-id", "code-id-int", "code-no-player", "code-expired-at-birth"],
)
def test_import_validates_every_record_before_touching_anything(data_dir, tmp_path, change, message):
    doc = _snapshot_doc(data_dir, tmp_path)
    change(doc)
    (tmp_path / "bad.json").write_bytes(orjson.dumps(doc))
    target = tmp_path / "target"
    target.mkdir()
    code, _out, err = run("import", str(tmp_path / "bad.json"), "--data-dir", str(target))
    assert_one_red_line(code, err, "is not a valid snapshot", message)
    assert os.listdir(target) == []

