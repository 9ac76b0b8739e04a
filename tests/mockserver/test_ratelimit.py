"""The rate limiter: asking does not count, counting does, per key, over a sliding minute."""

from __future__ import annotations

from mockserver.ratelimit import WINDOW, RateLimiter


def test_asking_does_not_count() -> None:
    limiter = RateLimiter()

    assert [limiter.wait("a", 1, 0.0) for _ in range(3)] == [None, None, None]
    limiter.count("a", 0.0)
    assert limiter.wait("a", 1, 0.0) == 60 and limiter.wait("b", 1, 0.0) is None


def test_the_window_slides() -> None:
    limiter = RateLimiter()
    limiter.count("a", 0.0)
    limiter.count("a", 30.0)

    assert limiter.wait("a", 2, 45.0) == 15
    assert limiter.wait("a", 2, WINDOW) is None  # the first has left the window


def test_the_least_recently_seen_keys_are_forgotten() -> None:
    limiter = RateLimiter(keys=2)
    for name in ("a", "b", "a", "c"):
        limiter.count(name, 0.0)

    assert len(limiter) == 2
    assert limiter.wait("b", 1, 0.0) is None and limiter.wait("a", 1, 0.0) is not None
    limiter.clear()
    assert len(limiter) == 0
