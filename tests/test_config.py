"""Settings: defaults, option > environment > default precedence, and one-line validation errors."""

import dataclasses

import pytest

from clawtown.config import ConfigError, Settings


def settings(options=None, **environ):
    return Settings.from_options(options or {}, environ=environ)


def test_defaults():
    s = settings()
    assert s == Settings()
    assert s.listen == "tcp:8080:interface=127.0.0.1"
    assert s.data_dir == "./.data"
    assert s.public_base_url is None
    assert s.seed is None
    assert s.test_mode is False
    assert (s.tick_hz, s.sync_hz, s.instance_cap) == (20, 10, 150)
    assert (s.backup_every_s, s.backup_keep) == (None, 24)


def test_settings_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Settings().seed = 3


def test_options_not_given_are_none_and_fall_through():
    unparsed = {"listen": None, "data-dir": None, "public-base-url": None, "seed": None, "test-mode": 0}
    assert settings(unparsed) == Settings()


def test_environment_overrides_defaults():
    s = settings(
        HOST="0.0.0.0",
        PORT="9000",
        CT_DATA_DIR="town-data",
        CT_PUBLIC_BASE_URL="https://town.example.com",
        CT_SEED="42",
        CT_TEST="1",
        CT_INSTANCE_CAP="30",
    )
    assert s == Settings(
        listen="tcp:9000:interface=0.0.0.0",
        data_dir="town-data",
        public_base_url="https://town.example.com",
        seed=42,
        test_mode=True,
        instance_cap=30,
    )


def test_options_override_environment():
    options = {
        "listen": "tcp:7000:interface=127.0.0.1",
        "data-dir": "here",
        "public-base-url": "http://option.example:8000",
        "seed": "-5",
        "test-mode": 1,
    }
    environ = {
        "HOST": "0.0.0.0",
        "PORT": "9000",
        "CT_DATA_DIR": "there",
        "CT_PUBLIC_BASE_URL": "https://env.example",
        "CT_SEED": "42",
        "CT_TEST": "0",
    }
    s = Settings.from_options(options, environ=environ)
    assert (s.listen, s.data_dir, s.public_base_url, s.seed, s.test_mode) == (
        "tcp:7000:interface=127.0.0.1",
        "here",
        "http://option.example:8000",
        -5,
        True,
    )


def test_listen_option_ignores_host_and_port_even_when_port_is_bad():
    assert settings({"listen": "tcp:0"}, PORT="not a port").listen == "tcp:0"


def test_host_alone_or_port_alone():
    assert settings(HOST="10.0.0.5").listen == "tcp:8080:interface=10.0.0.5"
    assert settings(PORT="0").listen == "tcp:0:interface=127.0.0.1"


def test_ipv6_host_is_escaped_for_strports():
    assert settings(HOST="::1", PORT="8081").listen == r"tcp:8081:interface=\:\:1"


def test_empty_environment_values_count_as_unset():
    assert settings(HOST="", PORT="", CT_DATA_DIR="", CT_PUBLIC_BASE_URL="", CT_SEED="", CT_TEST="") == Settings()


def test_test_mode_flag_off_leaves_the_environment_in_charge():
    assert settings({"test-mode": 0}, CT_TEST="1").test_mode is True
    assert settings(CT_TEST="0").test_mode is False


def test_public_base_url_loses_trailing_slashes_and_spaces():
    assert settings({"public-base-url": " https://town.example.com/play// "}).public_base_url == (
        "https://town.example.com/play"
    )
    assert settings(CT_PUBLIC_BASE_URL="HTTP://Town.Example:8080/").public_base_url == "HTTP://Town.Example:8080"


def test_unix_and_other_endpoints_are_accepted():
    assert settings({"listen": "unix:clawtown.sock"}).listen == "unix:clawtown.sock"
    assert settings({"listen": "tcp6:port=8080:interface=\\:\\:"}).listen == "tcp6:port=8080:interface=\\:\\:"


@pytest.mark.parametrize(
    ("options", "environ", "message"),
    [
        (
            {"listen": "foo"},
            {},
            "--listen: not a valid strports description: 'foo' (Unknown endpoint type: 'foo')",
        ),
        (
            {"listen": "tcp:http"},
            {},
            "--listen: not a valid strports description: 'tcp:http' (invalid literal for int() with base 10: 'http')",
        ),
        ({"listen": ""}, {}, "--listen: not a valid strports description: '' (Unknown endpoint type: '')"),
        ({"seed": "abc"}, {}, "--seed must be an integer (got 'abc')"),
        ({"seed": "1.5"}, {}, "--seed must be an integer (got '1.5')"),
        ({}, {"CT_SEED": "lucky"}, "CT_SEED must be an integer (got 'lucky')"),
        ({}, {"PORT": "http"}, "PORT must be an integer 0-65535 (got 'http')"),
        ({}, {"PORT": "65536"}, "PORT must be an integer 0-65535 (got '65536')"),
        ({}, {"PORT": "-1"}, "PORT must be an integer 0-65535 (got '-1')"),
        ({}, {"HOST": "  "}, "HOST must not be empty"),
        ({"data-dir": " "}, {}, "--data-dir must not be empty"),
        (
            {"public-base-url": "town.example.com"},
            {},
            "--public-base-url must start with http:// or https:// (got 'town.example.com')",
        ),
        (
            {},
            {"CT_PUBLIC_BASE_URL": "ftp://town"},
            "CT_PUBLIC_BASE_URL must start with http:// or https:// (got 'ftp://town')",
        ),
        (
            {"public-base-url": "https://"},
            {},
            "--public-base-url must be a base URL such as https://town.example.com (got 'https://')",
        ),
        (
            {"public-base-url": "https://town.example?x=1"},
            {},
            "--public-base-url must be a base URL such as https://town.example.com (got 'https://town.example?x=1')",
        ),
        (
            {"public-base-url": "https://a|b"},
            {},
            "--public-base-url must be a base URL such as https://town.example.com (got 'https://a|b')",
        ),
        (
            {"public-base-url": "https://town:port"},
            {},
            "--public-base-url must be a base URL such as https://town.example.com (got 'https://town:port')",
        ),
        ({}, {"CT_TEST": "yes"}, "CT_TEST must be 1 (on) or 0 (off) (got 'yes')"),
        ({}, {"CT_INSTANCE_CAP": "0"}, "CT_INSTANCE_CAP must be an integer >= 1 (got '0')"),
        ({}, {"CT_INSTANCE_CAP": "many"}, "CT_INSTANCE_CAP must be an integer >= 1 (got 'many')"),
        (
            {"backup-every": "15"},
            {},
            "--backup-every must be a duration from 1s to 30d such as 15m or 1h30m, or off (got '15')",
        ),
        (
            {},
            {"CT_BACKUP_EVERY": "0m"},
            "CT_BACKUP_EVERY must be a duration from 1s to 30d such as 15m or 1h30m, or off (got '0m')",
        ),
        (
            {"backup-every": "1 h"},
            {},
            "--backup-every must be a duration from 1s to 30d such as 15m or 1h30m, or off (got '1 h')",
        ),
        (
            {"backup-every": "31d"},
            {},
            "--backup-every must be a duration from 1s to 30d such as 15m or 1h30m, or off (got '31d')",
        ),
        ({"backup-keep": "0"}, {}, "--backup-keep must be an integer >= 1 (got '0')"),
        ({}, {"CT_BACKUP_KEEP": "all"}, "CT_BACKUP_KEEP must be an integer >= 1 (got 'all')"),
    ],
)
def test_validation_errors_are_one_line_and_name_the_culprit(options, environ, message):
    with pytest.raises(ConfigError) as caught:
        Settings.from_options(options, environ=environ)
    assert str(caught.value) == message


def test_huge_bad_values_are_shortened_in_messages():
    with pytest.raises(ConfigError) as caught:
        settings({"seed": "9" * 100_000})
    assert len(str(caught.value)) < 150
    assert "\n" not in str(caught.value)


def test_listen_errors_from_any_endpoint_parser_stay_one_line():
    with pytest.raises(ConfigError) as caught:
        settings({"listen": "ssl:8443:privateKey=no-such-key.pem"})
    message = str(caught.value)
    assert message.startswith("--listen: not a valid strports description: 'ssl:8443:privateKey")
    assert "\n" not in message


def test_config_error_is_a_value_error():
    assert issubclass(ConfigError, ValueError)


def test_reads_os_environ_by_default(monkeypatch):
    monkeypatch.setenv("CT_SEED", "77")
    assert Settings.from_options({}).seed == 77


def test_trusted_proxies_parse_addresses_and_networks():
    import ipaddress

    settings = Settings.from_options({"trusted-proxies": "127.0.0.1, 10.0.0.0/8"}, environ={})
    assert settings.trusted_proxies == (ipaddress.ip_network("127.0.0.1/32"), ipaddress.ip_network("10.0.0.0/8"))
    assert Settings.from_options({}, environ={"CT_TRUSTED_PROXIES": "::1"}).trusted_proxies == (
        ipaddress.ip_network("::1/128"),
    )
    assert Settings.from_options({}, environ={}).trusted_proxies == ()


def test_trusted_proxies_reject_garbage():
    with pytest.raises(ConfigError, match="--trusted-proxies: not an IP address or network: 'proxy.local'"):
        Settings.from_options({"trusted-proxies": "proxy.local"}, environ={})


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("15m", 900), ("1h", 3600), ("1h30m", 5400), ("1d", 86400), ("30d", 30 * 86400), (" 2H ", 7200),
     ("off", None), ("OFF", None)],
)
def test_backup_every_takes_durations_or_off(text, seconds):
    assert settings({"backup-every": text}).backup_every_s == seconds


def test_backup_options_beat_their_environment():
    s = Settings.from_options({"backup-every": "1h", "backup-keep": "3"},
                              environ={"CT_BACKUP_EVERY": "15m", "CT_BACKUP_KEEP": "9"})
    assert (s.backup_every_s, s.backup_keep) == (3600, 3)
    s = settings(CT_BACKUP_EVERY="15m", CT_BACKUP_KEEP="9")
    assert (s.backup_every_s, s.backup_keep) == (900, 9)
    assert settings(CT_BACKUP_EVERY="", CT_BACKUP_KEEP="") == Settings()


def test_allowed_origins_default_to_not_checked():
    assert Settings.from_options({}, environ={}).allowed_origins == ()


def test_allowed_origins_are_normalized_like_browser_origin_headers():
    s = Settings.from_options({}, environ={"CT_ALLOWED_ORIGINS": "HTTPS://Town.Example.com:443/, http://localhost:8080,,"})
    assert s.allowed_origins == ("https://town.example.com", "http://localhost:8080")
    assert Settings.from_options({"allowed-origins": "http://[::1]:80"}, environ={}).allowed_origins == ("http://[::1]",)


@pytest.mark.parametrize("bad", ["town.example.com", "*", "null", "ftp://x.example", "https://x.example/app",
                                 "https://x.example?q=1", "https://user@x.example", "https://x.example:99999"])
def test_allowed_origins_reject_what_is_not_an_origin(bad):
    with pytest.raises(ConfigError, match="^CT_ALLOWED_ORIGINS: not an http\\(s\\) origin"):
        Settings.from_options({}, environ={"CT_ALLOWED_ORIGINS": bad})
