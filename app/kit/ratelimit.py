"""Rate limits through `limits`: in memory by default, in Redis when configured so that
every instance counts together."""

from __future__ import annotations

import math
import time

from limits import parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from app.errors import TooManyRequests


class RateLimiter:
    def __init__(self, redis_url: str | None = None) -> None:
        storage: Storage
        if redis_url:
            storage = RedisStorage(f"async+{redis_url}", implementation="redispy")
        else:
            storage = MemoryStorage()
        self._storage = storage
        self._limiter = MovingWindowRateLimiter(storage)

    async def check(self, limit: str, scope: str, *key: str) -> None:
        """Counts one hit; raises 429 with ``Retry-After`` when over ``limit``."""
        item = parse(limit)
        if await self._limiter.hit(item, scope, *key):
            return
        stats = await self._limiter.get_window_stats(item, scope, *key)
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        raise TooManyRequests(
            details={"retry_after": retry_after, "limit": limit},
            headers={"Retry-After": str(retry_after)},
        )

    async def reset(self) -> None:
        await self._storage.reset()
