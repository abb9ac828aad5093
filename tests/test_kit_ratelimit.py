"""The in-process moving windows behind the rate limits when there is no Redis."""

from __future__ import annotations

import pytest

from app.errors import TooManyRequests
from app.kit.ratelimit import SWEEP_SECONDS, MemoryWindows, RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_window_moves_with_time_and_refused_hits_do_not_count() -> None:
    clock = Clock()
    windows = MemoryWindows(clock)
    assert windows.hit("k", 2, 60) is None
    clock.now += 30
    assert windows.hit("k", 2, 60) is None
    clock.now += 10
    assert windows.hit("k", 2, 60) == pytest.approx(20)  # the first hit leaves at +60
    clock.now += 10
    assert windows.hit("k", 2, 60) == pytest.approx(10)  # the refusal above was not counted
    clock.now += 10.5
    assert windows.hit("k", 2, 60) is None  # the first hit has left; not a fixed window:
    assert windows.hit("k", 2, 60) == pytest.approx(29.5)  # the second is still in
    assert windows.hit("other", 2, 60) is None


def test_idle_keys_are_swept_and_busy_ones_kept() -> None:
    clock = Clock()
    windows = MemoryWindows(clock)
    for member in range(1000):
        windows.hit(("checkin", member), 10, 60)
    clock.now += SWEEP_SECONDS - 1
    windows.hit(("checkin", 0), 10, 60)
    assert len(windows) == 1000  # no sweep before its time
    clock.now += 2
    windows.hit(("checkin", 1), 10, 60)
    assert len(windows) == 2  # members 0 and 1 hit within the last minute
    clock.now += 120
    windows.hit(("checkin", 2), 10, 60)
    assert len(windows) == 1


def test_a_limit_of_zero_refuses_every_hit_and_its_key_is_swept() -> None:
    clock = Clock()
    windows = MemoryWindows(clock)
    assert windows.hit("closed", 0, 60) == 60
    clock.now += SWEEP_SECONDS + 1
    assert windows.hit("closed", 0, 60) == 60
    assert len(windows) == 1  # swept, then this hit's key again


async def test_the_limiter_answers_429_with_the_seconds_to_wait() -> None:
    limiter = RateLimiter()
    for _ in range(3):
        await limiter.check("3/minute", "checkin", "7")
    with pytest.raises(TooManyRequests) as refused:
        await limiter.check("3/minute", "checkin", "7")
    retry_after = refused.value.details["retry_after"]
    assert 59 <= retry_after <= 60
    assert refused.value.headers == {"Retry-After": str(retry_after)}
    await limiter.check("3/minute", "checkin", "8")  # another member
    await limiter.check("4/minute", "checkin", "7")  # another limit counts apart, as in limits
