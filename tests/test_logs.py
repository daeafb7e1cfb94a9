"""Log formats: the JSON line of an event, and how `--log-format json` reaches twistd's --logger."""

from __future__ import annotations

import io
import json

import pytest
from twisted.logger import Logger, LogLevel, globalLogPublisher
from twisted.python import log as legacy_log
from twisted.python import usage
from twisted.scripts.twistd import ServerOptions

from clawtown import logs
from clawtown.tap import Options


@pytest.fixture(autouse=True)
def clean_env_and_destination(monkeypatch):
    monkeypatch.delenv("CT_LOG_FORMAT", raising=False)
    monkeypatch.setattr(logs, "_twistd_destination", {"logfile": None, "nodaemon": True})


@pytest.fixture
def events():
    got: list[dict] = []
    globalLogPublisher.addObserver(got.append)
    yield got
    globalLogPublisher.removeObserver(got.append)


def line_of(event: dict) -> dict:
    text = logs.format_json_line(event)
    assert text.endswith("\n") and text.count("\n") == 1
    return json.loads(text)


def test_a_structured_event_keeps_its_fields(events):
    Logger(namespace="clawtown.access").info(
        "{method} {route} {status}", method="GET", route="/api/health", status=200, duration_ms=1.5,
        request_id="abc", player_id="p_1", extra={"not": "scalar"},
    )
    got = line_of(events[0])
    assert got["time"].endswith("Z") and got["time"][:2] == "20"
    assert (got["level"], got["namespace"], got["message"]) == ("info", "clawtown.access", "GET /api/health 200")
    assert (got["route"], got["status"], got["duration_ms"], got["request_id"], got["player_id"]) == (
        "/api/health", 200, 1.5, "abc", "p_1"
    )
    assert "extra" not in got and not any(k.startswith("log_") for k in got)


def test_fields_named_like_secrets_are_never_written(events):
    Logger(namespace="x").warn(
        "careful", token="ctbot_secret", botToken="ctbot_s2", session_token="cts_s3", Authorization="Bearer s4",
        joinCode="ABCDEF", adminSecret="s5", password="s6", player_id="p_1",
    )
    text = logs.format_json_line(events[0])
    for secret in ("ctbot_secret", "ctbot_s2", "cts_s3", "Bearer s4", "ABCDEF", "s5", "s6"):
        assert secret not in text
    got = json.loads(text)
    assert got["level"] == "warn" and got["player_id"] == "p_1"


def test_a_failure_is_written_as_its_traceback_on_one_line(events):
    try:
        raise ZeroDivisionError("division by zero")
    except ZeroDivisionError:
        Logger(namespace="y").failure("it broke", level=LogLevel.error)
    got = line_of(events[0])
    assert got["level"] == "error" and got["message"] == "it broke"
    assert "ZeroDivisionError" in got["failure"] and "Traceback" in got["failure"]


def test_legacy_log_msg_and_err_become_json(events):
    legacy_log.msg("clawtown ready: 2 H-Mode characters resumed")
    legacy_log.err(ValueError("bad"), "unhandled error in API route")
    first, second = (line_of(e) for e in events[:2])
    assert first["message"] == "clawtown ready: 2 H-Mode characters resumed" and first["level"] == "info"
    assert second["level"] == "critical" and "ValueError" in second["failure"]
    assert "isError" not in second and "system" not in second


def test_the_observer_writes_one_line_per_event():
    out = io.StringIO()
    observer = logs.json_file_observer(out)
    observer({"log_time": 0.0, "log_level": LogLevel.info, "log_namespace": "n", "log_format": "a\nb {x}", "x": 1})
    observer({"log_time": 0.0, "log_level": LogLevel.info, "log_namespace": "n", "log_format": "c"})
    lines = out.getvalue().splitlines()
    assert [json.loads(line)["message"] for line in lines] == ["a\nb 1", "c"]
    assert json.loads(lines[0])["time"] == "1970-01-01T00:00:00.000Z"


def test_json_observer_picks_twistds_destination(tmp_path, monkeypatch, capsys):
    assert logs.json_observer("-", nodaemon=False)._outFile is not None
    path = tmp_path / "server.log"
    observer = logs.json_observer(str(path))
    observer({"log_time": 0.0, "log_level": LogLevel.info, "log_namespace": "n", "log_format": "to the file"})
    observer._outFile.close()
    assert json.loads(path.read_text())["message"] == "to the file"
    monkeypatch.chdir(tmp_path)
    daemon = logs.json_observer(None, nodaemon=False)
    daemon({"log_time": 0.0, "log_level": LogLevel.info, "log_namespace": "n", "log_format": "daemon"})
    daemon._outFile.close()
    assert json.loads((tmp_path / "twistd.log").read_text())["message"] == "daemon"


def test_tap_log_format_option_and_environment(monkeypatch):
    options = Options()
    options.parseOptions([])
    assert options.settings.log_format == "text"
    options = Options()
    options.parseOptions(["--log-format", "JSON"])
    assert options.settings.log_format == "json"
    monkeypatch.setenv("CT_LOG_FORMAT", "json")
    options = Options()
    options.parseOptions([])
    assert options.settings.log_format == "json"
    options = Options()
    options.parseOptions(["--log-format", "text"])
    assert options.settings.log_format == "text"
    with pytest.raises(usage.UsageError, match="--log-format must be text or json"):
        Options().parseOptions(["--log-format", "xml"])
    monkeypatch.setenv("CT_LOG_FORMAT", "yaml")
    with pytest.raises(usage.UsageError, match="CT_LOG_FORMAT must be text or json"):
        Options().parseOptions([])


def test_json_format_hands_twistd_the_json_observer_factory():
    config = ServerOptions()
    config.parseOptions(["--nodaemon", "--logfile", "out.log", "clawtown", "--log-format", "json"])
    assert config["logger"] is logs.json_observer  # resolved by twistd's own --logger handling
    assert logs._twistd_destination == {"logfile": "out.log", "nodaemon": True}


def test_text_format_and_an_explicit_logger_are_left_alone():
    config = ServerOptions()
    config.parseOptions(["--nodaemon", "clawtown"])
    assert config["logger"] is None
    config = ServerOptions()
    config.parseOptions(["--nodaemon", "--logger", "twisted.logger.textFileLogObserver", "clawtown",
                         "--log-format", "json"])
    from twisted.logger import textFileLogObserver

    assert config["logger"] is textFileLogObserver


def test_use_json_logs_without_twistd_does_nothing():
    assert logs.use_json_logs(None) is False
    Options().parseOptions(["--log-format", "json"])  # no parent: parsing alone still works
