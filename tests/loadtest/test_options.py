"""Option checks of `clawtown loadtest`: every bad value is one clear sentence, before any load."""

from __future__ import annotations

import os

import pytest

from clawtown.loadtest.options import OptionError, auto_procs, parse_url, validate


def ok(**kw):
    base = {"url": "http://127.0.0.1:8080", "players": "10", "bots": "5", "duration": "5"}
    return validate(**{**base, **kw})


def test_defaults_and_derived_values():
    o = ok()
    assert (o.players, o.bots, o.clients, o.duration, o.ramp, o.scenario) == (10, 5, 15, 5.0, 0.0, "wander")
    assert (o.host, o.port, o.scheme, o.base_path) == ("127.0.0.1", 8080, "http", "")
    assert o.ws_base == "ws://127.0.0.1:8080" and o.http_base == "http://127.0.0.1:8080"
    assert o.procs == 1 and o.bot_join == "link" and o.out is None and o.plot is None


def test_urls():
    assert parse_url("https://play.example.org") == ("https", "play.example.org", 443, "")
    assert parse_url(" http://localhost:9000/town/ ") == ("http", "localhost", 9000, "/town")
    assert ok(url="https://[::1]:8443/x").ws_base == "wss://[::1]:8443/x"
    for bad in ("", "127.0.0.1:8080", "ftp://host", "http://", "http://h:99999", "http://h/?a=1", "http://u:p@h/"):
        with pytest.raises(OptionError, match="url"):
            ok(url=bad)


@pytest.mark.parametrize("kw, needle", [
    ({"players": "x"}, "--players must be a whole number"),
    ({"players": "-1"}, "--players must be between 0"),
    ({"bots": "20001"}, "--bots must be between 0 and 20,000"),
    ({"players": "0", "bots": "0"}, "nothing to simulate"),
    ({"players": "15000", "bots": "15000"}, "at most 20,000"),
    ({"duration": None}, "--duration is required"),
    ({"duration": "0"}, "--duration must be more than 0"),
    ({"duration": "nan"}, "--duration must be"),
    ({"duration": "soon"}, "--duration must be a number of seconds"),
    ({"ramp": "-1"}, "--ramp must be at least 0"),
    ({"ramp": "4000"}, "--ramp must be"),
    ({"scenario": "dance"}, "--scenario must be one of wander, hunt, crowd, chat"),
    ({"procs": "0"}, "--procs must be between 1 and 64"),
    ({"bot_join": "steal"}, "--bot-join must be one of link, spawn"),
    ({"plot": "report.jpg"}, "--plot must name a .png file"),
    ({"out": "report.txt"}, "--out must name a .json file"),
    ({"out": "/no/such/dir/r.json"}, "does not exist"),
    ({"seed": "abc"}, "--seed must be a whole number"),
])
def test_bad_options_are_refused_with_a_reason(kw, needle):
    with pytest.raises(OptionError) as err:
        ok(**kw)
    assert needle in str(err.value)
    assert "\n" not in str(err.value)


def test_numbers_are_read_leniently():
    o = ok(players=" 200 ", duration="30s", ramp="2.5", scenario="HUNT", procs="auto")
    assert (o.players, o.duration, o.ramp, o.scenario) == (200, 30.0, 2.5, "hunt")


def test_procs_never_exceed_the_clients_and_auto_scales_with_them():
    assert ok(players="1", bots="0", procs="8").procs == 1
    assert auto_procs(100, cpus=8) == 1 and auto_procs(1000, cpus=8) == 3 and auto_procs(100_000, cpus=2) == 2


def test_output_files(tmp_path):
    o = ok(out=str(tmp_path / "r.json"), plot=str(tmp_path / "r.png"))
    assert o.out == os.path.join(str(tmp_path), "r.json") and o.plot.endswith("r.png")
    (tmp_path / "d.json").mkdir()
    with pytest.raises(OptionError, match="is a directory"):
        ok(out=str(tmp_path / "d.json"))
