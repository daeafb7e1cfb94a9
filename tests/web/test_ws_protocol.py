"""The WebSocket endpoint: authentication, decoding, refusals, rate limits, abuse, close handling."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clawtown.engine.inbox import Inbox
from clawtown.sim import commands as c
from clawtown.wire.inbound import CommandBuilder
from clawtown.web.limits import ABUSE_LIMIT, ABUSE_WINDOW_MS, WS_RULES
from clawtown.web.ws import CLOSE_ABUSE, CLOSE_AUTH, MAX_BUFFERED_BYTES

TOKEN = "cts_" + "k" * 43  # the token of the stored player (see conftest.Town.store_player)
ERROR_CODES = {"bad_json", "bad_frame", "bad_field", "too_long", "too_big", "unknown_type", "rate_limited", "busy"}


def queued(town) -> list:
    """Commands waiting in the inbox, oldest first (without taking them)."""
    return [cmd for q in town.game.inbox.queues.values() for cmd in q]


@pytest.fixture
def joined(ws):
    """A stored player whose tab has connected and received its hello."""
    ws.town.store_player()
    peer = ws.connect()
    ws.step()
    assert peer.of_type("hello"), peer.messages
    assert queued(ws.town) == []
    return peer


# ---- authentication --------------------------------------------------------------------
@pytest.mark.parametrize("token, message", [
    (None, "missing session token"),
    ("", "missing session token"),
    ("cts_wrong", "invalid session token"),
    ("x" * 201, "invalid session token"),
])
def test_a_missing_or_wrong_token_gets_auth_failed_then_close_4001(ws, token, message):
    ws.town.store_player()
    peer = ws.connect(token)
    assert peer.messages == [{"t": "error", "code": "auth_failed", "message": message}]
    assert peer.closed is not None and peer.closed[0] == CLOSE_AUTH
    assert len(ws.town.sessions) == 0 and queued(ws.town) == []


def test_the_public_player_id_is_not_a_token(ws):
    ws.town.store_player(pid="p_ann")
    peer = ws.connect("p_ann")
    assert peer.closed[0] == CLOSE_AUTH


def test_a_failing_session_lookup_refuses_the_connection(ws, monkeypatch):
    def broken(fn, *args, **kwargs):
        raise RuntimeError("store down")

    ws.town.store_player()
    monkeypatch.setattr(ws.town.runner, "run", broken)
    peer = ws.connect()
    assert peer.of_type("error")[0]["code"] == "auth_failed" and peer.closed[0] == CLOSE_AUTH


def test_frames_from_an_unauthenticated_socket_are_ignored(ws):
    peer = ws.connect("cts_wrong")
    peer.messages.clear()
    peer.server.onMessage(b'{"t":"move","dx":1,"dy":0}', False)  # a frame racing the close
    peer.flush()
    assert queued(ws.town) == [] and peer.messages == []


def test_a_good_token_opens_a_session_and_queues_activate(ws):
    record = ws.town.store_player()
    peer = ws.connect()
    assert peer.opened and peer.closed is None and peer.messages == []
    [conn] = ws.town.sessions.by_id.values()
    assert conn.player_id == "p_ann"
    [activate] = queued(ws.town)
    assert isinstance(activate, c.Activate) and activate.online and activate.record["id"] == record["id"]
    ws.step()
    [hello] = peer.of_type("hello")
    assert hello["you"]["id"] == "p_ann" and hello["you"]["name"] == "Ann"
    assert ws.town.world.players["p_ann"].online


# ---- refusals --------------------------------------------------------------------------
@pytest.mark.parametrize("frame, binary, code", [
    (b"{not json", False, "bad_json"),
    (b'{"t":"move","dx":1,"dy":0}', True, "bad_frame"),
    (b"[1, 2]", False, "bad_frame"),
    (b'{"dx": 1}', False, "bad_frame"),
    (b'{"t": 5}', False, "bad_frame"),
    (b'{"t":"teleport","x":1}', False, "unknown_type"),
    (b'{"t":"move","dx":"far","dy":0}', False, "bad_field"),
    (b'{"t":"move","dx":1,"dy":0,"seq":-1}', False, "bad_field"),
    (b'{"t":"move","dx":1,"dy":0,"seq":true}', False, "bad_field"),
    (b'{"t":"mode","mode":"god"}', False, "bad_field"),
    (b'{"t":"chat","text":""}', False, "bad_field"),
    (b'{"t":"chat","text":"' + b"a" * 2000 + b'"}', False, "too_long"),
    (b'{"t":"alloc_stat","stat":"str","n":1000}', False, "bad_field"),
])
def test_bad_frames_get_an_error_and_queue_nothing(joined, ws, frame, binary, code):
    joined.messages.clear()
    joined.send(raw=frame, binary=binary)
    [error] = joined.of_type("error")
    assert error["code"] == code and error["message"]
    assert queued(ws.town) == [] and joined.closed is None


def test_an_error_echoes_the_seq_of_the_refused_frame(joined):
    joined.messages.clear()
    joined.send(t="move", dx="x", dy=0, seq=12)
    assert joined.errors() == [("bad_field", 12)]
    joined.send(t="nope", seq=13)
    assert joined.errors()[-1] == ("unknown_type", 13)


def test_a_good_frame_is_queued_for_its_player_and_acked_after_the_commit(joined, ws):
    joined.send(t="intent", text="hunting", seq=5)
    [cmd] = queued(ws.town)
    assert isinstance(cmd, c.SetIntent) and cmd.player_id == "p_ann" and cmd.text == "hunting"
    assert cmd.ref[0] == "ws" and cmd.ref[2] == 5
    assert joined.of_type("ack") == []
    ws.step()
    assert joined.of_type("ack") == [{"t": "ack", "re": 5, "ok": True}]
    assert ws.town.store.get_player("p_ann")["intent"] == "hunting"


def test_without_seq_no_ack_is_sent(joined, ws):
    joined.send(t="intent", text="quiet")
    ws.step()
    assert joined.of_type("ack") == [] and ws.town.world.players["p_ann"].intent == "quiet"


def test_a_frame_over_64_kib_closes_the_connection_with_1009(joined, ws):
    joined.send(raw=b'{"t":"chat","text":"' + b"a" * (65 * 1024) + b'"}')
    assert joined.closed is not None and joined.closed[0] == 1009
    assert [type(cmd) for cmd in queued(ws.town)] == [c.Disconnect]


# ---- rate limits and abuse ----------------------------------------------------------------
def test_too_many_moves_are_refused_with_retry_in_ms(joined, ws):
    rule = WS_RULES["move"]
    joined.messages.clear()
    for i in range(rule.burst):
        joined.send(t="move", dx=1, dy=0)
    assert joined.of_type("error") == [] and len(queued(ws.town)) == rule.burst
    joined.send(t="move", dx=1, dy=0, seq=99)
    [error] = joined.of_type("error")
    assert error["code"] == "rate_limited" and error["re"] == 99 and error["retryInMs"] == rule.interval_ms
    assert len(queued(ws.town)) == rule.burst
    ws.town.clock.advance(rule.interval_ms / 1000)
    joined.send(t="move", dx=1, dy=0)
    assert len(queued(ws.town)) == rule.burst + 1


def test_rate_limits_are_per_message_class_per_connection_and_per_player(joined, ws):
    second = ws.connect()
    for _ in range(3):
        joined.send(t="chat", text="hi")
    joined.send(t="chat", text="hi again")
    assert joined.errors() == [("rate_limited", None)]
    joined.send(t="whisper", to="Bo", text="a different bucket")  # whisper has its own bucket
    second.send(t="chat", text="another tab of the same player: the same budget")
    assert joined.errors() == [("rate_limited", None)] and second.errors() == [("rate_limited", None)]
    second.send(t="move", dx=1, dy=0)  # other classes are untouched
    assert second.errors() == [("rate_limited", None)]


def test_more_than_the_abuse_limit_of_refusals_closes_with_4008(joined, ws):
    for _ in range(ABUSE_LIMIT):
        joined.send(raw=b"garbage")
    assert joined.closed is None
    joined.send(raw=b"garbage")
    assert joined.closed is not None and joined.closed[0] == CLOSE_ABUSE
    assert len(joined.of_type("error")) == ABUSE_LIMIT + 1


def test_refusals_older_than_the_abuse_window_are_forgiven(joined, ws):
    for _ in range(ABUSE_LIMIT):
        joined.send(raw=b"garbage")
    ws.town.clock.advance(ABUSE_WINDOW_MS / 1000)
    for _ in range(ABUSE_LIMIT):
        joined.send(raw=b"garbage")
    assert joined.closed is None


def test_rate_limited_frames_count_towards_abuse(joined, ws):
    for _ in range(WS_RULES["emote"].burst + ABUSE_LIMIT + 1):
        joined.send(t="emote", emote="wave")
    assert joined.closed is not None and joined.closed[0] == CLOSE_ABUSE


def test_a_backlog_arriving_in_one_read_after_a_stall_is_throttled_but_not_closed(joined, ws):
    rule = WS_RULES["move"]
    backlog = rule.burst + ABUSE_LIMIT + 20  # well-paced moves that piled up while the server stalled
    for _ in range(backlog):
        joined.client.sendMessage(orjson.dumps({"t": "move", "dx": 1, "dy": 0}))
    joined.flush()  # ... and arrive together
    assert joined.closed is None
    assert len(queued(ws.town)) == rule.burst
    assert [code for code, _ in joined.errors()] == ["rate_limited"] * (backlog - rule.burst)


# ---- ping, busy, slow readers, closing ---------------------------------------------------
def test_ping_is_answered_at_once_with_the_server_time(joined, ws):
    ws.town.clock.advance(1.5)
    joined.send(t="ping", id="p1")
    assert joined.messages[-1] == {"t": "pong", "id": "p1", "time": ws.town.game.now_ms()}
    assert queued(ws.town) == []


def test_pings_are_rate_limited_too(joined):
    for i in range(WS_RULES["ping"].burst + 1):
        joined.send(t="ping", id=i)
    assert len(joined.of_type("pong")) == WS_RULES["ping"].burst
    assert joined.errors() == [("rate_limited", None)]


def test_a_full_inbox_answers_busy_and_drops_the_command(ws, monkeypatch):
    ws.town.game.inbox = Inbox(limit=2)
    ws.town.store_player()
    peer = ws.connect()
    ws.step()
    assert peer.of_type("hello")
    peer.send(t="intent", text="one", seq=1)
    peer.send(t="intent", text="two", seq=2)
    peer.send(t="intent", text="three", seq=3)
    [error] = peer.of_type("error")
    assert error["code"] == "busy" and error["re"] == 3 and error["retryInMs"] > 0
    assert [cmd.text for cmd in queued(ws.town)] == ["one", "two"]
    assert ws.town.game.inbox.dropped == 1


def test_a_reader_too_slow_to_take_its_frames_is_dropped(joined, ws):
    joined.server.transport.dataBuffer = b"x" * (MAX_BUFFERED_BYTES + 1)  # what a stuck socket holds
    joined.send(t="ping", id="late")
    assert joined.of_type("pong") == []
    assert ws.factory.slow_closed == 1 and joined.closed is not None


def test_an_unanswered_server_ping_drops_the_peer(joined, ws):
    ws.town.clock.advance(20.5)  # the server pings
    ws.town.clock.advance(15.5)  # and the client never reads it
    joined.flush()
    assert joined.closed is not None


def test_closing_the_last_tab_queues_disconnect(joined, ws):
    second = ws.connect()
    ws.step()
    second.close()
    assert queued(ws.town) == [] and len(ws.town.sessions) == 1
    joined.close()
    [cmd] = queued(ws.town)
    assert isinstance(cmd, c.Disconnect) and cmd.player_id == "p_ann"
    assert len(ws.town.sessions) == 0
    ws.step()
    assert ws.town.world.players["p_ann"].online is False


def test_a_closed_tab_is_no_longer_synced(joined, ws):
    sent = len(joined.messages)
    joined.close()
    ws.town.game.submit(c.GrantItem(player_id="p_ann", item="jelly"))
    ws.step()
    assert len(joined.messages) == sent


# ---- fuzzing -----------------------------------------------------------------------------
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2**63, 2**63 - 1) | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=8,
)
FIELDS = ("dx", "dy", "x", "y", "spell", "mode", "text", "to", "emote", "content", "item", "slot", "stat", "n",
          "recipe", "code", "memberId", "name", "lang", "level", "channel", "effect", "answers", "seq", "id")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(t=st.sampled_from(sorted(CommandBuilder(None).types) + ["ping", "nope", ""]),
       fields=st.dictionaries(st.sampled_from(FIELDS), JSON_VALUES, max_size=5))
def test_any_frame_is_either_one_queued_command_or_one_error(joined, ws, t, fields):
    ws.town.limiter.buckets.clear()
    joined.server.violations.clear()
    ws.town.game.inbox.queues.clear()
    joined.messages.clear()
    joined.send({"t": t, **fields})
    replies = joined.messages
    commands = queued(ws.town)
    assert joined.closed is None
    if t == "ping" and not replies[0]["t"] == "error":
        assert [r["t"] for r in replies] == ["pong"] and commands == []
    elif replies:
        [error] = replies
        assert error["t"] == "error" and error["code"] in ERROR_CODES and commands == []
    else:
        [cmd] = commands
        assert cmd.player_id == "p_ann"
        assert cmd.ref == (None if fields.get("seq") is None else ("ws", joined.server.conn.id, fields["seq"]))


def test_the_token_from_post_players_opens_the_socket(ws, http):
    status, body, _ = http.post("/api/players", {"name": "Fresh"})
    assert status == 200
    peer = ws.connect(body["sessionToken"])
    http.town.advance(2)  # the services tick and sync on the clock
    peer.flush()
    [hello] = peer.of_type("hello")
    assert hello["you"]["id"] == body["playerId"] and hello["you"]["name"] == "Fresh"
    assert ws.connect(body["playerId"]).closed[0] == CLOSE_AUTH


def test_a_closed_connection_leaves_no_rate_limit_buckets(joined, ws):
    other = ws.connect()
    for peer in (joined, other):
        peer.send(t="ping", id=1)
        peer.send(t="move", dx=1, dy=0)
    conn_id = joined.server.conn.id
    def per_connection():
        return {k[0] for k in ws.town.limiter.buckets if k[0] != "ws-player"}

    assert per_connection() == {conn_id, other.server.conn.id}
    joined.close()
    assert per_connection() == {other.server.conn.id}
    assert ("ws-player", "p_ann", "move") in ws.town.limiter.buckets  # the player's budget outlives a socket
