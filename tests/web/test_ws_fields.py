"""Every field of every WebSocket message type, with wrong values, through the real endpoint and
the real game rules (in memory, rate limits lifted so that every frame reaches validation).

A frame is either refused with an error frame or applied and acknowledged; no frame may raise
in the endpoint or crash a tick, and the world's invariants hold afterwards.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clawtown.engine.ids import Mint
from clawtown.web.limits import ABUSE_WINDOW_MS
from clawtown.wire.inbound import CommandBuilder
from tests.wsframes import VALID, WRONG, frame


def test_every_message_type_is_covered():
    assert set(VALID) == set(CommandBuilder(Mint()).types)


@pytest.fixture
def open_town(ws, monkeypatch):
    """Ann (joined) and Bob (online), rate limits lifted."""
    ws.town.store_player()
    ws.town.store_player(pid="p_bob", name="Bob", token="cts_" + "b" * 43)
    ann = ws.connect()
    bob = ws.connect("cts_" + "b" * 43, port=40001)
    ws.step()
    assert ann.of_type("hello") and bob.of_type("hello")
    monkeypatch.setattr(ws.town.limiter, "hit", lambda key, rule: 0)
    return ws, ann, bob


def replies(peer) -> int:
    return sum(1 for m in peer.messages if m["t"] in ("ack", "error"))


def check_world(world) -> None:
    for p in world.players.values():
        assert isinstance(p.name, str) and 0 < len(p.name) <= 24, p.name
        assert p.x == p.x and p.y == p.y and abs(p.x) < 1e6 and abs(p.y) < 1e6
        assert 0 <= p.hp <= p.max_hp and p.level >= 1
        assert all(1 <= v <= 99 for v in p.base.values()), p.base


@pytest.mark.parametrize("mtype", sorted(VALID))
def test_wrong_values_in_every_field_are_refused_or_applied_never_a_crash(open_town, mtype):
    ws, ann, bob = open_town
    seq = 0
    fields = list(VALID[mtype]) + ["seq", "t"]
    for name in fields:
        for value in WRONG:
            seq += 1
            if name == "t":
                payload = frame(mtype, VALID[mtype], seq).replace(b'"t": "%s"' % mtype.encode(),
                                                                  b'"t": ' + json.dumps(value, allow_nan=True).encode())
            elif name == "seq":
                payload = frame(mtype, {**VALID[mtype], "seq": value})
            else:
                payload = frame(mtype, {**VALID[mtype], name: value}, seq)
            before = replies(ann)
            ann.send(raw=payload)
            ws.step()  # the command (if any) is applied by a real tick: a crash would raise here
            if name != "t" and not (name == "seq" and value is None):  # (no seq: a command without a reply)
                assert replies(ann) > before, (mtype, name, value, ann.messages[-3:])
            ws.town.clock.advance(ABUSE_WINDOW_MS / 1000 / 50)  # stay under the abuse limit
        assert ann.closed is None, (mtype, name, ann.closed)
    check_world(ws.town.game.world)
    assert bob.closed is None


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=50),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mtype=st.sampled_from(sorted(VALID)), fields=st.dictionaries(
    st.sampled_from(sorted({k for f in VALID.values() for k in f} | {"seq", "type"})), JSON, max_size=4))
def test_random_fields_of_random_types_never_crash(open_town, mtype, fields):
    ws, ann, _bob = open_town
    ann.send(raw=frame(mtype, fields))
    ws.step()
    ws.town.clock.advance(1.0)
    assert ann.closed is None
    check_world(ws.town.game.world)
