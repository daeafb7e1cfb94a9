"""Inbox: bounded per-instance FIFOs between the transports and the tick."""

from __future__ import annotations

from clawtown.engine.inbox import WORLD_QUEUE, Inbox


def test_put_accepts_until_the_queue_is_full_then_refuses_and_counts():
    inbox = Inbox(limit=3)
    assert [inbox.put("town#1", n) for n in range(3)] == [True, True, True]
    assert inbox.put("town#1", "overflow") is False
    assert inbox.put("town#1", "overflow again") is False
    assert (inbox.accepted, inbox.dropped, len(inbox)) == (3, 2, 3)
    assert "overflow" not in inbox.drain()


def test_each_instance_has_its_own_bound():
    inbox = Inbox(limit=2)
    assert inbox.put("town#1", "a1") and inbox.put("town#1", "a2")
    assert not inbox.put("town#1", "a3")
    assert inbox.put("meadow#1", "b1") and inbox.put("meadow#1", "b2")
    assert inbox.put(WORLD_QUEUE, "w1")
    assert len(inbox) == 5 and inbox.dropped == 1


def test_a_drained_queue_accepts_again():
    inbox = Inbox(limit=1)
    assert inbox.put("town#1", 1) and not inbox.put("town#1", 2)
    assert inbox.drain() == [1]
    assert inbox.put("town#1", 3)
    assert inbox.drain() == [3]


def test_drain_is_fifo_per_queue_with_world_commands_first():
    inbox = Inbox()
    inbox.put("town#1", "t1")
    inbox.put("meadow#1", "m1")
    inbox.put(WORLD_QUEUE, "w1")
    inbox.put("town#1", "t2")
    inbox.put(WORLD_QUEUE, "w2")
    inbox.put("meadow#1", "m2")
    # world-level commands (e.g. creating a character) come first, then each instance in turn
    assert inbox.drain() == ["w1", "w2", "t1", "t2", "m1", "m2"]
    assert len(inbox) == 0 and inbox.drain() == []


def test_drain_takes_at_most_per_tick_from_each_queue_and_keeps_the_rest_in_order():
    inbox = Inbox(limit=100, per_tick=2)
    for n in range(5):
        inbox.put("town#1", f"t{n}")
    for n in range(3):
        inbox.put("meadow#1", f"m{n}")
    inbox.put(WORLD_QUEUE, "w0")
    assert inbox.drain() == ["w0", "t0", "t1", "m0", "m1"]
    assert inbox.drain() == ["t2", "t3", "m2"]
    assert inbox.drain() == ["t4"]
    assert inbox.drain() == []


def test_refusals_do_not_disturb_what_was_queued():
    inbox = Inbox(limit=2, per_tick=10)
    for n in range(10):
        inbox.put("town#1", n)
    assert inbox.drain() == [0, 1]
    assert (inbox.accepted, inbox.dropped) == (2, 8)
