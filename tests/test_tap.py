"""`twistd clawtown` options: parsing in process, makeService wiring, and real twistd runs with bad options."""

import os
import subprocess
import sys
import sysconfig
import types
from pathlib import Path

import pytest
from twisted.python import usage

from clawtown.config import Settings
from clawtown.tap import Options, makeService

REPO_ROOT = Path(__file__).resolve().parent.parent
TWISTD = Path(sysconfig.get_path("scripts")) / "twistd"
SETTING_VARIABLES = (
    "HOST", "PORT", "CT_DATA_DIR", "CT_PUBLIC_BASE_URL", "CT_SEED", "CT_TEST", "CT_INSTANCE_CAP",
    "CT_BACKUP_EVERY", "CT_BACKUP_KEEP", "CT_LOG_FORMAT", "CT_TRUSTED_PROXIES", "CT_ALLOWED_ORIGINS",
)


@pytest.fixture(autouse=True)
def no_setting_variables(monkeypatch):
    for name in SETTING_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def parse(*argv):
    options = Options()
    options.parseOptions(list(argv))
    return options


def test_no_arguments_give_default_settings():
    assert parse().settings == Settings()


def test_every_option_reaches_the_settings(tmp_path):
    options = parse(
        "--listen",
        "tcp:0:interface=127.0.0.1",
        "--data-dir",
        str(tmp_path),
        "--public-base-url",
        "https://town.example.com/",
        "--seed",
        "7",
        "--test-mode",
    )
    assert options.settings == Settings(
        listen="tcp:0:interface=127.0.0.1",
        data_dir=str(tmp_path),
        public_base_url="https://town.example.com",
        seed=7,
        test_mode=True,
    )


def test_short_listen_option():
    assert parse("-l", "unix:town.sock").settings.listen == "unix:town.sock"


def test_options_beat_environment(monkeypatch):
    monkeypatch.setenv("CT_SEED", "1")
    monkeypatch.setenv("PORT", "9000")
    assert parse().settings.seed == 1
    assert parse().settings.listen == "tcp:9000:interface=127.0.0.1"
    assert parse("--seed", "2").settings.seed == 2


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--listen", "nonsense"],
            "--listen: not a valid strports description: 'nonsense' (Unknown endpoint type: 'nonsense')",
        ),
        (["--seed", "x"], "--seed must be an integer (got 'x')"),
        (["--public-base-url", "town"], "--public-base-url must start with http:// or https:// (got 'town')"),
        (["--data-dir", ""], "--data-dir must not be empty"),
        (
            ["--backup-every", "often"],
            "--backup-every must be a duration from 1s to 30d such as 15m or 1h30m, or off (got 'often')",
        ),
        (["--backup-keep", "-1"], "--backup-keep must be an integer >= 1 (got '-1')"),
        (["--bogus"], "option --bogus not recognized"),
        (["--seed"], "option --seed requires argument"),
        (["extra"], "Wrong number of arguments."),
    ],
)
def test_bad_options_raise_usage_errors(argv, message):
    with pytest.raises(usage.UsageError) as caught:
        parse(*argv)
    assert str(caught.value) == message


def test_bad_environment_is_a_usage_error_too(monkeypatch):
    monkeypatch.setenv("PORT", "eighty")
    with pytest.raises(usage.UsageError, match="^PORT must be an integer 0-65535"):
        parse()


def test_help_names_each_variable_and_default():
    docs = {name: doc for name, _short, _default, doc in Options.optParameters}
    docs.update({name: doc for name, _short, doc in Options.optFlags})
    expected = {
        "listen": ("HOST", "PORT", "tcp:8080:interface=127.0.0.1"),
        "data-dir": ("CT_DATA_DIR", "./.data"),
        "public-base-url": ("CT_PUBLIC_BASE_URL", "Default: unset"),
        "seed": ("CT_SEED", "random at start"),
        "test-mode": ("CT_TEST=1", "Default: off"),
        "trusted-proxies": ("CT_TRUSTED_PROXIES", "Default: none"),
        "allowed-origins": ("CT_ALLOWED_ORIGINS", "Default: none"),
        "backup-every": ("CT_BACKUP_EVERY", "Default: off"),
        "backup-keep": ("CT_BACKUP_KEEP", "Default: 24"),
        "log-format": ("CT_LOG_FORMAT", "Default: text"),
    }
    assert set(docs) == set(expected)
    for name, words in expected.items():
        for word in words:
            assert word in docs[name], (name, word)


def test_usage_after_an_error_is_one_hint():
    options = Options()
    with pytest.raises(usage.UsageError):
        options.parseOptions(["--seed", "x"])
    assert options.getUsage() == "Add --help after 'clawtown' to list its options."
    assert "--public-base-url" in Options().getUsage()


def test_make_service_hands_settings_and_reactor_to_the_service_module(monkeypatch):
    calls = []
    built = object()
    fake = types.ModuleType("clawtown.service")
    fake.make_service = lambda settings, reactor: calls.append((settings, reactor)) or built
    monkeypatch.setitem(sys.modules, "clawtown.service", fake)
    options = parse("--seed", "3")

    assert makeService(options) is built

    from twisted.internet import reactor

    assert calls == [(options.settings, reactor)]


def run(argv, tmp_path):
    """Run a command with the repo importable and no setting variables; return (exit code, output lines)."""
    env = {name: value for name, value in os.environ.items() if name not in SETTING_VARIABLES}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [str(arg) for arg in argv],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.returncode, [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]


def test_modules_import_no_reactor(tmp_path):
    code = "import sys, clawtown.tap, clawtown.config; print('twisted.internet.reactor' in sys.modules)"
    assert run([sys.executable, "-c", code], tmp_path) == (0, ["False"])


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        (
            ["--listen", "nonsense"],
            "clawtown: --listen: not a valid strports description: 'nonsense' (Unknown endpoint type: 'nonsense')",
        ),
        (["--seed", "x"], "clawtown: --seed must be an integer (got 'x')"),
        (["--bogus"], "clawtown: option --bogus not recognized"),
    ],
)
def test_twistd_reports_a_bad_option_in_one_line(argv, error, tmp_path):
    code, lines = run([TWISTD, "clawtown", *argv], tmp_path)
    assert code != 0
    assert not any("Traceback" in line for line in lines), lines
    assert lines[-1].endswith(error), lines
    assert [line for line in lines if error in line] == [lines[-1]]
    assert len(lines) <= 3, lines  # twistd's own "Usage:" line, our hint, the error
    assert not (tmp_path / "twistd.pid").exists()


def test_twist_reports_a_bad_option_too(tmp_path):
    code, lines = run([sys.executable, "-m", "twisted", "clawtown", "--listen", "nonsense"], tmp_path)
    assert code == 64  # EX_USAGE
    assert not any("Traceback" in line for line in lines), lines
    assert lines[0] == (
        "Error: --listen: not a valid strports description: 'nonsense' (Unknown endpoint type: 'nonsense')"
    )
    assert len(lines) <= 3, lines


def test_twistd_help_lists_the_options(tmp_path):
    code, lines = run([TWISTD, "clawtown", "--help"], tmp_path)
    assert code == 0
    text = "\n".join(lines)
    for option in ("--listen", "--data-dir", "--public-base-url", "--seed", "--test-mode"):
        assert option in text


def test_backup_options_reach_the_settings():
    settings = parse("--backup-every", "15m", "--backup-keep", "5").settings
    assert (settings.backup_every_s, settings.backup_keep) == (900, 5)


def test_allowed_origins_reach_the_settings(monkeypatch):
    assert parse("--allowed-origins", "https://town.example.com, http://localhost:8080").settings.allowed_origins == (
        "https://town.example.com", "http://localhost:8080")
    monkeypatch.setenv("CT_ALLOWED_ORIGINS", "https://a.example")
    assert parse().settings.allowed_origins == ("https://a.example",)
    with pytest.raises(usage.UsageError, match="^--allowed-origins: not an http"):
        parse("--allowed-origins", "town.example.com")
