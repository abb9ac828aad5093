"""Rate limits, as moving windows: in Redis through `limits` when configured, so that every
instance counts together; in this process's memory otherwise.

The memory windows are our own. `limits`' asyncio memory storage, whenever its expiry task
has finished, starts another walk over every key it holds, with a hop to a worker thread for
each key; with a key per member that walk never ends, and it took about 0.4 ms of the event
loop per check-in (bench/README.md). Here a hit costs O(1), and idle keys are dropped by a
sweep once a minute."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Hashable

from limits import parse
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter

from app.errors import TooManyRequests

SWEEP_SECONDS = 60.0


class MemoryWindows:
    """For each key, the times of its hits within the window, oldest first."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._hits: dict[Hashable, tuple[float, deque[float]]] = {}
        self._next_sweep = clock() + SWEEP_SECONDS

    def hit(self, key: Hashable, amount: int, window: float) -> float | None:
        """Counts a hit and answers None; or, when ``amount`` hits are in the last
        ``window`` seconds already, counts nothing and answers the seconds until one of
        them leaves the window."""
        now = self._clock()
        if now >= self._next_sweep:
            self._sweep(now)
        entry = self._hits.get(key)
        if entry is None:
            entry = self._hits[key] = (window, deque())
        hits = entry[1]
        while hits and hits[0] <= now - window:
            hits.popleft()
        if len(hits) >= amount:
            return hits[0] + window - now if hits else window  # a limit of 0 refuses all
        hits.append(now)
        return None

    def _sweep(self, now: float) -> None:
        self._next_sweep = now + SWEEP_SECONDS
        idle = [
            key
            for key, (window, hits) in self._hits.items()
            if not hits or hits[-1] <= now - window
        ]
        for key in idle:
            del self._hits[key]

    def __len__(self) -> int:
        return len(self._hits)


class RateLimiter:
    def __init__(self, redis_url: str | None = None) -> None:
        self._redis: MovingWindowRateLimiter | None = None
        self._memory = MemoryWindows()
        if redis_url:
            storage = RedisStorage(f"async+{redis_url}", implementation="redispy")
            self._redis = MovingWindowRateLimiter(storage)

    async def check(self, limit: str, scope: str, *key: str) -> None:
        """Counts one hit; raises 429 with ``Retry-After`` when over ``limit``."""
        item = parse(limit)
        if self._redis is None:
            wait = self._memory.hit((limit, scope, *key), item.amount, item.get_expiry())
            if wait is None:
                return
        else:
            if await self._redis.hit(item, scope, *key):
                return
            stats = await self._redis.get_window_stats(item, scope, *key)
            wait = stats.reset_time - time.time()
        retry_after = max(1, math.ceil(wait))
        raise TooManyRequests(
            details={"retry_after": retry_after, "limit": limit},
            headers={"Retry-After": str(retry_after)},
        )
