"""WebSocket fuzzing against a real server, while a victim player plays on.

Attackers send random bytes, binary frames, truncated and deeply nested JSON, huge numbers and
NaN/Infinity, oversized frames, wrong types in every field of every message type, frames before
their hello, and floods of every message type from several connections. Throughout: the server
stays ready, the victim keeps receiving syncs and can still chat, what the victim has saved is
unchanged (also after a restart), every refusal is an error frame, abusive sockets are closed
with 4008, and nothing an attacker does reaches the victim more often than its per-player limit.
"""

from __future__ import annotations

import json
import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from clawtown.engine.ids import Mint
from clawtown.web.limits import ABUSE_LIMIT, WS_RULES, ws_rule
from clawtown.web.ws import CLOSE_ABUSE
from clawtown.wire.inbound import MAX_FRAME_BYTES, CommandBuilder
from tests.wsframes import VALID, WRONG, frame

pytestmark = pytest.mark.e2e

DURABLE = ("id", "name", "job", "level", "xp", "statPoints", "baseStats", "map", "channel", "linkedBot",
           "avatarVersion", "signatureSpell", "jobSkill", "mode", "partyId", "interrupt", "intent")
"""The victim's saved fields that nothing an attacker does may change. (Its inventory, zenny and
equipment may grow: attackers kill monsters next to it, and it picks up what they drop.)"""
GROWS = ("zenny", "inventory", "equipment", "achievements")


def ws_connect(port: int, token: str):
    """An open client connection (closed by its owner with .close())."""
    return connect(f"ws://127.0.0.1:{port}/ws?token={token}", open_timeout=10, max_size=2**22,
                   max_queue=None, proxy=None, compression=None).__enter__()


class Victim:
    """A player whose socket is read all the time by a thread (frames kept in order)."""

    def __init__(self, srv) -> None:
        player = srv.create_player("Victim")
        self.id, self.token = player["playerId"], player["sessionToken"]
        _, code = srv.post("/api/join-codes", {}, headers={"authorization": f"Bearer {self.token}"})
        status, bot = srv.post("/api/bot/link", {"joinCode": code["joinCode"]})
        assert status == 200, bot
        self.bot_token = bot["botToken"]
        self.srv = srv
        self.frames: list[dict] = []
        self.closed = None
        self.ws = ws_connect(srv.port, self.token)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        self.wait_for(lambda m: m["t"] == "hello")

    def _read(self) -> None:
        while not self._stop.is_set():
            try:
                self.frames.append(json.loads(self.ws.recv(timeout=0.2)))
            except TimeoutError:
                continue
            except ConnectionClosed as closed:
                self.closed = closed.rcvd.code if closed.rcvd else None
                return

    def wait_for(self, predicate, timeout: float = 10.0, start: int = 0) -> dict:
        deadline = time.monotonic() + timeout
        seen = start
        while time.monotonic() < deadline:
            frames = self.frames
            for msg in frames[seen:]:
                if predicate(msg):
                    return msg
            seen = len(frames)
            time.sleep(0.02)
        tail = [m for m in self.frames[start:] if m["t"] != "sync"][-8:]
        raise AssertionError(f"victim: condition not met in {timeout}s (closed: {self.closed}; last: {tail})")

    def saved_state(self) -> dict:
        status, body = self.srv.request("GET", "/api/bot/me", headers={"authorization": f"Bearer {self.bot_token}"})
        assert status == 200, body
        return {k: body["player"].get(k) for k in (*DURABLE, *GROWS)}

    def still_fine(self) -> None:
        """Syncs keep coming and a chat line goes round."""
        assert self.closed is None, f"the victim's socket was closed: {self.closed}"
        start = len(self.frames)
        self.step = -getattr(self, "step", -1)  # a small step back and forth: its own moves come back in syncs
        self.ws.send(json.dumps({"t": "move", "dx": self.step, "dy": 0}))
        self.wait_for(lambda m: m["t"] == "sync", start=start)
        self.ws.send(json.dumps({"t": "move", "dx": 0, "dy": 0}))
        text = f"still here {time.monotonic_ns()}"
        for attempt in range(3):  # the chat gap (1.2 s between two lines of one player) may ask to wait
            seq = 1000 + len(self.frames)
            self.ws.send(json.dumps({"t": "chat", "text": text, "seq": seq}))
            ack = self.wait_for(lambda m, seq=seq: m["t"] in ("ack", "error") and m.get("re") == seq, start=start)
            if ack.get("ok"):
                break
            assert ack.get("retryInMs") and attempt < 2, ack
            time.sleep(ack["retryInMs"] / 1000 + 0.05)
        self.wait_for(lambda m: m["t"] == "chat" and any(line["text"] == text for line in m["lines"]), start=start)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.ws.close()


@pytest.fixture(scope="module")
def town(module_server):
    victim = Victim(module_server)
    town = type("Town", (), {})()
    town.srv, town.victim = module_server, victim
    town.before = victim.saved_state()
    town.attackers = [module_server.create_player(f"Attacker{i}") for i in range(4)]
    yield town
    victim.close()


def ready(srv) -> bool:
    return srv.get("/health/ready")[0] == 200


class Attacker:
    """One attacking socket that reconnects when the server closes it, and remembers why."""

    def __init__(self, srv, token: str) -> None:
        self.srv, self.token = srv, token
        self.ws = None
        self.errors: list[dict] = []
        self.close_codes: list[int] = []

    def send(self, data) -> None:
        for _ in range(2):
            if self.ws is None:
                self.ws = ws_connect(self.srv.port, self.token)
            try:
                self.ws.send(data)
                return
            except ConnectionClosed as closed:
                self._closed(closed)

    def _closed(self, closed: ConnectionClosed) -> None:
        self.close_codes.append(closed.rcvd.code if closed.rcvd else 1006)
        self.ws = None

    def drain(self, seconds: float = 0.3) -> list[dict]:
        got = []
        deadline = time.monotonic() + seconds
        while self.ws is not None and (left := deadline - time.monotonic()) > 0:
            try:
                msg = json.loads(self.ws.recv(timeout=left))
            except TimeoutError:
                break
            except ConnectionClosed as closed:
                self._closed(closed)
                break
            got.append(msg)
            if msg["t"] == "error":
                self.errors.append(msg)
        return got

    def close(self) -> None:
        if self.ws is not None:
            self.ws.close()
            self.ws = None


# ---- garbage -------------------------------------------------------------------------
def test_garbage_gets_error_frames_then_4008(town):
    attacker = Attacker(town.srv, town.attackers[0]["sessionToken"])
    garbage = [b"\x00\xff\x10binary", "not json", '{"t": "move", "dx": ', "[1, 2, 3]", '"just a string"', "null",
               '{"t": 5}', '{"t": ""}', '{"no": "type"}', '{"t": "move", "dx": NaN, "dy": 0}',
               '{"t": "goal", "x": Infinity, "y": -Infinity}', '{"t": "goal", "x": 1e999, "y": 0}',
               '{"t": "goal", "x": 123456789012345678901234567890, "y": 0}', "[" * 20_000 + "]" * 20_000,
               '{"a":' * 5000 + "1" + "}" * 5000, '{"t": "chat", "text": "' + "\\u0000" * 1000 + '"}']
    for i in range(ABUSE_LIMIT + 10):
        attacker.send(garbage[i % len(garbage)])
    attacker.drain(3.0)
    codes = {e["code"] for e in attacker.errors}
    assert {"bad_frame", "bad_json"} <= codes, codes
    assert len(attacker.errors) >= ABUSE_LIMIT
    assert attacker.close_codes == [CLOSE_ABUSE], attacker.close_codes
    assert ready(town.srv)
    town.victim.still_fine()


def test_oversized_frames_close_with_1009(town):
    attacker = Attacker(town.srv, town.attackers[0]["sessionToken"])
    attacker.send("x" * (MAX_FRAME_BYTES + 1))
    attacker.drain(3.0)
    attacker.send(b"\x00" * (4 * MAX_FRAME_BYTES))
    attacker.drain(3.0)
    attacker.send(json.dumps({"t": "chat", "text": "y" * MAX_FRAME_BYTES}))
    attacker.drain(3.0)
    assert attacker.close_codes == [1009, 1009, 1009]
    assert ready(town.srv)
    town.victim.still_fine()


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
    max_leaves=20,
)
FRAMES = st.one_of(
    st.binary(max_size=512),                                                   # binary frames
    st.text(max_size=512),                                                     # text, mostly not JSON
    st.builds(lambda doc, cut: json.dumps(doc, allow_nan=True)[:cut], JSONISH, st.integers(0, 200)),  # truncated
    st.builds(lambda doc: json.dumps(doc, allow_nan=True), JSONISH),          # JSON of any shape
    st.builds(lambda t, doc: json.dumps({"t": t, **doc} if isinstance(doc, dict) else {"t": t, "x": doc},
                                        allow_nan=True),
              st.sampled_from(sorted(VALID) + ["ping", "hello", "", "__proto__"]), JSONISH),  # typed, random fields
    st.builds(lambda n: "[" * n + "]" * n, st.integers(500, 30_000)),          # deep nesting
)


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(frames=st.lists(FRAMES, min_size=1, max_size=8))
def test_random_frames_never_hurt_the_server(town, frames):
    attacker = Attacker(town.srv, town.attackers[1]["sessionToken"])
    try:
        for data in frames:
            attacker.send(data)
        attacker.drain(0.2)
        assert set(attacker.close_codes) <= {CLOSE_ABUSE}, attacker.close_codes
    finally:
        attacker.close()
    assert ready(town.srv)


def test_after_random_frames_the_victim_is_fine(town):
    town.victim.still_fine()


# ---- every field of every message type ----------------------------------------------------
def test_wrong_types_for_every_field_of_every_message_type(town):
    types = CommandBuilder(Mint()).types
    assert set(VALID) == set(types)
    sockets = [Attacker(town.srv, town.attackers[2]["sessionToken"]) for _ in range(2)]
    sent = 0
    for mtype in types:
        for name in [*VALID[mtype], "seq"]:
            for value in WRONG:
                data = frame(mtype, {**VALID[mtype], name: value}, None if name == "seq" else sent)
                sockets[sent % 2].send(data.decode())  # a text frame
                sent += 1
        for s in sockets:
            s.drain(0.05)
    for s in sockets:
        s.drain(1.0)
    errors = [e for s in sockets for e in s.errors]
    assert errors and all(isinstance(e.get("code"), str) and isinstance(e.get("message"), str) for e in errors)
    assert {"bad_field", "rate_limited"} <= {e["code"] for e in errors}
    assert all(e["retryInMs"] >= 1 for e in errors if e["code"] == "rate_limited")
    assert {c for s in sockets for c in s.close_codes} <= {CLOSE_ABUSE}
    assert ready(town.srv)
    town.victim.still_fine()


# ---- out of order ---------------------------------------------------------------------------
def test_frames_before_hello_and_out_of_order_seqs(town):
    token = town.attackers[3]["sessionToken"]
    with connect(f"ws://127.0.0.1:{town.srv.port}/ws?token={token}", proxy=None, max_queue=None) as ws:
        for seq in (5, 5, 3, 0, 2**53 - 1):  # before the hello, repeated, going backwards
            ws.send(json.dumps({"t": "intent", "text": f"seq {seq}", "seq": seq}))
        ws.send(json.dumps({"t": "ack", "re": 1}))       # a server-only type
        ws.send(json.dumps({"t": "hello", "v": 1}))
        got = []
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not (any(m["t"] == "hello" for m in got)
                                                   and sum(m["t"] in ("ack", "error") for m in got) >= 7):
            try:
                got.append(json.loads(ws.recv(timeout=0.5)))
            except TimeoutError:
                continue
        assert any(m["t"] == "hello" for m in got)
        replies = [m for m in got if m["t"] in ("ack", "error")]
        assert sorted(m.get("re") for m in replies if m["t"] == "ack") == [0, 3, 5, 5, 2**53 - 1]
        assert [m["code"] for m in replies if m["t"] == "error"] == ["unknown_type", "unknown_type"]
    assert ready(town.srv)


# ---- floods ---------------------------------------------------------------------------------
FLOOD = {**VALID, "whisper": {"to": "Victim", "text": "spam"}, "ping": {"id": 1}}


def test_floods_of_every_type_from_several_connections(town):
    """Three attackers with two sockets each flood every message type: refusals carry retryInMs,
    the worst sockets are closed with 4008, and the server and the victim carry on."""
    victim = town.victim
    players = town.attackers[:3]
    sockets = [Attacker(town.srv, p["sessionToken"]) for p in players for _ in range(2)]
    for mtype, fields in FLOOD.items():
        for _ in range(3):
            for s in sockets:
                for _ in range(4):
                    s.send(json.dumps({"t": mtype, **fields}))
            for s in sockets:
                s.drain(0.02)
    for s in sockets:
        s.drain(1.0)
    assert ready(town.srv)
    victim.still_fine()

    errors = [e for s in sockets for e in s.errors]
    limited = [e for e in errors if e["code"] == "rate_limited"]
    assert limited and all(e["retryInMs"] >= 1 for e in limited)
    assert CLOSE_ABUSE in {c for s in sockets for c in s.close_codes}, "no flooding socket was closed"

    for s in sockets:
        s.close()


def fanout_seen(frames, pid: str) -> dict[str, int]:
    """How many emotes, marks, whispers and board posts of `pid` the victim received."""
    fx = [fx for f in frames if f["t"] == "sync" for chunk in f.get("a", ()) for fx in chunk.get("fx", ())
          if fx["by"] == pid]
    posts = {p["id"] for f in frames if f["t"] == "board" for p in f["posts"]
             if (p.get("author") or {}).get("id") == pid}
    return {"emote": sum(1 for x in fx if x["type"] == "emote"), "mark": sum(1 for x in fx if x["type"] == "mark"),
            "whisper": sum(1 for f in frames if f["t"] == "note" and f["note"]["kind"] == "whisper"
                           and f["note"]["data"]["from"]["id"] == pid),
            "board_post": len(posts)}


def test_many_sockets_of_one_player_do_not_multiply_what_others_receive(town):
    """Three attackers with three sockets each send emotes, marks, whispers to the victim and
    board posts as fast as they can for about a second: the victim sees each attacker's
    per-player budget, not three times it."""
    victim = town.victim
    players = town.attackers[:3]
    sockets = {p["playerId"]: [Attacker(town.srv, p["sessionToken"]) for _ in range(3)] for p in players}
    for group in sockets.values():
        for s in group:
            s.send(json.dumps({"t": "ping", "id": 0}))  # connected before the clock starts
            s.drain(0.05)
    time.sleep(max(WS_RULES[t].interval_ms for t in ("emote", "mark", "whisper")) * 2 / 1000)  # budgets refill
    start = len(victim.frames)
    started = time.monotonic()
    kinds = {"emote": {"emote": "wave"}, "mark": {}, "whisper": {"to": "Victim", "text": "hey"},
             "board_post": {"content": "spam"}}
    for _ in range(5):
        for group in sockets.values():
            for s in group:
                for kind, fields in kinds.items():
                    s.send(json.dumps({"t": kind, **fields}))
        time.sleep(0.2)
    window_ms = (time.monotonic() - started) * 1000
    time.sleep(0.6)  # the last sync rounds reach the victim
    frames = victim.frames[start:]
    for pid, group in sockets.items():
        seen = fanout_seen(frames, pid)
        for kind in kinds:
            rule = WS_RULES[ws_rule(kind)[0]]
            budget = rule.burst + window_ms / rule.interval_ms
            assert seen[kind] <= budget + 1, (kind, pid, seen, window_ms)
            assert seen[kind] < len(group) * rule.burst, (kind, pid, seen)  # not one budget per socket
        assert seen["emote"] >= 1 and seen["mark"] >= 1, seen  # the legitimate share does get through
        for s in group:
            s.drain(0.1)
            s.close()
    victim.still_fine()


# ---- nothing lost ---------------------------------------------------------------------------
def unchanged_or_grown(before: dict, after: dict) -> None:
    assert {k: after[k] for k in DURABLE} == {k: before[k] for k in DURABLE}
    assert after["zenny"] >= before["zenny"]
    qty = {row["itemId"]: row["qty"] for row in after["inventory"]}
    assert all(qty.get(row["itemId"], 0) >= row["qty"] for row in before["inventory"]), (before, after)
    assert set(before["achievements"]) <= set(after["achievements"])


def test_the_victims_saved_state_is_unchanged(town):
    town.after = town.victim.saved_state()
    unchanged_or_grown(town.before, town.after)


def test_after_a_restart_nothing_is_lost(town):
    srv = town.srv
    town.victim.close()
    time.sleep(0.3)
    before_stop = town.victim.saved_state()
    unchanged_or_grown(town.after, before_stop)
    srv.stop()
    log = srv.read_log()
    assert "Traceback" not in log, log[-3000:]
    srv.start()
    assert town.victim.saved_state() == before_stop  # exactly what it had before the restart
    again = Victim.__new__(Victim)
    again.srv, again.frames, again.closed = srv, [], None
    again.ws = ws_connect(srv.port, town.victim.token)
    again._stop = threading.Event()
    again._thread = threading.Thread(target=again._read, daemon=True)
    again._thread.start()
    try:
        hello = again.wait_for(lambda m: m["t"] == "hello")
        assert hello["you"]["name"] == "Victim"
        again.still_fine()
    finally:
        again.close()
