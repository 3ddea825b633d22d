"""The moving window on its own, with a clock the test turns."""

from __future__ import annotations

import pytest

from laneway.rate_limits.windows import Limit, Windows


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_a_full_window_refuses_until_its_oldest_hits_leave(clock: Clock) -> None:
    windows = Windows(None, "t", clock=clock)
    limit = Limit.parse("anonymous", "6/minute")
    for remaining in (5, 4, 3):
        assert windows.take(limit, "k").remaining == remaining
    clock.now += 30
    for remaining in (2, 1, 0):
        assert windows.take(limit, "k").remaining == remaining
    refused = windows.take(limit, "k")
    assert not refused.allowed
    assert refused.reset_seconds == 30  # the first three leave the window then
    clock.now += 29
    assert not windows.take(limit, "k").allowed
    clock.now += 1.5
    assert [windows.take(limit, "k").allowed for _ in range(4)] == [True, True, True, False]


def test_keys_and_tiers_count_apart(clock: Clock) -> None:
    windows = Windows(None, "t", clock=clock)
    one, other = Limit.parse("session", "1/hour"), Limit.parse("token", "1/hour")
    assert windows.take(one, "u1").allowed
    assert not windows.take(one, "u1").allowed
    assert windows.take(one, "u2").allowed
    assert windows.take(other, "u1").allowed
    assert not windows.take(other, "u1").allowed


def test_a_refused_or_uncounted_request_takes_nothing(clock: Clock) -> None:
    windows = Windows(None, "t", clock=clock)
    limit = Limit.parse("anonymous", "2/minute")
    for _ in range(5):
        assert windows.take(limit, "k", count=False).remaining == 2
    windows.take(limit, "k")
    windows.take(limit, "k")
    for _ in range(5):
        assert not windows.take(limit, "k").allowed
    clock.now += 61
    assert windows.take(limit, "k").remaining == 1


def test_idle_keys_are_forgotten(clock: Clock) -> None:
    windows = Windows(None, "t", clock=clock)
    limit = Limit.parse("anonymous", "10/minute")
    for key in ("a", "b", "c"):
        windows.take(limit, key)
    clock.now += 30
    windows.take(limit, "c")
    clock.now += 31
    windows.forget_idle()
    assert len(windows) == 1  # "c" was used within its window


def test_rates_parse_like_limits_does() -> None:
    limit = Limit.parse("admin", "3000/minute")
    assert (limit.amount, limit.seconds) == (3000, 60)
    assert limit.policy == '"admin";q=3000;w=60'
    assert Limit.parse("token", "10 per 2 hours").seconds == 7200
