"""RateLimiter: token buckets per key on an injected clock."""

from __future__ import annotations

from twisted.internet.task import Clock

from clawtown.engine.ratelimit import RateLimiter, Rule

RULE = Rule(interval_ms=100, burst=3)


def test_a_full_bucket_allows_the_burst_then_refuses():
    limiter = RateLimiter(Clock())
    assert [limiter.hit("k", RULE) for _ in range(3)] == [0, 0, 0]
    assert limiter.hit("k", RULE) == 100
    assert limiter.denied == 1


def test_retry_time_is_how_long_until_one_token_is_back():
    clock = Clock()
    limiter = RateLimiter(clock)
    for _ in range(3):
        limiter.hit("k", RULE)
    clock.advance(0.0625)  # 0.625 of a token back (binary-exact steps keep the arithmetic exact)
    assert limiter.hit("k", RULE) == 38
    clock.advance(0.03125)
    assert limiter.hit("k", RULE) == 7
    clock.advance(0.0078125)  # a little over one token now
    assert limiter.hit("k", RULE) == 0
    assert limiter.hit("k", RULE) == 99  # ceil((1 - 0.015625) * 100)


def test_a_refusal_always_asks_for_at_least_one_millisecond():
    clock = Clock()
    limiter = RateLimiter(clock)
    rule = Rule(interval_ms=1000, burst=1)
    assert limiter.hit("k", rule) == 0
    clock.advance(0.9999)
    assert limiter.hit("k", rule) == 1


def test_tokens_refill_at_one_per_interval_up_to_the_burst():
    clock = Clock()
    limiter = RateLimiter(clock)
    for _ in range(3):
        limiter.hit("k", RULE)
    clock.advance(0.2)  # two tokens back
    assert [limiter.hit("k", RULE) for _ in range(3)] == [0, 0, 100]
    clock.advance(60)  # long idle: refilled, but never beyond the burst
    assert [limiter.hit("k", RULE) for _ in range(4)] == [0, 0, 0, 100]


def test_refused_hits_do_not_use_up_tokens():
    clock = Clock()
    limiter = RateLimiter(clock)
    for _ in range(3):
        limiter.hit("k", RULE)
    for _ in range(10):
        assert limiter.hit("k", RULE) > 0
    clock.advance(0.1)
    assert limiter.hit("k", RULE) == 0
    assert limiter.denied == 10


def test_keys_and_rules_are_independent():
    limiter = RateLimiter(Clock())
    for _ in range(3):
        limiter.hit(("conn", 1, "chat"), RULE)
    assert limiter.hit(("conn", 1, "chat"), RULE) > 0
    assert limiter.hit(("conn", 2, "chat"), RULE) == 0
    assert limiter.hit(("conn", 1, "move"), Rule(40, 30)) == 0


def test_slow_refill_rules_report_long_waits():
    limiter = RateLimiter(Clock())
    board = Rule(interval_ms=10_000, burst=2)
    assert limiter.hit("b", board) == 0 and limiter.hit("b", board) == 0
    assert limiter.hit("b", board) == 10_000


def test_forget_drops_every_bucket_of_one_owner():
    limiter = RateLimiter(Clock())
    for cls in ("move", "chat"):
        for _ in range(3):
            limiter.hit((7, cls), RULE)
    limiter.hit((8, "chat"), RULE)
    limiter.forget(7)
    assert set(limiter.buckets) == {(8, "chat")}
    assert limiter.hit((7, "chat"), RULE) == 0


def test_the_number_of_buckets_stays_bounded_and_idle_ones_go_first():
    clock = Clock()
    limiter = RateLimiter(clock, max_keys=3)
    limiter.hit("old", RULE)
    clock.advance(61)
    limiter.hit("a", RULE)
    limiter.hit("b", RULE)
    limiter.hit("c", RULE)  # full: the bucket idle for over a minute is evicted
    assert set(limiter.buckets) == {"a", "b", "c"}
    limiter.hit("d", RULE)  # nothing idle: still bounded
    assert len(limiter.buckets) <= 3 and "d" in limiter.buckets


def test_discard_drops_just_the_named_buckets():
    limiter = RateLimiter(Clock())
    for key in ((1, "move"), (1, "chat"), (2, "move")):
        limiter.hit(key, RULE)
    limiter.discard((1, "move"), (1, "chat"), (1, "never-used"))
    assert set(limiter.buckets) == {(2, "move")}
